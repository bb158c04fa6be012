import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { subtract } from '@astrix/pricing';
import { storedMoney } from '../money';
import { Clock } from '../../../platform/clock';
import { AppConfig } from '../../../platform/config/app-config';
import { LedgerChecks } from '../ledger/ledger-checks.service';
import { ProcessorComparison } from './processor-comparison.service';
import { BooksCheckRegistry } from './books-check.registry';
import {
  moneyText,
  paidMoreThanOnce,
  sortFindings,
  type BooksFinding,
  type BooksReport,
} from './books-findings';

export interface BooksCheckOptions {
  /**
   * Compare our rows with the processor's records created since then (the processor is read page by
   * page). Null skips the comparison: only the invariants of our own tables are checked.
   */
  processorSince: Date | null;
}

/**
 * The books check: invariants that must hold whatever happened (each a set-based statement over the
 * whole table, no per-row queries), other contexts' findings (payouts), and our rows against the
 * processor's own records. Reads only: it writes no table and calls nothing that changes anything.
 */
@Injectable()
export class BooksCheck {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly processorComparison: ProcessorComparison,
    private readonly registry: BooksCheckRegistry,
    private readonly ledger: LedgerChecks,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async run(options: BooksCheckOptions): Promise<BooksReport> {
    const now = this.clock.now();
    const [ours, others, processor] = await Promise.all([
      this.invariants(now),
      this.registry.findings(now),
      options.processorSince
        ? this.processorComparison.findings(options.processorSince)
        : Promise.resolve([]),
    ]);
    // The processor sees payments our books may not: its finding about an invoice replaces ours.
    const seen = new Set(processor.map((finding) => `${finding.kind}:${finding.subject}`));
    const findings = sortFindings([
      ...processor,
      ...ours.filter((finding) => !seen.has(`${finding.kind}:${finding.subject}`)),
      ...others,
    ]);
    return {
      checkedAt: now.toISOString(),
      processorComparedSince: options.processorSince?.toISOString() ?? null,
      clean: findings.length === 0,
      findings,
    };
  }

  /** The invariants of our own tables. */
  async invariants(now: Date): Promise<BooksFinding[]> {
    const results = await Promise.all([
      this.invoicesPaidMoreThanOnce(),
      this.chargesWithoutInvoice(),
      this.refundsPendingTooLong(now),
      this.chargesRefundedBeyondAmount(),
      this.invoicesCreditedBeyondTotal(),
      this.discountsWithoutRedemption(),
      this.couponsOverLimit(),
      this.usagePeriodsNotInvoiced(),
      this.trialsLongerThanPlan(),
      // The journal: balanced, every money row has its entry, no entry without its source.
      this.ledger.findings(),
    ]);
    return results.flat();
  }

  /**
   * Usage periods closed early whose invoice is due (the subscription ended, or moved past them, or
   * they are marked billed) with usage of a feature their plan prices and no usage line of the
   * subscription's invoices over them: revenue that leaked.
   */
  private async usagePeriodsNotInvoiced(): Promise<BooksFinding[]> {
    const rows: Array<{
      id: string;
      subscription_id: string;
      feature_id: string;
      currency: string;
      quantity: string;
      period_start: Date;
      period_end: Date;
    }> = await this.dataSource.query(
      `SELECT p.id, p.subscription_id, up.feature_id, p.currency, p.period_start, p.period_end,
              (SELECT coalesce(sum(e.quantity), 0) FROM billing.usage_events e
                WHERE e.customer_id = p.customer_id AND e.feature_id = up.feature_id
                  AND e.occurred_at >= p.period_start AND e.occurred_at < p.period_end)::text AS quantity
         FROM billing.usage_periods p
         JOIN billing.subscriptions s ON s.id = p.subscription_id
         JOIN LATERAL (SELECT DISTINCT v.feature_id FROM billing.usage_prices v
                        WHERE v.product_id = p.product_id AND v.currency = p.currency
                          AND v.effective_from < p.period_end
                          AND (v.effective_to IS NULL OR v.effective_to > p.period_start)) up ON true
        WHERE (p.invoice_key IS NOT NULL OR s.status = 'canceled' OR s.current_period_start >= p.period_end)
          AND NOT EXISTS (
            SELECT 1 FROM billing.invoice_lines l JOIN billing.invoices i ON i.id = l.invoice_id
             WHERE i.subscription_id = p.subscription_id AND l.kind = 'usage' AND l.feature_id = up.feature_id
               AND l.period_start < p.period_end AND l.period_end > p.period_start)`,
    );
    return rows
      .filter((row) => Number(row.quantity) > 0)
      .map((row) => ({
        kind: 'usage_period_not_invoiced',
        subject: row.id,
        ids: [row.id, row.subscription_id],
        amount: 0,
        currency: row.currency,
        message: `subscription ${row.subscription_id} used ${row.quantity} of ${row.feature_id} from ${row.period_start.toISOString()} to ${row.period_end.toISOString()} (closed early) and no invoice bills it`,
      }));
  }

  /**
   * Trials (from the subscribe to the trial end) longer than the trial their plan gives, not granted by
   * a staff member (`trial_granted_by`, audited): service given away that nobody decided to give.
   */
  private async trialsLongerThanPlan(): Promise<BooksFinding[]> {
    const rows: Array<{
      id: string;
      customer_id: string;
      currency: string;
      plan_days: number;
      days: string;
    }> = await this.dataSource.query(
      `SELECT s.id, s.customer_id, s.currency, t.plan_days,
                round(extract(epoch FROM s.trial_end - s.created_at) / 86400, 2)::text AS days
           FROM billing.subscriptions s
           JOIN billing.products p ON p.id = s.product_id
           CROSS JOIN LATERAL (SELECT COALESCE((p.attributes->>'trialDays')::int, 0) AS plan_days) t
          WHERE s.trial_end IS NOT NULL AND s.trial_granted_by IS NULL
            AND s.trial_end > s.created_at + make_interval(days => t.plan_days)`,
    );
    return rows.map((row) => ({
      kind: 'trial_longer_than_plan',
      subject: row.id,
      ids: [row.id, row.customer_id],
      amount: 0,
      currency: row.currency,
      message: `subscription ${row.id} has a ${row.days}-day trial; its plan gives ${row.plan_days} days and no staff member granted more`,
    }));
  }

  /** Discounted charges with no redemption of their coupon, not refunded in full (refused at payment, or lost). */
  private async discountsWithoutRedemption(): Promise<BooksFinding[]> {
    const rows: Array<{ id: string; coupon_id: string | null; discount: string; currency: string }> =
      await this.dataSource.query(
        `SELECT c.id, c.coupon_id, c.discount_amount::text AS discount, c.currency
           FROM billing.charges c
          WHERE c.discount_amount > 0
            AND NOT EXISTS (SELECT 1 FROM billing.coupon_redemptions r WHERE r.charge_id = c.id)
            AND c.amount > COALESCE((SELECT sum(f.amount) FROM billing.refunds f
                                      WHERE f.charge_id = c.id AND f.status IN ('pending', 'succeeded')), 0)`,
      );
    return rows.map((row) => ({
      kind: 'discount_without_redemption',
      subject: row.id,
      ids: row.coupon_id ? [row.id, row.coupon_id] : [row.id],
      amount: Number(row.discount),
      currency: row.currency,
      message: `charge ${row.id} kept a discount of ${moneyText(storedMoney(row.discount, row.currency))} from coupon ${row.coupon_id ?? '(none)'} without a redemption, and is not refunded`,
    }));
  }

  /** Coupons redeemed more often than their limits allow, overall or by one customer. */
  private async couponsOverLimit(): Promise<BooksFinding[]> {
    const rows: Array<{
      coupon_id: string;
      code: string;
      customer_id: string | null;
      redemptions: number;
      limit: number;
      excess_discount: string;
      currency: string;
      redemption_ids: string[];
    }> = await this.dataSource.query(
      `WITH ranked AS (
         SELECT r.*, row_number() OVER (PARTITION BY r.coupon_id ORDER BY r.redeemed_at, r.id) AS overall_rank,
                row_number() OVER (PARTITION BY r.coupon_id, r.customer_id ORDER BY r.redeemed_at, r.id) AS customer_rank
           FROM billing.coupon_redemptions r
       )
       SELECT p.id AS coupon_id, p.code, NULL AS customer_id, count(*)::int AS redemptions,
              p.max_redemptions AS limit, sum(x.discount_amount) FILTER (WHERE x.overall_rank > p.max_redemptions)::text AS excess_discount,
              min(x.currency) AS currency, array_agg(x.id ORDER BY x.overall_rank) FILTER (WHERE x.overall_rank > p.max_redemptions) AS redemption_ids
         FROM ranked x JOIN billing.coupons p ON p.id = x.coupon_id
        WHERE p.max_redemptions IS NOT NULL
        GROUP BY p.id, p.code, p.max_redemptions
       HAVING count(*) > p.max_redemptions
       UNION ALL
       SELECT p.id, p.code, x.customer_id, count(*)::int, p.max_redemptions_per_customer,
              sum(x.discount_amount) FILTER (WHERE x.customer_rank > p.max_redemptions_per_customer)::text,
              min(x.currency), array_agg(x.id ORDER BY x.customer_rank) FILTER (WHERE x.customer_rank > p.max_redemptions_per_customer)
         FROM ranked x JOIN billing.coupons p ON p.id = x.coupon_id
        WHERE p.max_redemptions_per_customer IS NOT NULL
        GROUP BY p.id, p.code, x.customer_id, p.max_redemptions_per_customer
       HAVING count(*) > p.max_redemptions_per_customer`,
    );
    return rows.map((row) => ({
      kind: 'coupon_over_limit',
      subject: row.customer_id ? `${row.coupon_id}:${row.customer_id}` : row.coupon_id,
      ids: [row.coupon_id, ...(row.customer_id ? [row.customer_id] : []), ...row.redemption_ids],
      amount: Number(row.excess_discount ?? 0),
      currency: row.currency,
      message: row.customer_id
        ? `coupon ${row.code} was redeemed ${row.redemptions} times by customer ${row.customer_id}, above its limit of ${row.limit} per customer`
        : `coupon ${row.code} was redeemed ${row.redemptions} times, above its limit of ${row.limit}`,
    }));
  }

  /** Payments linked to an invoice either way (a subscription charge names its invoice; a receipt its charge). */
  private async invoicesPaidMoreThanOnce(): Promise<BooksFinding[]> {
    const rows: Array<{ invoice_id: string; currency: string; charge_ids: string[]; kept: string[] }> =
      await this.dataSource.query(
        `WITH links AS (
           SELECT invoice_id, id AS charge_id FROM billing.charges WHERE invoice_id IS NOT NULL
           UNION
           SELECT id, charge_id FROM billing.invoices WHERE charge_id IS NOT NULL
         )
         SELECT l.invoice_id, c.currency,
                array_agg(c.id ORDER BY c.id) AS charge_ids,
                array_agg((c.amount - c.amount_refunded)::text ORDER BY c.id) AS kept
           FROM links l
           JOIN billing.charges c ON c.id = l.charge_id
          WHERE c.amount > c.amount_refunded
          GROUP BY l.invoice_id, c.currency
         HAVING count(*) > 1`,
      );
    return rows.map((row) =>
      paidMoreThanOnce(
        row.invoice_id,
        row.charge_ids.map((id, index) => ({ ids: [id], kept: storedMoney(row.kept[index], row.currency) })),
      ),
    );
  }

  private async chargesWithoutInvoice(): Promise<BooksFinding[]> {
    const rows: Array<{ id: string; amount: string; currency: string; invoice_id: string | null }> =
      await this.dataSource.query(
        `SELECT c.id, c.amount::text AS amount, c.currency, c.invoice_id
           FROM billing.charges c
          WHERE NOT EXISTS (SELECT 1 FROM billing.invoices i WHERE i.id = c.invoice_id)
            AND NOT EXISTS (SELECT 1 FROM billing.invoices i WHERE i.charge_id = c.id)`,
      );
    return rows.map((row) => ({
      kind: 'charge_without_invoice',
      subject: row.id,
      ids: row.invoice_id ? [row.id, row.invoice_id] : [row.id],
      amount: Number(row.amount),
      currency: row.currency,
      message: row.invoice_id
        ? `charge ${row.id} names invoice ${row.invoice_id}, which does not exist`
        : `charge ${row.id} of ${moneyText(storedMoney(row.amount, row.currency))} has no invoice or receipt`,
    }));
  }

  private async refundsPendingTooLong(now: Date): Promise<BooksFinding[]> {
    const boundMs = this.config.refundPendingBoundMs;
    const rows: Array<{
      id: string;
      charge_id: string;
      amount: string;
      currency: string;
      stripe_refund_id: string | null;
      created_at: Date;
    }> = await this.dataSource.query(
      `SELECT id, charge_id, amount::text AS amount, currency, stripe_refund_id, created_at
         FROM billing.refunds
        WHERE status = 'pending' AND created_at < $1`,
      [new Date(now.getTime() - boundMs)],
    );
    return rows.map((row) => ({
      kind: 'refund_pending_too_long',
      subject: row.id,
      ids: [row.id, row.charge_id, ...(row.stripe_refund_id ? [row.stripe_refund_id] : [])],
      amount: Number(row.amount),
      currency: row.currency,
      message: `refund ${row.id} of ${moneyText(storedMoney(row.amount, row.currency))} has been pending since ${row.created_at.toISOString()} (bound ${boundMs / 1000} s)`,
    }));
  }

  private async chargesRefundedBeyondAmount(): Promise<BooksFinding[]> {
    const rows: Array<{
      id: string;
      amount: string;
      currency: string;
      committed: string;
      refund_ids: string[];
    }> = await this.dataSource.query(
      `SELECT c.id, c.amount::text AS amount, c.currency, r.committed::text AS committed, r.refund_ids
         FROM (SELECT charge_id, sum(amount) AS committed, array_agg(id ORDER BY id) AS refund_ids
                 FROM billing.refunds
                WHERE status IN ('pending', 'succeeded')
                GROUP BY charge_id) r
         JOIN billing.charges c ON c.id = r.charge_id
        WHERE r.committed > c.amount`,
    );
    return rows.map((row) => {
      const over = subtract(storedMoney(row.committed, row.currency), storedMoney(row.amount, row.currency));
      return {
        kind: 'refunded_more_than_charged',
        subject: row.id,
        ids: [row.id, ...row.refund_ids],
        amount: over.amountMinor,
        currency: row.currency,
        message: `charge ${row.id} of ${moneyText(storedMoney(row.amount, row.currency))} has ${moneyText(storedMoney(row.committed, row.currency))} refunded or pending`,
      };
    });
  }

  private async invoicesCreditedBeyondTotal(): Promise<BooksFinding[]> {
    const rows: Array<{
      id: string;
      total: string;
      currency: string;
      credited: string;
      credit_note_ids: string[];
    }> = await this.dataSource.query(
      `SELECT i.id, i.total::text AS total, i.currency, n.credited::text AS credited, n.credit_note_ids
         FROM (SELECT invoice_id, sum(amount) AS credited, array_agg(id ORDER BY id) AS credit_note_ids
                 FROM billing.credit_notes
                GROUP BY invoice_id) n
         JOIN billing.invoices i ON i.id = n.invoice_id
        WHERE n.credited > i.total`,
    );
    return rows.map((row) => {
      const over = subtract(storedMoney(row.credited, row.currency), storedMoney(row.total, row.currency));
      return {
        kind: 'credited_more_than_invoiced',
        subject: row.id,
        ids: [row.id, ...row.credit_note_ids],
        amount: over.amountMinor,
        currency: row.currency,
        message: `invoice ${row.id} of ${moneyText(storedMoney(row.total, row.currency))} has ${moneyText(storedMoney(row.credited, row.currency))} in credit notes`,
      };
    });
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type {
  ReportGroupBy,
  RevenueProductKind,
  RevenueRow,
  RevenueTotals,
  SubscriptionMetricsRow,
} from '@astrix/contracts';
import { add, divideRounded, subtract, sum } from '@astrix/pricing';
import { Clock } from '../../../platform/clock';
import { CHART_OF_ACCOUNTS } from '../ledger/chart-of-accounts';
import { storedMoney } from '../money';

export interface ReportRange {
  from: Date;
  to: Date;
  groupBy: ReportGroupBy;
}

interface FactRow {
  period: string;
  currency: string;
  kind: RevenueProductKind;
  sales: number;
  voided_sales: number;
  revenue_debits: string;
  revenue_credits: string;
  discount_debits: string;
  discount_credits: string;
  refund_debits: string;
  refund_credits: string;
  dispute_debits: string;
  dispute_credits: string;
}

/** The accounts the revenue report reads: revenue per kind, its contra accounts and dispute costs. */
const REVENUE_ACCOUNTS = CHART_OF_ACCOUNTS.filter((account) => account.type === 'income').map(
  (account) => account.code,
);
const CONTRA_ACCOUNTS = ['discounts', 'refunds', 'dispute_fees', 'dispute_losses'];

/**
 * Revenue facts from the journal, bucketed in UTC by when each entry occurred: revenue when an
 * invoice (a checkout receipt, a renewal, a usage or change invoice) was finalized, whatever paid it
 * (card, customer credit, nothing yet); discounts with it; refunds and credits when the credit note
 * was issued or the credit granted; a dispute's fee when it opened and its amount when lost. The
 * kind of a revenue line is in its account (`revenue_<kind>`); discount, refund and dispute lines
 * carry it on the line (`product_kind`), a dispute line without one takes its charge's product kind,
 * and a line with none is `unassigned`. A sale is an entry crediting revenue of the kind, or deferred
 * revenue of it (a line earned over time); the reversal of one (a voided invoice) takes it back.
 * Revenue earned over time counts when recognized (the schedules' `recognized.*` entries), not when
 * billed; those entries are not sales.
 */
const REVENUE_FACTS = `
  WITH facts AS (
    SELECT l.occurred_at AS at, l.currency,
           CASE WHEN l.account = ANY($4) THEN substr(l.account, length('revenue_') + 1)
                ELSE coalesce(l.product_kind, disputed.kind, 'unassigned') END AS kind,
           CASE WHEN (l.account = ANY($4) OR l.account = 'deferred_revenue') AND e.source_type <> 'revenue_schedule'
                     AND e.reverses_entry_id IS NULL AND l.credit > 0 THEN e.id END AS sale,
           CASE WHEN (l.account = ANY($4) OR l.account = 'deferred_revenue') AND e.source_type <> 'revenue_schedule'
                     AND e.reverses_entry_id IS NOT NULL AND l.debit > 0 THEN e.id END AS voided_sale,
           l.account = ANY($4) AS revenue, l.account = 'discounts' AS discount, l.account = 'refunds' AS refund,
           l.account IN ('dispute_fees', 'dispute_losses') AS dispute, l.debit, l.credit
      FROM billing.journal_lines l
      JOIN billing.journal_entries e ON e.id = l.entry_id
      LEFT JOIN LATERAL (
        SELECT p.kind FROM billing.disputes d
          JOIN billing.charges c ON c.id = d.charge_id
          JOIN billing.products p ON p.id = c.product_id
         WHERE e.source_type = 'dispute' AND d.id = e.source_id
      ) disputed ON l.product_kind IS NULL AND l.account IN ('dispute_fees', 'dispute_losses')
     WHERE (l.account = ANY($4) OR l.account = ANY($5)
            OR (l.account = 'deferred_revenue' AND l.product_kind IS NOT NULL AND e.source_type = 'invoice'))
       AND l.occurred_at >= $1 AND l.occurred_at < $2
  )
  SELECT to_char(date_trunc($3, at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS period, currency, kind,
         count(DISTINCT sale)::int AS sales, count(DISTINCT voided_sale)::int AS voided_sales,
         coalesce(sum(debit) FILTER (WHERE revenue), 0)::text AS revenue_debits,
         coalesce(sum(credit) FILTER (WHERE revenue), 0)::text AS revenue_credits,
         coalesce(sum(debit) FILTER (WHERE discount), 0)::text AS discount_debits,
         coalesce(sum(credit) FILTER (WHERE discount), 0)::text AS discount_credits,
         coalesce(sum(debit) FILTER (WHERE refund), 0)::text AS refund_debits,
         coalesce(sum(credit) FILTER (WHERE refund), 0)::text AS refund_credits,
         coalesce(sum(debit) FILTER (WHERE dispute), 0)::text AS dispute_debits,
         coalesce(sum(credit) FILTER (WHERE dispute), 0)::text AS dispute_credits
    FROM facts GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;

/** A Gregorian year ÷ 12. */
const AVERAGE_MONTH_MS = (365.2425 / 12) * 86_400_000;

/** Finance's revenue figures, per currency (never converted: each currency is its own ledger). */
@Injectable()
export class RevenueReports {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /**
   * Revenue per period, currency and product kind from the ledger: gross (revenue accounts),
   * discounts, refunds and credits (contra revenue), disputes (fees and losses) and net, so the
   * report equals the ledger's revenue accounts.
   */
  async revenue(range: ReportRange): Promise<{ rows: RevenueRow[]; totals: RevenueTotals[] }> {
    const facts = (await this.dataSource.query(REVENUE_FACTS, [
      range.from,
      range.to,
      range.groupBy,
      REVENUE_ACCOUNTS,
      CONTRA_ACCOUNTS,
    ])) as FactRow[];
    const rows = facts.map((fact): RevenueRow => {
      const money = (amount: string) => storedMoney(amount, fact.currency);
      const gross = subtract(money(fact.revenue_credits), money(fact.revenue_debits));
      const discounts = subtract(money(fact.discount_debits), money(fact.discount_credits));
      const refunds = subtract(money(fact.refund_debits), money(fact.refund_credits));
      const disputes = subtract(money(fact.dispute_debits), money(fact.dispute_credits));
      const net = subtract(subtract(subtract(gross, discounts), refunds), disputes);
      return {
        period: fact.period,
        currency: fact.currency,
        productKind: fact.kind,
        charges: fact.sales - fact.voided_sales,
        gross: gross.amountMinor,
        discounts: discounts.amountMinor,
        refunds: refunds.amountMinor,
        disputes: disputes.amountMinor,
        net: net.amountMinor,
      };
    });
    return { rows, totals: totalsOf(rows) };
  }

  /**
   * MRR at the end of the range (or now, if that is later) and churn over the range (canceled in it
   * ÷ active at its start), per currency. MRR is what subscriptions were billed for the instant the
   * range ends: every line of a non-void subscription invoice covering it, plan lines divided by
   * their period in months, and prorations of a mid-period change scaled up from the part of the
   * period they cover, so an upgrade counts at its new price from the day it was made. Discounts are
   * taken off; trials, ended and paused subscriptions count nothing.
   */
  async subscriptionMetrics(range: ReportRange): Promise<SubscriptionMetricsRow[]> {
    const asOf = new Date(Math.min(range.to.getTime(), this.clock.now().getTime()));
    const recurring = (await this.dataSource.query(
      `WITH covering AS (
         SELECT i.subscription_id, i.currency, l.kind, l.amount - l.discount AS net, l.period_start, l.period_end
           FROM billing.invoice_lines l
           JOIN billing.invoices i ON i.id = l.invoice_id
           JOIN billing.subscriptions s ON s.id = i.subscription_id
          WHERE i.status <> 'void' AND l.kind IN ('plan', 'proration_credit', 'proration_charge')
            AND l.period_start < $1 AND l.period_end >= $1
            AND (s.ended_at IS NULL OR s.ended_at >= $1)
            AND NOT (s.status = 'paused' AND s.paused_at < $1)
       )
       SELECT line.currency, line.net,
              (extract(epoch FROM line.period_end - line.period_start) * 1000)::bigint AS line_ms,
              (extract(epoch FROM plan.period_end - plan.period_start) * 1000)::bigint AS plan_ms
         FROM covering line
         JOIN covering plan ON plan.subscription_id = line.subscription_id AND plan.kind = 'plan'
                           AND plan.period_end = line.period_end`,
      [asOf],
    )) as Array<{ currency: string; net: string; line_ms: string; plan_ms: string }>;
    // Active at the start: created before it and neither ended nor canceled before it.
    const churn = (await this.dataSource.query(
      `SELECT currency,
              count(*) FILTER (WHERE created_at < $1 AND status <> 'incomplete'
                                 AND (canceled_at IS NULL OR canceled_at >= $1))::int AS active_at_start,
              count(*) FILTER (WHERE canceled_at >= $1 AND canceled_at < $2)::int AS canceled
         FROM billing.subscriptions GROUP BY currency`,
      [range.from, range.to],
    )) as Array<{ currency: string; active_at_start: number; canceled: number }>;

    const currencies = [
      ...new Set([...recurring.map((r) => r.currency), ...churn.map((c) => c.currency)]),
    ].sort();
    return currencies.map((currency) => {
      const monthly = recurring
        .filter((row) => row.currency === currency)
        .map((row) => {
          const planMs = BigInt(row.plan_ms);
          // A period of 28–31 days is a month, 89–92 days a quarter, 365–366 a year.
          const months = BigInt(Math.max(1, Math.round(Number(planMs) / AVERAGE_MONTH_MS)));
          const amount = divideRounded(BigInt(row.net) * planMs, BigInt(row.line_ms) * months);
          return storedMoney(amount.toString(), currency);
        });
      const counts = churn.find((row) => row.currency === currency);
      const activeAtStart = counts?.active_at_start ?? 0;
      const canceled = counts?.canceled ?? 0;
      return {
        currency,
        mrr: sum(monthly, storedMoney(0, currency).currency).amountMinor,
        activeAtStart,
        canceledInPeriod: canceled,
        churnRate:
          activeAtStart === 0
            ? null
            : ratioText(divideRounded(BigInt(canceled) * 10_000n, BigInt(activeAtStart))),
      };
    });
  }
}

/** Ten-thousandths as a decimal string: 1250n → "0.1250". */
function ratioText(tenThousandths: bigint): string {
  const digits = tenThousandths.toString().padStart(5, '0');
  return `${digits.slice(0, -4)}.${digits.slice(-4)}`;
}

function totalsOf(rows: RevenueRow[]): RevenueTotals[] {
  const byCurrency = new Map<string, RevenueTotals>();
  for (const row of rows) {
    const total = byCurrency.get(row.currency);
    if (!total) {
      byCurrency.set(row.currency, {
        currency: row.currency,
        charges: row.charges,
        gross: row.gross,
        discounts: row.discounts,
        refunds: row.refunds,
        disputes: row.disputes,
        net: row.net,
      });
      continue;
    }
    const plus = (a: number, b: number) =>
      add(storedMoney(a, row.currency), storedMoney(b, row.currency)).amountMinor;
    total.charges += row.charges;
    total.gross = plus(total.gross, row.gross);
    total.discounts = plus(total.discounts, row.discounts);
    total.refunds = plus(total.refunds, row.refunds);
    total.disputes = plus(total.disputes, row.disputes);
    total.net = plus(total.net, row.net);
  }
  return [...byCurrency.values()];
}

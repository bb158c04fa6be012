import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Money, add, money, negate, netOfReturned, parseCurrencyCode, prorate } from '@astrix/pricing';
import { storedMoney } from '../money';
import { ChangeInvoices } from './change-invoices.service';
import { type DraftLine, type PlanSide, prorationLine } from './invoice-drafts';
import { planNameOf } from './plan-names';
import { pricedSpanOf } from './renewal';
import type { Subscription } from './subscription.entity';

/**
 * What a subscriber paid for the rest of the current period, given back when the period is cut
 * short: on a plan change now, an interval switch, a cancellation now with prorate, a resume. Always
 * what was paid (net of discounts and earlier prorations, and of refunds and credit notes), never the
 * list price.
 */
@Injectable()
export class UnusedTimeCredits {
  constructor(private readonly invoices: ChangeInvoices) {}

  /**
   * What was paid for the time after `now`: every paid plan and proration line covering now, net of
   * its discount, prorated by the second through @astrix/pricing; then, per invoice, only the share
   * still paid once refunds (settled or under way) and staff credit notes gave part of it back
   * (`netOfReturned`), so time already paid back is never credited again.
   */
  async unusedPaidTime(manager: EntityManager, subscription: Subscription, now: Date): Promise<Money> {
    const paid: Array<{
      invoice_id: string;
      total: string;
      returned: string;
      net: string;
      period_start: Date;
      period_end: Date;
    }> = await manager.query(
      `SELECT l.invoice_id, i.total, l.amount - l.discount AS net, l.period_start, l.period_end,
              (SELECT COALESCE(sum(r.amount), 0) FROM billing.refunds r JOIN billing.charges c ON c.id = r.charge_id
                WHERE c.invoice_id = i.id AND r.status IN ('pending', 'succeeded'))
            + (SELECT COALESCE(sum(n.amount), 0) FROM billing.credit_notes n
                WHERE n.invoice_id = i.id AND n.refund_id IS NULL) AS returned
         FROM billing.invoice_lines l JOIN billing.invoices i ON i.id = l.invoice_id
        WHERE i.subscription_id = $1 AND i.status = 'paid'
          AND l.kind IN ('plan', 'proration_credit', 'proration_charge')
          AND l.period_start <= $2 AND l.period_end > $2
        ORDER BY l.invoice_id`,
      [subscription.id, now],
    );
    const currency = parseCurrencyCode(subscription.currency);
    const byInvoice = new Map<string, { unused: Money; total: Money; returned: Money }>();
    for (const line of paid) {
      const unused = prorate(
        storedMoney(line.net, currency),
        { start: line.period_start, end: line.period_end },
        now,
      );
      const invoice = byInvoice.get(line.invoice_id);
      if (invoice) invoice.unused = add(invoice.unused, unused);
      else
        byInvoice.set(line.invoice_id, {
          unused,
          total: storedMoney(line.total, currency),
          returned: storedMoney(line.returned, currency),
        });
    }
    let total = money(0, currency);
    for (const invoice of byInvoice.values()) {
      total = add(total, netOfReturned(invoice.unused, invoice.total, invoice.returned));
    }
    return total;
  }

  /** The unused, paid time after `now` as an invoice line crediting it; null when nothing was paid. */
  async creditLine(
    manager: EntityManager,
    subscription: Subscription,
    now: Date,
    why?: string,
  ): Promise<DraftLine | null> {
    const unused = await this.unusedPaidTime(manager, subscription, now);
    if (unused.amountMinor <= 0) return null;
    const plan = {
      productId: subscription.productId,
      planName: await planNameOf(manager, subscription.productId),
      quantity: subscription.quantity,
    };
    return prorationLine(
      'proration_credit',
      plan,
      negate(unused),
      { start: now, end: subscription.currentPeriodEnd },
      why,
    );
  }

  /**
   * The lines of a change made `at`: a credit of what was paid for the rest of the period (net of
   * discounts and earlier prorations), never the list price, so a discounted period gives back no more
   * than it cost; and the new plan's remaining time at list price, prorated by @astrix/pricing.
   */
  async changeLines(
    manager: EntityManager,
    subscription: Subscription,
    to: PlanSide & { amount: Money },
    at: Date,
  ): Promise<DraftLine[]> {
    const period = { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd };
    const credit = await this.creditLine(manager, subscription, at);
    // Over the full interval when the period is a stub to the billing anchor day: the plan's real rate.
    const charge = prorationLine('proration_charge', to, prorate(to.amount, pricedSpanOf(subscription), at), {
      start: at,
      end: period.end,
    });
    return credit ? [credit, charge] : [charge];
  }

  /** On resume, the time paid before the pause that the fresh period bills again. */
  resumeCredit(manager: EntityManager, subscription: Subscription, now: Date): Promise<DraftLine | null> {
    return this.creditLine(manager, subscription, now, 'paid before the pause');
  }

  /**
   * On cancel now with prorate: a credit invoice for the unused, paid time after `now`; its negative
   * total goes to the balance. Sets the subscription's latest invoice when one is issued.
   */
  async creditCancellation(manager: EntityManager, subscription: Subscription, now: Date): Promise<void> {
    const credit = await this.creditLine(manager, subscription, now, 'after cancellation');
    if (credit === null) return;
    const [invoice] = await this.invoices.issue(
      manager,
      subscription,
      { currency: subscription.currency },
      'subscription_update',
      { start: now, end: subscription.currentPeriodEnd },
      [credit],
      `sub:${subscription.id}:cancel:${now.toISOString()}`,
      { creditKind: 'cancellation_credit' },
    );
    subscription.latestInvoiceId = invoice.id;
  }
}

import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Money, add, money, negate, parseCurrencyCode, prorate } from '@astrix/pricing';
import { storedMoney } from '../money';
import { ChangeInvoices } from './change-invoices.service';
import { type DraftLine, type PlanSide, prorationLine } from './invoice-drafts';
import { planNameOf } from './plan-names';
import type { Subscription } from './subscription.entity';

/**
 * What a subscriber paid for the rest of the current period, given back when the period is cut
 * short: on a plan change now, an interval switch, a cancellation now with prorate, a resume. Always
 * what was paid (net of discounts and earlier prorations), never the list price.
 */
@Injectable()
export class UnusedTimeCredits {
  constructor(private readonly invoices: ChangeInvoices) {}

  /**
   * What was paid for the time after `now`: every paid plan and proration line covering now, net of
   * its discount, prorated by the second through @astrix/pricing.
   */
  async unusedPaidTime(manager: EntityManager, subscription: Subscription, now: Date): Promise<Money> {
    const paid: Array<{ net: string; period_start: Date; period_end: Date }> = await manager.query(
      `SELECT l.amount - l.discount AS net, l.period_start, l.period_end
         FROM billing.invoice_lines l JOIN billing.invoices i ON i.id = l.invoice_id
        WHERE i.subscription_id = $1 AND i.status = 'paid'
          AND l.kind IN ('plan', 'proration_credit', 'proration_charge')
          AND l.period_start <= $2 AND l.period_end > $2`,
      [subscription.id, now],
    );
    const currency = parseCurrencyCode(subscription.currency);
    return paid.reduce(
      (total, line) =>
        add(
          total,
          prorate(storedMoney(line.net, currency), { start: line.period_start, end: line.period_end }, now),
        ),
      money(0, currency),
    );
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
    const charge = prorationLine('proration_charge', to, prorate(to.amount, period, at), {
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

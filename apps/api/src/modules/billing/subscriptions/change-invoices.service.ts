import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../../platform/clock';
import { CustomerBalances } from '../customers/customer-balances.service';
import { Customer } from '../customers/customer.entity';
import { InvoiceCollection } from '../collection/invoice-collection.service';
import type { Invoice } from '../invoicing/invoice.entity';
import { type DraftLine, draftInvoice, withCoupon } from './invoice-drafts';
import { planNameOf } from './plan-names';
import { firstPaidPeriod, periodPlanLine, renewalInvoiceKey } from './renewal';
import { periodCouponOf } from './subscription-coupons';
import { type InvoiceToIssue, SubscriptionInvoicing } from './subscription-invoicing.service';
import type { Plan } from './subscription-plans';
import { Subscription } from './subscription.entity';

export type ChangeInvoiceReason = 'subscription_create' | 'subscription_cycle' | 'subscription_update';

/**
 * The invoices a subscriber's own action issues (subscribe, resume, plan change, cancellation
 * credit), outside the billing run: drafted with the customer's credit and the period coupon inside
 * the action's transaction, collected once it has committed.
 */
@Injectable()
export class ChangeInvoices {
  constructor(
    private readonly invoicing: SubscriptionInvoicing,
    private readonly balances: CustomerBalances,
    private readonly collection: InvoiceCollection,
    private readonly clock: Clock,
  ) {}

  async issue(
    manager: EntityManager,
    subscription: Subscription,
    plan: Pick<Plan, 'currency'>,
    reason: ChangeInvoiceReason,
    period: { start: Date; end: Date },
    lines: DraftLine[],
    idempotencyKey = renewalInvoiceKey(subscription.id, period.start),
    {
      newPeriod = reason !== 'subscription_update',
      creditKind,
    }: {
      /** Whether the invoice bills a new period (and so takes the coupon); default: all but mid-period changes. */
      newPeriod?: boolean;
      creditKind?: InvoiceToIssue['creditKind'];
    } = {},
  ): Promise<Invoice[]> {
    const credit = await this.balances.lockedBalance(manager, subscription.customerId, plan.currency);
    const customer = await manager.findOne(Customer, { where: { id: subscription.customerId } });
    // A coupon discounts period invoices (and counts them); a mid-period change is not a period.
    if (newPeriod && subscription.couponId !== null) {
      lines = withCoupon(plan.currency, lines, await periodCouponOf(manager, subscription));
      subscription.couponPeriodsBilled += 1;
      await manager.update(
        Subscription,
        { id: subscription.id },
        { couponPeriodsBilled: subscription.couponPeriodsBilled },
      );
    }
    return this.invoicing.issueMany(
      manager,
      [
        {
          subscription,
          customerEmail: customer?.email ?? null,
          reason,
          idempotencyKey,
          periodStart: period.start,
          periodEnd: period.end,
          draft: draftInvoice(plan.currency, lines, credit),
          creditKind,
        },
      ],
      this.clock.now(),
      { actor: { kind: 'system', name: 'subscriptions' }, requestId: null },
    );
  }

  /** First collection attempt of an invoice issued by a change; call after its transaction commits. */
  /**
   * Active from now (resume, reactivation): a fresh period, to the billing anchor day (prorated)
   * when there is one, invoiced at once at the subscription's own price (the plan it had, even if
   * archived since) with `extraLines`. Returns the invoice to collect after commit, when open.
   */
  async startFreshPeriod(
    manager: EntityManager,
    subscription: Subscription,
    now: Date,
    extraLines: DraftLine[],
  ): Promise<string | null> {
    const planName = await planNameOf(manager, subscription.productId);
    const fresh = firstPaidPeriod(
      now,
      subscription.interval,
      subscription.intervalCount,
      subscription.billingAnchorDay,
    );
    subscription.status = 'active';
    subscription.pausedAt = null;
    subscription.billingAnchor = fresh.billingAnchor;
    subscription.currentPeriodStart = fresh.period.start;
    subscription.currentPeriodEnd = fresh.period.end;
    const [invoice] = await this.issue(
      manager,
      subscription,
      { currency: subscription.currency },
      'subscription_cycle',
      fresh.period,
      [
        periodPlanLine({
          productId: subscription.productId,
          planName,
          currency: subscription.currency,
          unitAmount: subscription.unitAmount,
          quantity: subscription.quantity,
          period: fresh.period,
        }),
        ...extraLines,
      ],
    );
    subscription.latestInvoiceId = invoice.id;
    return invoice.status === 'open' ? invoice.id : null;
  }

  async collect(invoiceId: string): Promise<void> {
    await this.collection.collect(invoiceId, 1);
  }
}

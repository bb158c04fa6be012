import { Injectable } from '@nestjs/common';
import type { UpcomingInvoiceView } from '@astrix/contracts';
import { billingPeriodFor, money, multiply, parseCurrencyCode } from '@astrix/pricing';
import { Clock } from '../../../platform/clock';
import { ConflictError } from '../../../platform/http/app-error';
import { Product } from '../catalog/product.entity';
import { CustomerBalances } from '../customers/customer-balances.service';
import { billableUntil } from './billing-runs.service';
import { type DraftLine, draftInvoice, usageLine, withCoupon } from './invoice-drafts';
import { periodPlanLine, renewalOf, usagePeriodOf } from './renewal';
import { periodCouponOf } from './subscription-coupons';
import { assertQuantity } from './subscription-rules';
import { SubscriptionStore, type SubscriptionOwner } from './subscription-store.service';
import { UnusedTimeCredits } from './unused-time-credits.service';
import { UsageCharges } from './usage-charges.port';

/** The next invoice of a subscription as a read model: computed on request, never stored. */
@Injectable()
export class UpcomingInvoices {
  constructor(
    private readonly store: SubscriptionStore,
    private readonly unusedTime: UnusedTimeCredits,
    private readonly usage: UsageCharges,
    private readonly balances: CustomerBalances,
    private readonly clock: Clock,
  ) {}

  /**
   * The next invoice, computed and never stored: the plan for the next period (with the scheduled
   * change), usage of the current period, and, with a quantity override, the proration of changing
   * the seats now. Customer credit is applied as the billing run would.
   */
  async upcomingInvoice(
    subscriptionId: string,
    owner: SubscriptionOwner,
    quantityOverride?: number,
  ): Promise<UpcomingInvoiceView> {
    const manager = this.store.manager;
    const subscription = await this.store.find(manager, subscriptionId, owner);
    if (
      subscription.status === 'canceled' ||
      subscription.status === 'paused' ||
      subscription.cancelAtPeriodEnd
    ) {
      throw new ConflictError(
        `subscription ${subscription.id} has no upcoming invoice: it is ${subscription.cancelAtPeriodEnd ? 'canceling at period end' : subscription.status}`,
      );
    }
    if (quantityOverride !== undefined) assertQuantity(quantityOverride);
    const now = this.clock.now();
    const lines: DraftLine[] = [];
    const planProduct = await manager.findOneOrFail(Product, { where: { id: subscription.productId } });
    if (
      quantityOverride !== undefined &&
      quantityOverride !== subscription.quantity &&
      subscription.status !== 'trialing'
    ) {
      lines.push(
        ...(await this.unusedTime.changeLines(
          manager,
          subscription,
          {
            productId: subscription.productId,
            planName: planProduct.name,
            quantity: quantityOverride,
            amount: multiply(
              money(subscription.unitAmount, parseCurrencyCode(subscription.currency)),
              quantityOverride,
            ),
          },
          now < subscription.currentPeriodStart ? subscription.currentPeriodStart : now,
        )),
      );
    }
    const renewal = renewalOf(
      quantityOverride !== undefined && !subscription.scheduledChange
        ? { ...subscription, quantity: quantityOverride }
        : subscription,
    );
    const nextPeriod =
      renewal.nextPeriod ??
      billingPeriodFor(
        subscription.billingAnchor,
        subscription.interval,
        subscription.intervalCount,
        subscription.currentPeriodEnd,
      );
    const nextProduct =
      renewal.plan.productId === planProduct.id
        ? planProduct
        : await manager.findOneOrFail(Product, { where: { id: renewal.plan.productId } });
    lines.push(
      periodPlanLine({
        productId: nextProduct.id,
        planName: nextProduct.name,
        currency: subscription.currency,
        unitAmount: renewal.plan.unitAmount,
        quantity: renewal.plan.quantity,
        period: renewal.nextPeriod ?? { start: nextPeriod.start, end: nextPeriod.end },
      }),
    );
    if (!renewal.closedPeriodWasTrial) {
      const usage = await this.usage.linesFor(manager, [usagePeriodOf(subscription)]);
      for (const line of usage.get(subscription.id) ?? [])
        lines.push(usageLine(subscription.productId, line));
    }
    const credit = (await this.balances.balancesOf(subscription.customerId)).balances.find(
      (balance) => balance.currency === subscription.currency,
    );
    const draft = draftInvoice(
      subscription.currency,
      withCoupon(subscription.currency, lines, await periodCouponOf(manager, subscription)),
      credit?.amount ?? 0,
    );
    return {
      subscriptionId: subscription.id,
      currency: draft.currency,
      periodStart: nextPeriod.start.toISOString(),
      periodEnd: nextPeriod.end.toISOString(),
      lines: draft.lines.map((line) => ({
        kind: line.kind === 'purchase' ? 'plan' : line.kind,
        description: line.description,
        quantity: line.quantity,
        unitAmount: { amount: line.unitAmount, currency: draft.currency },
        amount: { amount: line.amount, currency: draft.currency },
        discount: { amount: line.discount, currency: draft.currency },
        periodStart: line.periodStart?.toISOString() ?? null,
        periodEnd: line.periodEnd?.toISOString() ?? null,
      })),
      subtotal: draft.subtotal,
      discount: draft.discount,
      creditApplied: draft.creditApplied,
      total: draft.total,
      amountDue: draft.amountDue,
      issuesAt: billableUntil(subscription.currentPeriodEnd, -1).toISOString(),
    };
  }
}

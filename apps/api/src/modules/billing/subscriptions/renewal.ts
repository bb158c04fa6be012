import type { SubscriptionStatus } from '@astrix/contracts';
import { billingPeriodFor } from '@astrix/pricing';
import type { Subscription } from './subscription.entity';
import type { ClosedUsagePeriod } from './usage-charges.port';

/** What closing a subscription's current period changes. */
export interface Renewal {
  subscriptionId: string;
  /** The boundary being crossed: the end of the period that closed. */
  boundary: Date;
  /** The period that closed (usage in it is invoiced in arrears). */
  closedPeriod: { start: Date; end: Date };
  /** The period billed in advance; null when the subscription ends at the boundary. */
  nextPeriod: { start: Date; end: Date } | null;
  status: { from: SubscriptionStatus; to: SubscriptionStatus };
  /** The plan after the boundary (a scheduled change takes effect here). */
  plan: { productId: string; priceId: string; unitAmount: number; quantity: number };
  planChanged: boolean;
  /**
   * True when the closed period was a free trial whose usage is not billed (the entitlement check
   * refused overage then); a trial whose plan bills trial overage is false: its usage is invoiced.
   */
  closedPeriodWasTrial: boolean;
}

/** The invoice of a boundary is unique per subscription and boundary. */
export function renewalInvoiceKey(subscriptionId: string, boundary: Date): string {
  return `sub:${subscriptionId}:period:${boundary.toISOString()}`;
}

/**
 * Decides what happens when a subscription's period ends: it ends (canceled at period end), or it
 * renews for the next period, on the scheduled plan if one is waiting, leaving a trial if it was in one.
 */
export function renewalOf(subscription: Subscription): Renewal {
  const boundary = subscription.currentPeriodEnd;
  const closedPeriod = { start: subscription.currentPeriodStart, end: boundary };
  const closedPeriodWasTrial = subscription.status === 'trialing' && subscription.trialOverage !== 'bill';
  const current = {
    productId: subscription.productId,
    priceId: subscription.priceId,
    unitAmount: subscription.unitAmount,
    quantity: subscription.quantity,
  };
  if (subscription.cancelAtPeriodEnd) {
    return {
      subscriptionId: subscription.id,
      boundary,
      closedPeriod,
      nextPeriod: null,
      status: { from: subscription.status, to: 'canceled' },
      plan: current,
      planChanged: false,
      closedPeriodWasTrial,
    };
  }
  const scheduled = subscription.scheduledChange;
  const plan = scheduled
    ? {
        productId: scheduled.productId,
        priceId: scheduled.priceId,
        unitAmount: scheduled.unitAmount,
        quantity: scheduled.quantity,
      }
    : current;
  const next = billingPeriodFor(
    subscription.billingAnchor,
    subscription.interval,
    subscription.intervalCount,
    boundary,
  );
  return {
    subscriptionId: subscription.id,
    boundary,
    closedPeriod,
    nextPeriod: { start: next.start, end: next.end },
    status: {
      from: subscription.status,
      to: subscription.status === 'trialing' ? 'active' : subscription.status,
    },
    plan,
    planChanged: scheduled !== null,
    closedPeriodWasTrial,
  };
}

/** The subscription's current period, as the usage capability is asked about it. */
export function usagePeriodOf(subscription: Subscription): ClosedUsagePeriod {
  return {
    subscriptionId: subscription.id,
    customerId: subscription.customerId,
    productId: subscription.productId,
    currency: subscription.currency,
    periodStart: subscription.currentPeriodStart,
    periodEnd: subscription.currentPeriodEnd,
  };
}

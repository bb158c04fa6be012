import type {
  DunningView,
  EventType,
  SubscriptionChangeKind,
  SubscriptionStatus,
  SubscriptionView,
} from '@astrix/contracts';
import type { NewEvent } from '../../../platform/events/outbox.service';
import type { DunningCase } from '../collection/dunning-case.entity';
import type { Subscription } from './subscription.entity';

export function toSubscriptionView(subscription: Subscription): SubscriptionView {
  const scheduled = subscription.scheduledChange;
  return {
    id: subscription.id,
    customerId: subscription.customerId,
    userId: subscription.userId,
    productId: subscription.productId,
    priceId: subscription.priceId,
    status: subscription.status,
    quantity: subscription.quantity,
    unitAmount: { amount: subscription.unitAmount, currency: subscription.currency },
    interval: subscription.interval,
    intervalCount: subscription.intervalCount,
    trialEnd: subscription.trialEnd?.toISOString() ?? null,
    currentPeriodStart: subscription.currentPeriodStart.toISOString(),
    currentPeriodEnd: subscription.currentPeriodEnd.toISOString(),
    cancelAtPeriodEnd: subscription.cancelAtPeriodEnd,
    canceledAt: subscription.canceledAt?.toISOString() ?? null,
    endedAt: subscription.endedAt?.toISOString() ?? null,
    pausedAt: subscription.pausedAt?.toISOString() ?? null,
    scheduledChange: scheduled
      ? {
          productId: scheduled.productId,
          priceId: scheduled.priceId,
          quantity: scheduled.quantity,
          unitAmount: { amount: scheduled.unitAmount, currency: subscription.currency },
          effectiveAt: subscription.currentPeriodEnd.toISOString(),
        }
      : null,
    couponId: subscription.couponId,
    couponPeriodsBilled: subscription.couponPeriodsBilled,
    billingAnchorDay: subscription.billingAnchorDay,
    latestInvoiceId: subscription.latestInvoiceId,
    createdAt: subscription.createdAt.toISOString(),
  };
}

/** `billing.subscription.updated` for a subscription as it is after the change. */
export function subscriptionEvent(
  subscription: Subscription,
  from: SubscriptionStatus | null,
  change: SubscriptionChangeKind,
): NewEvent<EventType> {
  return {
    type: 'billing.subscription.updated',
    subject: subscription.id,
    data: {
      subscriptionId: subscription.id,
      userId: subscription.userId,
      customerId: subscription.customerId,
      productId: subscription.productId,
      from,
      to: subscription.status,
      currentPeriodEnd: subscription.currentPeriodEnd.toISOString(),
      change,
      quantity: subscription.quantity,
      cancelAtPeriodEnd: subscription.cancelAtPeriodEnd,
    },
    correlationId: subscription.id,
  };
}

export function toDunningView(dunning: DunningCase): DunningView {
  return {
    invoiceId: dunning.invoiceId,
    subscriptionId: dunning.subscriptionId,
    customerId: dunning.customerId,
    status: dunning.status,
    failedAttempts: dunning.failedAttempts,
    retryDays: dunning.policy.retryDays,
    finalAction: dunning.policy.finalAction,
    nextAttemptAt: dunning.nextAttemptAt?.toISOString() ?? null,
    lastFailure:
      dunning.lastFailureCode || dunning.lastFailureMessage
        ? { code: dunning.lastFailureCode, message: dunning.lastFailureMessage }
        : null,
    startedAt: dunning.startedAt.toISOString(),
    resolvedAt: dunning.resolvedAt?.toISOString() ?? null,
  };
}

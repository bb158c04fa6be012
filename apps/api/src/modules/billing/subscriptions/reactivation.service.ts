import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { SubscriptionView } from '@astrix/contracts';
import type { RequestContext } from '../../../platform/auth/actor';
import { AppError, ConflictError } from '../../../platform/http/app-error';
import { Customer } from '../customers/customer.entity';
import { ChangeInvoices } from './change-invoices.service';
import { assertTransition, assertWithinReactivationGrace } from './subscription-rules';
import { SubscriptionStore, type SubscriptionOwner, type ChangeOutcome } from './subscription-store.service';
import type { Subscription } from './subscription.entity';
import { UnusedTimeCredits } from './unused-time-credits.service';

/**
 * Reactivation: undoing a cancellation scheduled for the period end while the period lasts, or
 * bringing a canceled subscription back (canceled → active) within the grace after it ended. A
 * subscription that comes back is billed from the reactivation: a fresh period starts then (to the
 * billing anchor day when it has one) and is invoiced and collected at once, so there is no free time;
 * time paid before the cancellation that the fresh period bills again is credited on that invoice.
 */
@Injectable()
export class SubscriptionReactivation {
  constructor(
    private readonly store: SubscriptionStore,
    private readonly invoices: ChangeInvoices,
    private readonly unusedTime: UnusedTimeCredits,
  ) {}

  async reactivate(
    subscriptionId: string,
    owner: SubscriptionOwner,
    context: RequestContext,
  ): Promise<SubscriptionView> {
    let toCollect: string | null = null;
    const view = await this.store.mutate(
      subscriptionId,
      owner,
      context,
      async (manager, subscription, now) => {
        if (subscription.status !== 'canceled') return undoScheduledCancel(subscription, now);
        const invoiceId = await this.reactivateCanceled(manager, subscription, now);
        if (invoiceId) toCollect = invoiceId;
        return { change: 'reactivated', action: 'subscription.reactivated' };
      },
    );
    if (toCollect) await this.invoices.collect(toCollect);
    return toCollect ? this.store.view(subscriptionId, owner) : view;
  }

  /** Canceled → active under the subscription's lock; returns the fresh period's invoice when open. */
  private async reactivateCanceled(
    manager: EntityManager,
    subscription: Subscription,
    now: Date,
  ): Promise<string | null> {
    assertWithinReactivationGrace(subscription.id, subscription.endedAt, now);
    assertTransition(subscription.id, subscription.status, 'active');
    await this.assertNothingUnpaid(manager, subscription);
    await this.assertNoOtherLiveSubscription(manager, subscription);
    await this.assertPaymentMethod(manager, subscription);

    // Read before the period moves: what was paid for time after now (a cancel-now inside a paid period).
    const overlap = await this.unusedTime.creditLine(
      manager,
      subscription,
      now,
      'paid before the cancellation',
    );
    subscription.cancelAtPeriodEnd = false;
    subscription.canceledAt = null;
    subscription.endedAt = null;
    subscription.scheduledChange = null;
    return this.invoices.startFreshPeriod(manager, subscription, now, overlap ? [overlap] : []);
  }

  /** An unpaid invoice of the subscription (a failed renewal, say) is settled before it comes back. */
  private async assertNothingUnpaid(manager: EntityManager, subscription: Subscription): Promise<void> {
    const unpaid: Array<{ id: string; status: string }> = await manager.query(
      `SELECT id, status FROM billing.invoices
        WHERE subscription_id = $1 AND status IN ('open', 'uncollectible')
        ORDER BY issued_at LIMIT 1`,
      [subscription.id],
    );
    if (unpaid.length > 0) {
      throw new ConflictError(
        `subscription ${subscription.id} has invoice ${unpaid[0].id} ${unpaid[0].status}: it is paid before the subscription is reactivated`,
        'UNPAID_INVOICE',
        [{ field: 'invoiceId', message: `invoice ${unpaid[0].id} is ${unpaid[0].status}` }],
      );
    }
  }

  /** One live subscription per plan per customer, under the lock subscribing takes. */
  private async assertNoOtherLiveSubscription(
    manager: EntityManager,
    subscription: Subscription,
  ): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `subscribe:${subscription.customerId}:${subscription.productId}`,
    ]);
    const live: Array<{ id: string }> = await manager.query(
      `SELECT id FROM billing.subscriptions
        WHERE customer_id = $1 AND product_id = $2 AND status <> 'canceled' AND id <> $3 LIMIT 1`,
      [subscription.customerId, subscription.productId, subscription.id],
    );
    if (live.length > 0) {
      throw new ConflictError(
        `customer already has subscription ${live[0].id} to plan ${subscription.productId}: subscription ${subscription.id} cannot be reactivated beside it`,
      );
    }
  }

  /** The fresh period is charged at once, to the default card. */
  private async assertPaymentMethod(manager: EntityManager, subscription: Subscription): Promise<void> {
    const customer = await manager.findOne(Customer, { where: { id: subscription.customerId } });
    if (!customer?.defaultPaymentMethodId) {
      throw new AppError(
        422,
        'UNPROCESSABLE',
        'reactivating charges the new period at once and needs a payment method: add one (POST /v1/billing/payment-methods/setup-intent) first',
        [{ field: 'paymentMethod', message: 'no default payment method on file' }],
      );
    }
  }
}

/** Undoes a cancellation scheduled for the period end, while the period lasts. */
function undoScheduledCancel(subscription: Subscription, now: Date): ChangeOutcome {
  if (!subscription.cancelAtPeriodEnd || now >= subscription.currentPeriodEnd) {
    throw new ConflictError(
      `subscription ${subscription.id} is not scheduled to cancel: nothing to reactivate`,
    );
  }
  subscription.cancelAtPeriodEnd = false;
  subscription.canceledAt = null;
  return { change: 'reactivated', action: 'subscription.reactivated' };
}

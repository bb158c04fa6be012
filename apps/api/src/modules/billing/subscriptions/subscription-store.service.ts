import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { SubscriptionChangeKind, SubscriptionStatus, SubscriptionView } from '@astrix/contracts';
import { AuditService } from '../../../platform/audit/audit.service';
import type { RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { OutboxService } from '../../../platform/events/outbox.service';
import { NotFoundError } from '../../../platform/http/app-error';
import type { SubscriptionStatusPort } from '../collection/subscription-status.port';
import { Subscription } from './subscription.entity';
import { subscriptionEvent, toSubscriptionView } from './subscription-views';

/** Who owns the subscription being acted on: a trader acts on their own, staff on anyone's. */
export type SubscriptionOwner = { userId: string } | 'staff';

/** The kinds of change made to an existing subscription (renewals belong to the billing run). */
type ChangeKind = Extract<
  SubscriptionChangeKind,
  | 'status_changed'
  | 'plan_changed'
  | 'change_scheduled'
  | 'cancel_scheduled'
  | 'reactivated'
  | 'trial_changed'
>;

/**
 * What a change did, for its event (`change`) and its audit row (`action`, with the staff member's
 * `reason` when one was given); null when nothing changed.
 */
export type ChangeOutcome = { change: ChangeKind; action: string; reason?: string } | null;

/**
 * Loads and saves subscription rows: a change locks the row, is applied, and commits with its
 * audit row and `billing.subscription.updated` event.
 */
@Injectable()
export class SubscriptionStore implements SubscriptionStatusPort {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** For reads outside a transaction. */
  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async find(
    manager: EntityManager,
    subscriptionId: string,
    owner: SubscriptionOwner,
    lock = false,
  ): Promise<Subscription> {
    const subscription = await manager.findOne(Subscription, {
      where: owner === 'staff' ? { id: subscriptionId } : { id: subscriptionId, userId: owner.userId },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    // Another user's subscription looks exactly like one that does not exist.
    if (!subscription) throw new NotFoundError('subscription', subscriptionId);
    return subscription;
  }

  async view(subscriptionId: string, owner: SubscriptionOwner): Promise<SubscriptionView> {
    return toSubscriptionView(await this.find(this.dataSource.manager, subscriptionId, owner));
  }

  /** Locks the subscription, applies the change, saves it with its audit row and event. */
  async mutate(
    subscriptionId: string,
    owner: SubscriptionOwner,
    context: RequestContext,
    change: (manager: EntityManager, subscription: Subscription, now: Date) => Promise<ChangeOutcome>,
  ): Promise<SubscriptionView> {
    const saved = await this.dataSource.transaction(async (manager) => {
      const subscription = await this.find(manager, subscriptionId, owner, true);
      const before = { ...subscription };
      const now = this.clock.now();
      const outcome = await change(manager, subscription, now);
      if (!outcome) return subscription;
      subscription.updatedAt = now;
      await manager.update(
        Subscription,
        { id: subscription.id },
        {
          status: subscription.status,
          productId: subscription.productId,
          priceId: subscription.priceId,
          unitAmount: subscription.unitAmount,
          quantity: subscription.quantity,
          interval: subscription.interval,
          intervalCount: subscription.intervalCount,
          billingAnchor: subscription.billingAnchor,
          currentPeriodStart: subscription.currentPeriodStart,
          currentPeriodEnd: subscription.currentPeriodEnd,
          cancelAtPeriodEnd: subscription.cancelAtPeriodEnd,
          canceledAt: subscription.canceledAt,
          endedAt: subscription.endedAt,
          pausedAt: subscription.pausedAt,
          scheduledChange: subscription.scheduledChange,
          latestInvoiceId: subscription.latestInvoiceId,
          updatedAt: now,
        },
      );
      await this.recordChange(
        manager,
        context,
        subscription,
        before,
        outcome.change,
        outcome.action,
        outcome.reason,
      );
      return subscription;
    });
    return toSubscriptionView(saved);
  }

  /** Collection's move (paid, or dunning's verdict), in its transaction and under its lock. */
  async moveByCollection(
    manager: EntityManager,
    subscription: Subscription,
    status: SubscriptionStatus,
    at: Date,
  ): Promise<Subscription> {
    const times = {
      ...(status === 'canceled' ? { canceledAt: at, endedAt: at } : {}),
      ...(status === 'paused' ? { pausedAt: at } : {}),
      updatedAt: at,
    };
    await manager.update(Subscription, { id: subscription.id }, { status, ...times });
    return { ...subscription, status, ...times };
  }

  /** The change's event and audit row, in the caller's transaction. */
  async recordChange(
    manager: EntityManager,
    context: RequestContext,
    subscription: Subscription,
    before: Subscription | null,
    change: ChangeKind | 'created',
    action: string,
    reason?: string,
  ): Promise<void> {
    const from: SubscriptionStatus | null = before?.status ?? null;
    await this.outbox.appendMany(manager, [subscriptionEvent(subscription, from, change)]);
    await this.audit.record(manager, context, {
      action,
      resourceType: 'subscription',
      resourceId: subscription.id,
      before: before ? { ...toSubscriptionView(before) } : null,
      after: { ...toSubscriptionView(subscription), ...(reason === undefined ? {} : { reason }) },
    });
  }
}

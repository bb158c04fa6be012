import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import type { EventType } from '@astrix/contracts';
import { AuditService } from '../../../platform/audit/audit.service';
import { Clock } from '../../../platform/clock';
import { OutboxService, type NewEvent } from '../../../platform/events/outbox.service';
import { JobQueue } from '../../../platform/queues/job-queue.service';
import { Product } from '../catalog/product.entity';
import { ChargeRecorder } from '../payments/charge-recorder.service';
import { invoiceEventData } from '../invoicing/invoice-events';
import { InvoiceWriter } from '../invoicing/invoice-writer.service';
import { Invoice } from '../invoicing/invoice.entity';
import { Subscription } from '../subscriptions/subscription.entity';
import { SubscriptionPlans } from '../subscriptions/subscription-plans';
import { subscriptionEvent } from '../subscriptions/subscription-views';
import {
  COLLECTION_ACTOR,
  type CollectionOutcome,
  lockedSubscriptionOf,
  type PaymentFailure,
} from './collection-outcome';
import { DunningCase } from './dunning-case.entity';
import { SubscriptionStatusPort } from './subscription-status.port';

const DAY_MS = 86_400_000;

/**
 * Dunning of failed renewals: retries on the plan's schedule, past_due after enough failures, then
 * pause or cancel and the invoice written off. The only writer of dunning cases.
 */
@Injectable()
export class InvoiceDunning {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writer: InvoiceWriter,
    private readonly plans: SubscriptionPlans,
    private readonly charges: ChargeRecorder,
    private readonly subscriptions: SubscriptionStatusPort,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
  ) {}

  /** The invoice was paid: its dunning, if any, ends recovered. */
  async recover(manager: EntityManager, invoiceId: string, at: Date): Promise<void> {
    await manager.update(
      DunningCase,
      { invoiceId, status: In(['active', 'paused']) },
      { status: 'recovered', nextAttemptAt: null, resolvedAt: at, updatedAt: at },
    );
  }

  /** Staff voided or wrote off the invoice: its dunning, if any, ends closed. */
  async close(manager: EntityManager, invoiceId: string, at: Date): Promise<void> {
    await manager.update(
      DunningCase,
      { invoiceId, status: In(['active', 'paused']) },
      { status: 'closed', nextAttemptAt: null, resolvedAt: at, updatedAt: at },
    );
  }

  /** The subscription ended (canceled): its dunning, if any, ends closed; nothing is retried for it. */
  async closeForSubscription(manager: EntityManager, subscriptionId: string, at: Date): Promise<void> {
    await manager.update(
      DunningCase,
      { subscriptionId, status: In(['active', 'paused']) },
      { status: 'closed', nextAttemptAt: null, resolvedAt: at, updatedAt: at },
    );
  }

  /**
   * A failed attempt, counted once per attempt number. Renewals enter dunning: the next retry is
   * scheduled from the plan's policy, the subscription turns past_due after enough failures, and when
   * no retry is left it is paused or canceled and the invoice written off.
   */
  async recordFailure(
    invoiceId: string,
    attempt: number,
    failure: PaymentFailure,
  ): Promise<CollectionOutcome> {
    const retry = await this.dataSource.transaction(async (manager) => {
      const invoice = await manager.findOne(Invoice, {
        where: { id: invoiceId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!invoice || invoice.status !== 'open') return null;
      if (invoice.actionUrl !== null || invoice.paymentIntentId !== null) {
        // That attempt is over: its confirmation link must not be offered any more.
        await this.writer.endPaymentAttempt(manager, invoiceId);
      }
      const now = this.clock.now();
      const subscription = await lockedSubscriptionOf(manager, invoice);
      if (!subscription || invoice.billingReason === 'subscription_create') {
        // A first payment that fails leaves the subscription incomplete; the customer retries.
        await this.emitFailure(manager, invoice, attempt, failure, null);
        return null;
      }
      let dunning = await manager.findOne(DunningCase, { where: { invoiceId } });
      if (dunning && dunning.failedAttempts >= attempt) return null;
      if (!dunning) {
        const product = await manager.findOne(Product, { where: { id: subscription.productId } });
        dunning = manager.create(DunningCase, {
          invoiceId,
          subscriptionId: subscription.id,
          customerId: invoice.customerId,
          status: 'active',
          policy: this.plans.dunningPolicyFor(product),
          failedAttempts: 0,
          nextAttemptAt: null,
          lastFailureCode: null,
          lastFailureMessage: null,
          startedAt: now,
          resolvedAt: null,
          updatedAt: now,
        });
        await manager.insert(DunningCase, { ...dunning });
      }
      const failedAttempts = attempt;
      const retryDay = dunning.policy.retryDays[failedAttempts - 1];
      const exhausted = retryDay === undefined;
      const nextAttemptAt = exhausted ? null : new Date(dunning.startedAt.getTime() + retryDay * DAY_MS);
      await manager.update(
        DunningCase,
        { invoiceId },
        {
          failedAttempts,
          lastFailureCode: failure.code,
          lastFailureMessage: failure.message,
          nextAttemptAt: dunning.status === 'active' ? nextAttemptAt : null,
          ...(exhausted ? { status: 'exhausted' as const, resolvedAt: now } : {}),
          updatedAt: now,
        },
      );
      const events: NewEvent<EventType>[] = [];
      let status = subscription.status;
      if (
        failedAttempts >= dunning.policy.pastDueAfterAttempts &&
        (status === 'active' || status === 'trialing')
      ) {
        status = 'past_due';
      }
      if (exhausted && status !== 'canceled') {
        status = dunning.policy.finalAction === 'cancel' ? 'canceled' : 'paused';
        const writtenOff = await this.writer.close(manager, invoice, 'uncollectible', now);
        events.push({
          type: 'billing.invoice.marked_uncollectible',
          subject: invoiceId,
          data: invoiceEventData(writtenOff),
          correlationId: subscription.id,
        });
      }
      if (status !== subscription.status) {
        const changed = await this.subscriptions.moveByCollection(manager, subscription, status, now);
        events.push(subscriptionEvent(changed, subscription.status, 'status_changed'));
      }
      await this.outbox.appendMany(manager, events);
      const scheduled = dunning.status === 'active' ? nextAttemptAt : null;
      await this.emitFailure(manager, invoice, attempt, failure, scheduled);
      return scheduled;
    });
    if (retry) {
      const next = attempt + 1;
      await this.jobs.enqueue({
        name: 'billing.collect-invoice',
        payload: { invoiceId, attempt: next },
        jobId: `collect-${invoiceId}-${next}`,
        delayMs: Math.max(0, retry.getTime() - this.clock.now().getTime()),
      });
    }
    return 'failed';
  }

  private async emitFailure(
    manager: EntityManager,
    invoice: Invoice,
    attempt: number,
    failure: PaymentFailure,
    nextAttemptAt: Date | null,
  ): Promise<void> {
    await this.outbox.append(manager, {
      type: 'billing.invoice.payment_failed',
      subject: invoice.id,
      data: {
        ...invoiceEventData(invoice),
        attempt,
        failureCode: failure.code,
        failureMessage: failure.message,
        nextAttemptAt: nextAttemptAt?.toISOString() ?? null,
      },
      correlationId: invoice.subscriptionId,
    });
    await this.audit.record(manager, COLLECTION_ACTOR, {
      action: 'invoice.payment_failed',
      resourceType: 'invoice',
      resourceId: invoice.id,
      after: { attempt, failureCode: failure.code, nextAttemptAt: nextAttemptAt?.toISOString() ?? null },
    });
    // Every failed payment is also a billing.payment.failed, whatever it was for (once per attempt).
    const subscription = invoice.subscriptionId
      ? await manager.findOne(Subscription, { where: { id: invoice.subscriptionId } })
      : null;
    await this.charges.recordFailure(manager, {
      paidFor: 'invoice',
      checkoutSessionId: null,
      invoiceId: invoice.id,
      subscriptionId: invoice.subscriptionId,
      attempt,
      userId: invoice.userId,
      customerId: invoice.customerId,
      productId: subscription?.productId ?? null,
      amount: invoice.amountDue,
      currency: invoice.currency,
      reason: failure.message ?? failure.code ?? 'payment failed',
      declineCode: failure.code,
    });
  }
}

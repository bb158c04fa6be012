import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import type { EventType } from '@astrix/contracts';
import { CardDeclinedError, type PaymentProcessor, type ProcessorPaymentIntent } from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import type { RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { AppConfig } from '../../../platform/config/app-config';
import { OutboxService, type NewEvent } from '../../../platform/events/outbox.service';
import { newId } from '../../../platform/ids';
import { JobQueue } from '../../../platform/queues/job-queue.service';
import { Customer } from '../customers/customer.entity';
import { Invoice } from '../invoicing/invoice.entity';
import { Charge } from '../payments/charge.entity';
import { Product } from '../catalog/product.entity';
import { InjectPaymentProcessor } from '../../../platform/payment-processor/payment-processor.provider';
import { DunningCase } from './dunning-case.entity';
import { Subscription } from '../subscriptions/subscription.entity';
import { invoiceEventData } from '../subscriptions/subscription-invoicing.service';
import { SubscriptionPlans } from '../subscriptions/subscription-plans';
import { subscriptionEvent } from '../subscriptions/subscription-views';

const COLLECTION_ACTOR: RequestContext = { actor: { kind: 'system', name: 'collection' }, requestId: null };
const DAY_MS = 86_400_000;

export type CollectionOutcome = 'paid' | 'requires_action' | 'failed' | 'pending' | 'skipped';

export interface PaymentFailure {
  code: string | null;
  message: string | null;
}

/** The invoice's subscription, locked for the rest of the transaction (null for other invoices). */
function lockedSubscriptionOf(manager: EntityManager, invoice: Invoice): Promise<Subscription | null> {
  if (!invoice.subscriptionId) return Promise.resolve(null);
  return manager.findOne(Subscription, {
    where: { id: invoice.subscriptionId },
    lock: { mode: 'pessimistic_write' },
  });
}

/**
 * Collects subscription invoices off-session from the customer's default card. Each attempt is
 * claimed on the invoice first and uses its own processor idempotency key, so duplicate jobs,
 * webhooks and retries can neither charge twice nor count a failure twice. Failed renewals go to
 * dunning: retries on the plan's schedule, past_due, then pause or cancel.
 */
@Injectable()
export class InvoiceCollection {
  private readonly logger = new Logger(InvoiceCollection.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly plans: SubscriptionPlans,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** One attempt; `attempt` must be the next one (1 + attempts made) or nothing happens. */
  async collect(invoiceId: string, attempt: number): Promise<CollectionOutcome> {
    const claimed = await this.claimAttempt(invoiceId, attempt);
    if (!claimed) return 'skipped';
    const { invoice, customer } = claimed;
    if (!customer.stripeCustomerId || !customer.defaultPaymentMethodId) {
      return this.recordFailure(invoice.id, attempt, {
        code: 'no_payment_method',
        message: 'the customer has no default payment method',
      });
    }
    const idempotencyKey = `invoice:${invoice.id}:attempt:${attempt}`;
    let intent: ProcessorPaymentIntent;
    try {
      intent = await this.processor.createPaymentIntent(
        {
          amountMinor: invoice.amountDue,
          currency: invoice.currency,
          customerId: customer.stripeCustomerId,
          paymentMethodId: customer.defaultPaymentMethodId,
          confirm: true,
          offSession: true,
          description: `Invoice ${invoice.number}`,
          metadata: {
            invoiceId: invoice.id,
            subscriptionId: invoice.subscriptionId ?? '',
            attempt: String(attempt),
          },
        },
        idempotencyKey,
      );
    } catch (error) {
      if (!(error instanceof CardDeclinedError)) {
        // No answer from the processor: give the attempt back; the job retries it with the same key.
        await this.releaseAttempt(invoice.id, attempt);
        throw error;
      }
      if (error.requiresCustomerAuthentication && error.paymentIntentId) {
        return this.askForAuthentication(
          invoice,
          attempt,
          error.paymentIntentId,
          customer.defaultPaymentMethodId,
        );
      }
      return this.recordFailure(invoice.id, attempt, {
        code: error.declineCode ?? error.processorCode ?? 'card_declined',
        message: error.message,
      });
    }
    return this.settle(invoice.id, attempt, intent);
  }

  /** A payment intent of ours changed at the processor (webhook); returns whether it was ours. */
  async onPaymentIntent(intent: ProcessorPaymentIntent): Promise<boolean> {
    const invoiceId = intent.metadata.invoiceId;
    if (!invoiceId) return false;
    const attempt = Number(intent.metadata.attempt ?? '0');
    if (intent.status === 'requires_payment_method' || intent.status === 'canceled') {
      // Declines of our own off-session calls were recorded when the call answered; only failures
      // we could not see then (after 3-D Secure, or of a payment left processing) are news.
      const invoice = await this.dataSource.getRepository(Invoice).findOne({ where: { id: invoiceId } });
      if (!invoice || invoice.paymentIntentId !== intent.id) return true;
      // Webhooks carry a snapshot: an off-session decline is followed by our on-session confirmation,
      // so act on the intent as it is now.
      const current = await this.processor.getPaymentIntent(intent.id);
      await this.settle(invoiceId, attempt, current);
      return true;
    }
    await this.settle(invoiceId, attempt, intent);
    return true;
  }

  /** Retries every unpaid invoice of a customer now: called when their payment method changes. */
  async retryOpenInvoicesOf(customerId: string): Promise<void> {
    const invoices: Array<{ id: string; attempt_count: number }> = await this.dataSource.query(
      `SELECT i.id, i.attempt_count FROM billing.invoices i
         LEFT JOIN billing.dunning_cases d ON d.invoice_id = i.id
        WHERE i.customer_id = $1 AND i.status = 'open' AND i.subscription_id IS NOT NULL AND i.amount_due > 0
          AND (d.status IS NULL OR d.status = 'active')
        ORDER BY i.id`,
      [customerId],
    );
    for (const invoice of invoices) await this.collect(invoice.id, invoice.attempt_count + 1);
  }

  /** Dunning attempts whose time has come (the scheduler's safety net behind the delayed jobs). */
  async collectDueRetries(limit = 500): Promise<number> {
    const due: Array<{ invoice_id: string; attempt_count: number }> = await this.dataSource.query(
      `SELECT d.invoice_id, i.attempt_count FROM billing.dunning_cases d JOIN billing.invoices i ON i.id = d.invoice_id
        WHERE d.status = 'active' AND d.next_attempt_at <= $1 ORDER BY d.next_attempt_at LIMIT $2`,
      [this.clock.now(), limit],
    );
    for (const row of due) await this.collect(row.invoice_id, row.attempt_count + 1);
    return due.length;
  }

  private async settle(
    invoiceId: string,
    attempt: number,
    intent: ProcessorPaymentIntent,
  ): Promise<CollectionOutcome> {
    switch (intent.status) {
      case 'succeeded':
        await this.markPaid(invoiceId, intent);
        return 'paid';
      case 'requires_action':
        await this.recordActionRequired(invoiceId, attempt, intent.id, intent.nextActionUrl);
        return 'requires_action';
      case 'processing':
      case 'requires_capture':
      case 'requires_confirmation':
        // The outcome arrives by webhook, matched to the invoice through this intent.
        await this.dataSource
          .getRepository(Invoice)
          .update({ id: invoiceId, status: 'open' }, { paymentIntentId: intent.id });
        return 'pending';
      case 'requires_payment_method':
      case 'canceled':
        return this.recordFailure(invoiceId, attempt, {
          code: intent.lastPaymentFailure?.declineCode ?? intent.lastPaymentFailure?.code ?? intent.status,
          message: intent.lastPaymentFailure?.message ?? null,
        });
    }
  }

  /** The bank wants 3-D Secure: confirm on-session to get the hosted link the customer follows. */
  private async askForAuthentication(
    invoice: Invoice,
    attempt: number,
    paymentIntentId: string,
    paymentMethodId: string,
  ): Promise<CollectionOutcome> {
    const intent = await this.processor.confirmPaymentIntent(
      paymentIntentId,
      {
        paymentMethodId,
        returnUrl: `http://localhost:${this.config.port}/checkout/success?invoice=${invoice.id}`,
      },
      `invoice:${invoice.id}:attempt:${attempt}:authenticate`,
    );
    return this.settle(invoice.id, attempt, intent);
  }

  private async claimAttempt(
    invoiceId: string,
    attempt: number,
  ): Promise<{ invoice: Invoice; customer: Customer } | null> {
    return this.dataSource.transaction(async (manager) => {
      const invoice = await manager.findOne(Invoice, {
        where: { id: invoiceId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!invoice || invoice.status !== 'open' || invoice.amountDue <= 0) return null;
      if (invoice.attemptCount !== attempt - 1) return null;
      const dunning = await manager.findOne(DunningCase, { where: { invoiceId } });
      if (dunning && dunning.status !== 'active') return null;
      await manager.update(Invoice, { id: invoiceId }, { attemptCount: attempt });
      const customer = await manager.findOneOrFail(Customer, { where: { id: invoice.customerId } });
      return { invoice: { ...invoice, attemptCount: attempt }, customer };
    });
  }

  private async releaseAttempt(invoiceId: string, attempt: number): Promise<void> {
    await this.dataSource
      .getRepository(Invoice)
      .update({ id: invoiceId, attemptCount: attempt, status: 'open' }, { attemptCount: attempt - 1 });
  }

  /** Money arrived: the invoice is paid once, with a charge record; dunning ends; the plan is active. */
  async markPaid(invoiceId: string, intent: ProcessorPaymentIntent): Promise<void> {
    const processorCharge = intent.latestChargeId
      ? await this.processor.getCharge(intent.latestChargeId)
      : null;
    await this.dataSource.transaction(async (manager) => {
      const invoice = await manager.findOne(Invoice, {
        where: { id: invoiceId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!invoice || invoice.status === 'paid') return;
      if (invoice.status !== 'open') {
        // Money for an invoice support already voided or wrote off: record it, and say so loudly.
        this.logger.warn(`invoice ${invoice.id} was ${invoice.status} when payment ${intent.id} succeeded`);
      }
      const now = this.clock.now();
      const subscription = await lockedSubscriptionOf(manager, invoice);
      const charge = manager.create(Charge, {
        id: newId('chg'),
        customerId: invoice.customerId,
        userId: invoice.userId,
        checkoutSessionId: null,
        productId: subscription?.productId ?? 'unknown',
        amount: intent.amountReceivedMinor || invoice.amountDue,
        currency: invoice.currency,
        amountRefunded: 0,
        status: 'succeeded',
        stripePaymentIntentId: intent.id,
        stripeChargeId: processorCharge?.id ?? intent.latestChargeId,
        cardBrand: processorCharge?.card?.brand ?? null,
        cardLast4: processorCharge?.card?.last4 ?? null,
        cardFingerprint: processorCharge?.card?.fingerprint ?? null,
        cardCountry: processorCharge?.card?.country ?? null,
        riskLevel: processorCharge?.riskOutcome?.riskLevel ?? null,
        riskScore: processorCharge?.riskOutcome?.riskScore ?? null,
        couponId: null,
        discountAmount: 0,
        invoiceId: invoice.id,
        paidAt: processorCharge?.createdAt ?? now,
      });
      await manager.insert(Charge, { ...charge });
      const paid: Invoice = {
        ...invoice,
        status: 'paid',
        amountPaid: invoice.amountDue,
        amountDue: 0,
        paidAt: now,
        paymentIntentId: intent.id,
        chargeId: charge.id,
        actionUrl: null,
      };
      await manager.update(
        Invoice,
        { id: invoice.id },
        {
          status: paid.status,
          amountPaid: paid.amountPaid,
          amountDue: 0,
          paidAt: now,
          paymentIntentId: intent.id,
          chargeId: charge.id,
          actionUrl: null,
        },
      );
      await manager.update(
        DunningCase,
        { invoiceId: invoice.id, status: In(['active', 'paused']) },
        { status: 'recovered', nextAttemptAt: null, resolvedAt: now, updatedAt: now },
      );
      const events: NewEvent<EventType>[] = [
        {
          type: 'billing.invoice.paid',
          subject: invoice.id,
          data: invoiceEventData(paid),
          correlationId: invoice.subscriptionId,
        },
      ];
      if (subscription && (subscription.status === 'incomplete' || subscription.status === 'past_due')) {
        const from = subscription.status;
        const activated: Subscription = { ...subscription, status: 'active', updatedAt: now };
        await manager.update(Subscription, { id: subscription.id }, { status: 'active', updatedAt: now });
        events.push(subscriptionEvent(activated, from, 'status_changed'));
        await this.audit.record(manager, COLLECTION_ACTOR, {
          action: 'subscription.activated',
          resourceType: 'subscription',
          resourceId: subscription.id,
          before: { status: from },
          after: { status: 'active', invoiceId: invoice.id },
        });
      }
      await this.outbox.appendMany(manager, events);
      await this.audit.record(manager, COLLECTION_ACTOR, {
        action: 'invoice.paid',
        resourceType: 'invoice',
        resourceId: invoice.id,
        before: { status: invoice.status, amountDue: invoice.amountDue },
        after: { status: 'paid', chargeId: charge.id, paymentIntentId: intent.id },
      });
    });
  }

  private async recordActionRequired(
    invoiceId: string,
    attempt: number,
    paymentIntentId: string,
    actionUrl: string | null,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const invoice = await manager.findOne(Invoice, {
        where: { id: invoiceId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!invoice || invoice.status !== 'open' || invoice.actionUrl === actionUrl) return;
      await manager.update(Invoice, { id: invoiceId }, { paymentIntentId, actionUrl });
      const updated = { ...invoice, paymentIntentId, actionUrl };
      await this.outbox.append(manager, {
        type: 'billing.invoice.payment_action_required',
        subject: invoice.id,
        data: { ...invoiceEventData(updated), attempt, actionUrl: actionUrl ?? '' },
        correlationId: invoice.subscriptionId,
      });
      await this.audit.record(manager, COLLECTION_ACTOR, {
        action: 'invoice.payment_action_required',
        resourceType: 'invoice',
        resourceId: invoice.id,
        after: { attempt, paymentIntentId },
      });
    });
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
        await manager.update(Invoice, { id: invoiceId }, { actionUrl: null, paymentIntentId: null });
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
        await manager.update(
          Invoice,
          { id: invoiceId },
          { status: 'uncollectible', markedUncollectibleAt: now },
        );
        events.push({
          type: 'billing.invoice.marked_uncollectible',
          subject: invoiceId,
          data: invoiceEventData({ ...invoice, status: 'uncollectible' }),
          correlationId: subscription.id,
        });
      }
      if (status !== subscription.status) {
        const changed: Subscription = {
          ...subscription,
          status,
          ...(status === 'canceled' ? { canceledAt: now, endedAt: now } : {}),
          ...(status === 'paused' ? { pausedAt: now } : {}),
          updatedAt: now,
        };
        await manager.update(
          Subscription,
          { id: subscription.id },
          {
            status,
            ...(status === 'canceled' ? { canceledAt: now, endedAt: now } : {}),
            ...(status === 'paused' ? { pausedAt: now } : {}),
            updatedAt: now,
          },
        );
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
  }
}

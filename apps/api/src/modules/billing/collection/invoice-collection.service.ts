import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { EventType } from '@astrix/contracts';
import {
  CardDeclinedError,
  InvalidRequestError,
  ResourceNotFoundError,
  type PaymentProcessor,
  type ProcessorPaymentIntent,
} from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import { Clock } from '../../../platform/clock';
import { OutboxService, type NewEvent } from '../../../platform/events/outbox.service';
import { ConflictError } from '../../../platform/http/app-error';
import { Customer } from '../customers/customer.entity';
import { CustomersService, isUnknownProcessorCustomer } from '../customers/customers.service';
import { InvoiceCollectionPort } from '../invoicing/invoice-collection.port';
import { invoiceEventData } from '../invoicing/invoice-events';
import { InvoiceWriter } from '../invoicing/invoice-writer.service';
import { Invoice } from '../invoicing/invoice.entity';
import { Charge } from '../payments/charge.entity';
import { ChargeRecorder, type ProcessorPayment } from '../payments/charge-recorder.service';
import { RefundsService } from '../refunds/refunds.service';
import { InjectPaymentProcessor } from '../../../platform/payment-processor/payment-processor.provider';
import { COLLECTION_ACTOR, type CollectionOutcome, lockedSubscriptionOf } from './collection-outcome';
import { DunningCase } from './dunning-case.entity';
import { InvoiceDunning } from './invoice-dunning.service';
import { PaymentAuthentication } from './payment-authentication.service';
import { SubscriptionStatusPort } from './subscription-status.port';
import { subscriptionEvent } from '../subscriptions/subscription-views';

export type { CollectionOutcome, PaymentFailure } from './collection-outcome';

/**
 * Collects subscription invoices off-session from the customer's default card. Each attempt is
 * claimed on the invoice first and uses its own processor idempotency key, so duplicate jobs,
 * webhooks and retries can neither charge twice nor count a failure twice. Failures go to dunning
 * (InvoiceDunning); 3-D Secure to PaymentAuthentication; the invoice rows to invoicing's InvoiceWriter.
 */
@Injectable()
export class InvoiceCollection implements InvoiceCollectionPort {
  private readonly logger = new Logger(InvoiceCollection.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly writer: InvoiceWriter,
    private readonly dunning: InvoiceDunning,
    private readonly authentication: PaymentAuthentication,
    private readonly charges: ChargeRecorder,
    private readonly refunds: RefundsService,
    private readonly subscriptions: SubscriptionStatusPort,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly customers: CustomersService,
    private readonly clock: Clock,
  ) {}

  async collectFirstAttempt(invoiceId: string): Promise<void> {
    await this.collect(invoiceId, 1);
  }

  stopCollecting(manager: EntityManager, invoiceId: string, at: Date): Promise<void> {
    return this.dunning.close(manager, invoiceId, at);
  }

  /** One attempt; `attempt` must be the next one (1 + attempts made) or nothing happens. */
  async collect(invoiceId: string, attempt: number): Promise<CollectionOutcome> {
    const claimed = await this.claimAttempt(invoiceId, attempt);
    if (!claimed) return 'skipped';
    const { invoice, customer } = claimed;
    if (invoice.paymentIntentId) {
      // The previous attempt's intent could still be confirmed (3-D Secure) or settle: end it first.
      const previous = await this.cancelIntent(invoice.id, invoice.paymentIntentId);
      if (previous === 'paid') return 'paid';
      if (previous === 'in_flight') {
        await this.releaseAttempt(invoice.id, attempt);
        return 'pending';
      }
    }
    if (!customer.stripeCustomerId || !customer.defaultPaymentMethodId) {
      return this.dunning.recordFailure(invoice.id, attempt, {
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
      if (isUnknownProcessorCustomer(error, customer.stripeCustomerId)) {
        // The processor lost the customer (the sandbox restarted, a live account was cleaned) and
        // the saved card with it: link a new one without a card and wait for the trader to add one
        // (a new default retries this invoice).
        await this.customers.replaceProcessorCustomer(
          customer.id,
          customer.stripeCustomerId,
          COLLECTION_ACTOR,
        );
        return this.dunning.recordFailure(invoice.id, attempt, {
          code: 'no_payment_method',
          message: 'the processor no longer knows the customer or its card; a new card is needed',
        });
      }
      if (!(error instanceof CardDeclinedError)) {
        // No answer from the processor: give the attempt back; the job retries it with the same key.
        await this.releaseAttempt(invoice.id, attempt);
        throw error;
      }
      if (error.requiresCustomerAuthentication && error.paymentIntentId) {
        const confirmed = await this.authentication.confirmOnSession(
          invoice,
          attempt,
          error.paymentIntentId,
          customer.defaultPaymentMethodId,
        );
        return this.settle(invoice.id, attempt, confirmed);
      }
      return this.dunning.recordFailure(invoice.id, attempt, {
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
      // An attempt superseded by a later one (we cancelled it before starting the next) is no failure.
      if (attempt < invoice.attemptCount) return true;
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
        await this.authentication.recordActionRequired(invoiceId, attempt, intent.id, intent.nextActionUrl);
        return 'requires_action';
      case 'processing':
      case 'requires_capture':
      case 'requires_confirmation':
        // The outcome arrives by webhook, matched to the invoice through this intent.
        await this.writer.recordPendingPayment(this.dataSource.manager, invoiceId, intent.id);
        return 'pending';
      case 'requires_payment_method':
      case 'canceled':
        return this.dunning.recordFailure(invoiceId, attempt, {
          code: intent.lastPaymentFailure?.declineCode ?? intent.lastPaymentFailure?.code ?? intent.status,
          message: intent.lastPaymentFailure?.message ?? null,
        });
    }
  }

  /**
   * Voiding asks first: the outstanding intent of an open invoice is cancelled; one that had already
   * succeeded pays the invoice (so the void is then refused), one still processing refuses the void.
   */
  async cancelOutstandingPayment(invoiceId: string): Promise<void> {
    const invoice = await this.dataSource.getRepository(Invoice).findOne({ where: { id: invoiceId } });
    if (!invoice || invoice.status !== 'open' || !invoice.paymentIntentId) return;
    const outcome = await this.cancelIntent(invoice.id, invoice.paymentIntentId);
    if (outcome === 'in_flight') {
      throw new ConflictError(
        `invoice ${invoice.number} has a payment in flight (${invoice.paymentIntentId}): wait for its outcome`,
      );
    }
  }

  /**
   * Cancels an intent of an invoice at the processor. `canceled` when it can no longer take money
   * (cancelled now or before, or failed); `paid` when it had already succeeded, which settles the
   * invoice as its payment; `in_flight` while the processor may still take the money.
   */
  private async cancelIntent(
    invoiceId: string,
    paymentIntentId: string,
  ): Promise<'canceled' | 'paid' | 'in_flight'> {
    let intent: ProcessorPaymentIntent;
    try {
      intent = await this.processor.cancelPaymentIntent(
        paymentIntentId,
        'abandoned',
        `cancel:${paymentIntentId}`,
      );
    } catch (error) {
      // Refused because of its state (succeeded, processing, already canceled): look at it.
      if (!(error instanceof InvalidRequestError) || error instanceof ResourceNotFoundError) throw error;
      intent = await this.processor.getPaymentIntent(paymentIntentId);
    }
    switch (intent.status) {
      case 'succeeded':
        await this.markPaid(invoiceId, intent);
        return 'paid';
      case 'canceled':
      case 'requires_payment_method':
        return 'canceled';
      default:
        return 'in_flight';
    }
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
      await this.writer.recordAttempt(manager, invoiceId, attempt);
      const customer = await manager.findOneOrFail(Customer, { where: { id: invoice.customerId } });
      return { invoice: { ...invoice, attemptCount: attempt }, customer };
    });
  }

  private async releaseAttempt(invoiceId: string, attempt: number): Promise<void> {
    await this.writer.releaseAttempt(this.dataSource.manager, invoiceId, attempt);
  }

  /**
   * Money arrived. An open invoice is paid by it once, with a charge record; dunning ends; the plan is
   * active. An uncollectible invoice paid through its own outstanding intent is paid late. Money for
   * an invoice that did not need it (paid by another payment, void, or written off) is recorded as a
   * charge and refunded in full automatically, audited and announced: never kept, never swallowed.
   */
  async markPaid(invoiceId: string, intent: ProcessorPaymentIntent): Promise<void> {
    const processorCharge = intent.latestChargeId
      ? await this.processor.getCharge(intent.latestChargeId)
      : null;
    const now = this.clock.now();
    const outcome = await this.dataSource.transaction(async (manager) => {
      const invoice = await manager.findOne(Invoice, {
        where: { id: invoiceId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!invoice) return null;
      const payment: ProcessorPayment = {
        paymentIntentId: intent.id,
        processorCharge,
        processorChargeId: intent.latestChargeId,
        amount: intent.amountReceivedMinor || invoice.amountDue,
        currency: invoice.currency,
        paidAt: processorCharge?.createdAt ?? now,
      };
      const recorded = await this.charges.recorded(manager, payment);
      // This very payment already settled the invoice (a webhook after our own call, a replay).
      if (recorded && recorded.id === invoice.chargeId) return null;
      const paysLate = invoice.status === 'uncollectible' && invoice.paymentIntentId === intent.id;
      if (recorded || (invoice.status !== 'open' && !paysLate)) {
        return {
          kind: 'duplicate' as const,
          ...(await this.recordDuplicate(manager, invoice, payment, recorded)),
        };
      }
      const supersededIntent =
        invoice.paymentIntentId && invoice.paymentIntentId !== intent.id ? invoice.paymentIntentId : null;
      await this.settlePaid(manager, invoice, payment, paysLate, now);
      return { kind: 'paid' as const, supersededIntent };
    });
    if (!outcome) return;
    if (outcome.kind === 'duplicate') {
      await this.refundDuplicate(outcome.invoice, outcome.charge, intent.id);
    } else if (outcome.supersededIntent) {
      // Another intent of this invoice was waiting: it must not take the money a second time (if it
      // does anyway, that payment is refunded as a duplicate).
      try {
        await this.cancelIntent(invoiceId, outcome.supersededIntent);
      } catch (error) {
        this.logger.warn(
          `invoice ${invoiceId} is paid; cancelling its other intent ${outcome.supersededIntent} failed: ${(error as Error).message}`,
        );
      }
    }
  }

  private async settlePaid(
    manager: EntityManager,
    invoice: Invoice,
    payment: ProcessorPayment,
    late: boolean,
    now: Date,
  ): Promise<void> {
    const subscription = await lockedSubscriptionOf(manager, invoice);
    // The one charge writer: the charge, linked to this invoice, and billing.payment.completed.
    const charge = await this.charges.recordInvoicePayment(
      manager,
      invoice,
      subscription?.productId ?? null,
      payment,
      COLLECTION_ACTOR,
    );
    const paid = await this.writer.markPaid(manager, invoice, {
      paymentIntentId: payment.paymentIntentId ?? '',
      chargeId: charge.id,
      paidAt: now,
    });
    await this.dunning.recover(manager, invoice.id, now);
    const events: NewEvent<EventType>[] = [
      {
        type: 'billing.invoice.paid',
        subject: invoice.id,
        data: { ...invoiceEventData(paid), ...(late ? { paidLate: true } : {}) },
        correlationId: invoice.subscriptionId,
      },
    ];
    if (subscription && (subscription.status === 'incomplete' || subscription.status === 'past_due')) {
      const from = subscription.status;
      const activated = await this.subscriptions.moveByCollection(manager, subscription, 'active', now);
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
      action: late ? 'invoice.paid_late' : 'invoice.paid',
      resourceType: 'invoice',
      resourceId: invoice.id,
      before: { status: invoice.status, amountDue: invoice.amountDue },
      after: {
        status: 'paid',
        chargeId: charge.id,
        paymentIntentId: payment.paymentIntentId,
        paidLate: late,
      },
    });
  }

  /** Money the invoice does not need: recorded once as a charge of the invoice, to be refunded. */
  private async recordDuplicate(
    manager: EntityManager,
    invoice: Invoice,
    payment: ProcessorPayment,
    recorded: Charge | null,
  ): Promise<{ invoice: Invoice; charge: Charge }> {
    if (recorded) return { invoice, charge: recorded };
    const subscription = await lockedSubscriptionOf(manager, invoice);
    const charge = await this.charges.recordInvoicePayment(
      manager,
      invoice,
      subscription?.productId ?? null,
      payment,
      COLLECTION_ACTOR,
    );
    this.logger.warn(
      `payment ${payment.paymentIntentId} reached invoice ${invoice.id} while ${invoice.status}: charge ${charge.id} is refunded`,
    );
    await this.audit.record(manager, COLLECTION_ACTOR, {
      action: 'invoice.duplicate_payment_received',
      resourceType: 'invoice',
      resourceId: invoice.id,
      before: { status: invoice.status, chargeId: invoice.chargeId },
      after: { chargeId: charge.id, paymentIntentId: payment.paymentIntentId, amount: charge.amount },
    });
    return { invoice, charge };
  }

  /** Refunds a duplicate payment in full through refunds, then audits and announces it (once per refund). */
  private async refundDuplicate(invoice: Invoice, charge: Charge, paymentIntentId: string): Promise<void> {
    const refund = await this.refunds.refundDuplicatePayment(
      charge.id,
      `duplicate payment of invoice ${invoice.number} (${invoice.status})`,
      COLLECTION_ACTOR,
    );
    if (!refund) return; // already refunded, and announced when it was
    await this.dataSource.transaction(async (manager) => {
      const data = {
        chargeId: charge.id,
        refundId: refund.id,
        invoiceId: invoice.id,
        invoiceStatus: invoice.status,
        keptChargeId: invoice.chargeId,
        paymentIntentId,
        customerId: invoice.customerId,
        userId: invoice.userId,
        subscriptionId: invoice.subscriptionId,
        amount: charge.amount,
        currency: charge.currency,
        refundStatus: refund.status,
      };
      await this.audit.record(manager, COLLECTION_ACTOR, {
        action: 'charge.duplicate_refunded',
        resourceType: 'charge',
        resourceId: charge.id,
        after: { ...data },
      });
      await this.outbox.append(manager, {
        type: 'billing.payment.duplicate_refunded',
        subject: charge.id,
        data,
        correlationId: invoice.subscriptionId ?? invoice.id,
      });
    });
  }
}

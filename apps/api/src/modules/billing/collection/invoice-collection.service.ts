import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { EventType } from '@astrix/contracts';
import { CardDeclinedError, type PaymentProcessor, type ProcessorPaymentIntent } from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import { Clock } from '../../../platform/clock';
import { OutboxService, type NewEvent } from '../../../platform/events/outbox.service';
import { Customer } from '../customers/customer.entity';
import { InvoiceCollectionPort } from '../invoicing/invoice-collection.port';
import { invoiceEventData } from '../invoicing/invoice-events';
import { InvoiceWriter } from '../invoicing/invoice-writer.service';
import { Invoice } from '../invoicing/invoice.entity';
import { ChargeRecorder } from '../payments/charge-recorder.service';
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
    private readonly subscriptions: SubscriptionStatusPort,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
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
      // The one charge writer: the charge, linked to this invoice, and billing.payment.completed.
      const charge = await this.charges.recordInvoicePayment(
        manager,
        invoice,
        subscription?.productId ?? null,
        {
          paymentIntentId: intent.id,
          processorCharge,
          processorChargeId: intent.latestChargeId,
          amount: intent.amountReceivedMinor || invoice.amountDue,
          currency: invoice.currency,
          paidAt: processorCharge?.createdAt ?? now,
        },
        COLLECTION_ACTOR,
      );
      const paid = await this.writer.markPaid(manager, invoice, {
        paymentIntentId: intent.id,
        chargeId: charge.id,
        paidAt: now,
      });
      await this.dunning.recover(manager, invoice.id, now);
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
        action: 'invoice.paid',
        resourceType: 'invoice',
        resourceId: invoice.id,
        before: { status: invoice.status, amountDue: invoice.amountDue },
        after: { status: 'paid', chargeId: charge.id, paymentIntentId: intent.id },
      });
    });
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { PaymentProcessor, ProcessorPaymentIntent } from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import { AppConfig } from '../../../platform/config/app-config';
import { OutboxService } from '../../../platform/events/outbox.service';
import { InjectPaymentProcessor } from '../../../platform/payment-processor/payment-processor.provider';
import { invoiceEventData } from '../invoicing/invoice-events';
import { InvoiceWriter } from '../invoicing/invoice-writer.service';
import { Invoice } from '../invoicing/invoice.entity';
import { COLLECTION_ACTOR } from './collection-outcome';

/**
 * Strong customer authentication (3-D Secure) of off-session invoice payments: when the bank asks
 * for it, the payment is confirmed on-session for a hosted link, which the invoice offers until the
 * attempt ends.
 */
@Injectable()
export class PaymentAuthentication {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly writer: InvoiceWriter,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  /** The bank wants 3-D Secure: confirm on-session to get the hosted link the customer follows. */
  confirmOnSession(
    invoice: Invoice,
    attempt: number,
    paymentIntentId: string,
    paymentMethodId: string,
  ): Promise<ProcessorPaymentIntent> {
    return this.processor.confirmPaymentIntent(
      paymentIntentId,
      {
        paymentMethodId,
        returnUrl: `${this.config.publicUrl}/checkout/success?invoice=${invoice.id}`,
      },
      `invoice:${invoice.id}:attempt:${attempt}:authenticate`,
    );
  }

  /** Offers the confirmation link on the open invoice and tells the customer, once per link. */
  async recordActionRequired(
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
      await this.writer.recordActionRequired(manager, invoiceId, paymentIntentId, actionUrl);
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
}

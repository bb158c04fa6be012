import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { CreditNoteView } from '@astrix/contracts';
import { AuditService } from '../../../platform/audit/audit.service';
import { actorReference, RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { OutboxService } from '../../../platform/events/outbox.service';
import { ConflictError, NotFoundError } from '../../../platform/http/app-error';
import type { CreditNote } from './credit-note.entity';
import { Invoice } from './invoice.entity';
import { InvoicesService } from './invoices.service';

export function toCreditNoteView(note: CreditNote): CreditNoteView {
  return {
    id: note.id,
    number: note.number,
    invoiceId: note.invoiceId,
    refundId: note.refundId,
    amount: { amount: note.amount, currency: note.currency },
    reason: note.reason,
    issuedAt: note.issuedAt.toISOString(),
  };
}

/** What support and finance do to an invoice by hand: each change audited, with its event. */
@Injectable()
export class InvoiceStaffActions {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly invoices: InvoicesService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  /** Asks the notifications service (through `billing.receipt.resend_requested`) to send the receipt again. */
  async resendReceipt(
    invoiceId: string,
    email: string | undefined,
    context: RequestContext,
  ): Promise<{ invoiceId: string; email: string | null; eventId: string }> {
    return this.dataSource.transaction(async (manager) => {
      const invoice = await manager.findOne(Invoice, { where: { id: invoiceId } });
      if (!invoice) throw new NotFoundError('invoice', invoiceId);
      if (invoice.status === 'draft' || invoice.status === 'void') {
        throw new ConflictError(
          `invoice ${invoice.number} is ${invoice.status}: there is no receipt to send`,
        );
      }
      const to = email ?? invoice.customerEmail;
      const requestedBy = actorReference(context.actor).id;
      await this.audit.record(manager, context, {
        action: 'invoice.receipt_resend_requested',
        resourceType: 'invoice',
        resourceId: invoice.id,
        after: { email: to },
      });
      const event = await this.outbox.append(manager, {
        type: 'billing.receipt.resend_requested',
        subject: invoice.id,
        data: {
          invoiceId: invoice.id,
          invoiceNumber: invoice.number,
          userId: invoice.userId,
          customerId: invoice.customerId,
          email: to,
          requestedBy,
        },
        correlationId: context.requestId,
      });
      return { invoiceId: invoice.id, email: to, eventId: event.id };
    });
  }

  /** A credit note without a refund: money settled outside the processor, or a correction. */
  async issueCreditNote(
    invoiceId: string,
    amount: number,
    reason: string,
    context: RequestContext,
  ): Promise<CreditNoteView> {
    return this.dataSource.transaction(async (manager) => {
      const invoice = await manager.findOne(Invoice, { where: { id: invoiceId } });
      if (!invoice) throw new NotFoundError('invoice', invoiceId);
      const note = await this.invoices.issueCreditNote(manager, {
        invoiceId,
        refundId: null,
        amount,
        currency: invoice.currency,
        reason,
        issuedAt: this.clock.now(),
      });
      const view = toCreditNoteView(note);
      await this.audit.record(manager, context, {
        action: 'credit_note.issued',
        resourceType: 'invoice',
        resourceId: invoiceId,
        after: { ...view },
      });
      return view;
    });
  }

  async creditNotes(invoiceId: string): Promise<CreditNoteView[]> {
    return (await this.invoices.creditNotesFor(invoiceId)).map(toCreditNoteView);
  }
}

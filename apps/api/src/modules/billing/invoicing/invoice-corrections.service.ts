import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { InvoiceView } from '@astrix/contracts';
import { AuditService } from '../../../platform/audit/audit.service';
import { actorLabel, type RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { OutboxService } from '../../../platform/events/outbox.service';
import { AppError, ConflictError, NotFoundError } from '../../../platform/http/app-error';
import { CustomerBalances } from '../customers/customer-balances.service';
import { draftInvoice } from '../subscriptions/invoice-drafts';
import { Subscription } from '../subscriptions/subscription.entity';
import { InvoiceCollectionPort } from './invoice-collection.port';
import { invoiceEventData } from './invoice-events';
import { InvoiceLine } from './invoice-line.entity';
import { Invoice } from './invoice.entity';
import { InvoiceWriter } from './invoice-writer.service';
import { correctLines, type LineCorrection } from './regeneration-corrections';
import { InvoicesService } from './invoices.service';

/**
 * Staff corrections of unpaid invoices: write one off (uncollectible), void one (spent credit goes back
 * to the balance), and issue a replacement for a voided subscription invoice. Every action is audited
 * and closing an invoice ends its dunning in the same transaction.
 */
function requireReason(reason: string): void {
  if (reason.trim().length === 0) {
    throw new AppError(400, 'VALIDATION_ERROR', 'reason must not be empty', [
      { field: 'reason', message: 'required' },
    ]);
  }
}

@Injectable()
export class InvoiceCorrections {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writer: InvoiceWriter,
    private readonly invoices: InvoicesService,
    private readonly balances: CustomerBalances,
    private readonly collection: InvoiceCollectionPort,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async markUncollectible(invoiceId: string, reason: string, context: RequestContext): Promise<InvoiceView> {
    await this.closeInvoice(invoiceId, 'uncollectible', reason, context);
    return this.invoices.getInvoice(invoiceId);
  }

  /**
   * Voids an unpaid invoice; credit it had spent goes back to the customer's balance. Its outstanding
   * payment intent is cancelled first, so a 3-D Secure link followed later cannot pay a void invoice.
   */
  async voidInvoice(invoiceId: string, reason: string, context: RequestContext): Promise<InvoiceView> {
    requireReason(reason);
    await this.collection.cancelOutstandingPayment(invoiceId);
    await this.closeInvoice(invoiceId, 'void', reason, context);
    return this.invoices.getInvoice(invoiceId);
  }

  /**
   * A replacement for a voided subscription invoice (as Lago regenerates a voided invoice): the same
   * lines (quantities optionally corrected, see regeneration-corrections.ts) under a new number, credit applied again, posted to the books as a new finalized invoice,
   * collected at once, and linked to the voided one (`regeneratedFromInvoiceId`). One replacement per
   * voided invoice: under the voided invoice's lock, a second attempt is a 409 naming the first.
   */
  async regenerate(
    invoiceId: string,
    reason: string,
    context: RequestContext,
    corrections: readonly LineCorrection[] = [],
  ): Promise<InvoiceView> {
    requireReason(reason);
    const replacement = await this.dataSource.transaction(async (manager) => {
      const voided = await manager.findOne(Invoice, {
        where: { id: invoiceId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!voided) throw new NotFoundError('invoice', invoiceId);
      if (voided.status !== 'void') {
        throw new ConflictError(
          `invoice ${voided.number} is ${voided.status}: only a voided invoice can be regenerated (void it first)`,
          'INVOICE_NOT_VOID',
        );
      }
      if (!voided.subscriptionId) {
        throw new ConflictError(
          `invoice ${voided.number} is not a subscription invoice: only voided subscription invoices can be regenerated (a purchase is bought again through checkout)`,
          'NOT_REGENERABLE',
        );
      }
      const key = `regenerated:${voided.id}`;
      const existing = await manager.findOne(Invoice, {
        where: [{ regeneratedFromInvoiceId: voided.id }, { idempotencyKey: key }],
      });
      if (existing) {
        throw new ConflictError(
          `invoice ${voided.number} was already regenerated as ${existing.number} (${existing.id}, ${existing.status}): a voided invoice is replaced once${existing.status === 'void' ? `; regenerate ${existing.number} instead` : ''}`,
          'ALREADY_REGENERATED',
        );
      }
      // One payable invoice per period: a replacement is refused while another one is open, written off or paid.
      const [payable] = (await manager.query(
        `SELECT number, status FROM billing.invoices
          WHERE subscription_id = $1 AND billing_reason = $2 AND id <> $3
            AND period_start IS NOT DISTINCT FROM $4 AND period_end IS NOT DISTINCT FROM $5
            AND status IN ('open', 'uncollectible', 'paid')
          LIMIT 1`,
        [voided.subscriptionId, voided.billingReason, voided.id, voided.periodStart, voided.periodEnd],
      )) as Array<{ number: string; status: string }>;
      if (payable) {
        throw new ConflictError(
          `invoice ${payable.number} (${payable.status}) already bills this period: regenerating ${voided.number} would bill it twice`,
        );
      }
      const lines = correctLines(
        voided.currency,
        await manager.find(InvoiceLine, { where: { invoiceId }, order: { position: 'ASC' } }),
        corrections,
      );
      const subscription = await manager.findOneOrFail(Subscription, {
        where: { id: voided.subscriptionId },
      });
      const credit = await this.balances.lockedBalance(manager, voided.customerId, voided.currency);
      const draft = draftInvoice(
        voided.currency,
        lines.map((line) => ({
          kind: line.kind,
          description: line.description,
          productId: line.productId,
          featureId: line.featureId,
          quantity: line.quantity,
          unitAmount: line.unitAmount,
          amount: line.amount,
          discount: line.discount,
          periodStart: line.periodStart,
          periodEnd: line.periodEnd,
        })),
        credit,
      );
      const [invoice] = await this.writer.issue(
        manager,
        [
          {
            customerId: subscription.customerId,
            userId: subscription.userId,
            subscriptionId: subscription.id,
            customerEmail: voided.customerEmail,
            billingReason: voided.billingReason,
            idempotencyKey: key,
            periodStart: voided.periodStart ?? subscription.currentPeriodStart,
            periodEnd: voided.periodEnd ?? subscription.currentPeriodEnd,
            draft,
          },
        ],
        this.clock.now(),
        context,
      );
      await manager.update(Invoice, { id: invoice.id }, { regeneratedFromInvoiceId: voided.id });
      await this.outbox.append(manager, {
        type: 'billing.invoice.regenerated',
        subject: invoice.id,
        data: {
          ...invoiceEventData(invoice),
          regeneratedFromInvoiceId: voided.id,
          regeneratedFromNumber: voided.number,
        },
        correlationId: invoice.subscriptionId,
      });
      await this.audit.record(manager, context, {
        action: 'invoice.regenerated',
        resourceType: 'invoice',
        resourceId: invoice.id,
        before: { replaces: voided.id, number: voided.number },
        after: {
          number: invoice.number,
          total: invoice.total,
          reason,
          ...(corrections.length > 0 ? { corrections: [...corrections] } : {}),
        },
      });
      return invoice;
    });
    if (replacement.status === 'open' && replacement.attemptCount === 0) {
      await this.collection.collectFirstAttempt(replacement.id);
    }
    return this.invoices.getInvoice(replacement.id);
  }

  private async closeInvoice(
    invoiceId: string,
    to: 'void' | 'uncollectible',
    reason: string,
    context: RequestContext,
  ): Promise<void> {
    requireReason(reason);
    await this.dataSource.transaction(async (manager: EntityManager) => {
      const invoice = await manager.findOne(Invoice, {
        where: { id: invoiceId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!invoice) throw new NotFoundError('invoice', invoiceId);
      if (invoice.status === 'paid') {
        throw new ConflictError(
          `invoice ${invoice.number} is paid: it cannot be ${to === 'void' ? 'voided' : 'marked uncollectible'} (issue a credit note instead)`,
        );
      }
      const now = this.clock.now();
      const closed = await this.writer.close(manager, invoice, to, now);
      await this.collection.stopCollecting(manager, invoiceId, now);
      if (to === 'void' && invoice.creditApplied > 0) {
        await this.balances.credit(manager, {
          customerId: invoice.customerId,
          currency: invoice.currency,
          amount: invoice.creditApplied,
          kind: 'invoice_voided',
          reference: `invoice:${invoice.id}:voided`,
          description: `Credit returned from voided invoice ${invoice.number}`,
          createdBy: actorLabel(context.actor),
          invoiceId: invoice.id,
          subscriptionId: invoice.subscriptionId,
        });
      }
      await this.outbox.append(manager, {
        type: to === 'void' ? 'billing.invoice.voided' : 'billing.invoice.marked_uncollectible',
        subject: invoice.id,
        data: invoiceEventData(closed),
        correlationId: invoice.subscriptionId,
      });
      await this.audit.record(manager, context, {
        action: to === 'void' ? 'invoice.voided' : 'invoice.marked_uncollectible',
        resourceType: 'invoice',
        resourceId: invoice.id,
        before: { status: invoice.status },
        after: { status: to, reason },
      });
    });
  }
}

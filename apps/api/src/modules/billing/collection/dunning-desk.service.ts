import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, LessThan } from 'typeorm';
import type { BalanceTransactionView, DunningView, InvoiceView, Page } from '@astrix/contracts';
import { AuditService } from '../../../platform/audit/audit.service';
import { actorLabel, type RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { OutboxService } from '../../../platform/events/outbox.service';
import { AppError, ConflictError, NotFoundError } from '../../../platform/http/app-error';
import { toPage } from '../../../platform/http/pagination';
import { Customer } from '../customers/customer.entity';
import { InvoiceLine } from '../invoicing/invoice-line.entity';
import { Invoice } from '../invoicing/invoice.entity';
import { InvoicesService } from '../invoicing/invoices.service';
import { CustomerBalances, toBalanceTransactionView } from '../customers/customer-balances.service';
import { DunningCase } from './dunning-case.entity';
import { CollectionOutcome, InvoiceCollection } from './invoice-collection.service';
import { invoiceEventData } from '../subscriptions/subscription-invoicing.service';
import { toDunningView } from '../subscriptions/subscription-views';
import { draftInvoice } from '../subscriptions/invoice-drafts';
import { Subscription } from '../subscriptions/subscription.entity';
import { SubscriptionInvoicing } from '../subscriptions/subscription-invoicing.service';

/**
 * Support's levers over collection: see dunning, retry now, pause or resume it, write an invoice off
 * (uncollectible) or void it, and credit a customer's balance as goodwill. Every action is audited.
 */
@Injectable()
export class DunningDesk {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly collection: InvoiceCollection,
    private readonly balances: CustomerBalances,
    private readonly invoices: InvoicesService,
    private readonly invoicing: SubscriptionInvoicing,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async get(invoiceId: string): Promise<DunningView> {
    const dunning = await this.dataSource.getRepository(DunningCase).findOne({ where: { invoiceId } });
    if (!dunning) throw new NotFoundError('dunning case for invoice', invoiceId);
    return toDunningView(dunning);
  }

  /** Cases by status (default: those still collecting), newest first. */
  async list(
    filter: { status?: DunningView['status']; customerId?: string },
    page: { limit: number; cursor?: string },
  ): Promise<Page<DunningView>> {
    const where = {
      ...(filter.status ? { status: filter.status } : { status: In(['active', 'paused']) }),
      ...(filter.customerId ? { customerId: filter.customerId } : {}),
      ...(page.cursor ? { invoiceId: LessThan(page.cursor) } : {}),
    };
    const rows = await this.dataSource.getRepository(DunningCase).find({
      where,
      order: { invoiceId: 'DESC' },
      take: page.limit + 1,
    });
    return toPage(
      rows.map((row) => ({ id: row.invoiceId, row })),
      page.limit,
      ({ row }) => toDunningView(row),
    );
  }

  async retryNow(
    invoiceId: string,
    context: RequestContext,
  ): Promise<{ outcome: CollectionOutcome; invoice: InvoiceView }> {
    const invoice = await this.openInvoice(invoiceId);
    const dunning = await this.dataSource.getRepository(DunningCase).findOne({ where: { invoiceId } });
    if (dunning && dunning.status !== 'active') {
      throw new ConflictError(
        `dunning of invoice ${invoice.number} is ${dunning.status}: resume it before retrying`,
      );
    }
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, context, {
        action: 'dunning.retry_requested',
        resourceType: 'invoice',
        resourceId: invoiceId,
        after: { attempt: invoice.attemptCount + 1 },
      }),
    );
    const outcome = await this.collection.collect(invoiceId, invoice.attemptCount + 1);
    return { outcome, invoice: await this.invoices.getInvoice(invoiceId) };
  }

  async pause(invoiceId: string, context: RequestContext): Promise<DunningView> {
    return this.setStatus(invoiceId, 'active', 'paused', context);
  }

  async resume(invoiceId: string, context: RequestContext): Promise<DunningView> {
    return this.setStatus(invoiceId, 'paused', 'active', context);
  }

  async markUncollectible(invoiceId: string, reason: string, context: RequestContext): Promise<InvoiceView> {
    await this.closeInvoice(invoiceId, 'uncollectible', reason, context);
    return this.invoices.getInvoice(invoiceId);
  }

  /** Voids an unpaid invoice; credit it had spent goes back to the customer's balance. */
  async voidInvoice(invoiceId: string, reason: string, context: RequestContext): Promise<InvoiceView> {
    await this.closeInvoice(invoiceId, 'void', reason, context);
    return this.invoices.getInvoice(invoiceId);
  }

  async goodwillCredit(
    customerId: string,
    input: { amount: number; currency: string; reason: string; reference: string },
    context: RequestContext,
  ): Promise<BalanceTransactionView> {
    return this.dataSource.transaction(async (manager) => {
      const customer = await manager.findOne(Customer, { where: { id: customerId } });
      if (!customer) throw new NotFoundError('customer', customerId);
      const entry = await this.balances.credit(manager, {
        customerId,
        currency: input.currency,
        amount: input.amount,
        kind: 'goodwill_credit',
        reference: input.reference,
        description: input.reason,
        createdBy: actorLabel(context.actor),
      });
      await this.audit.record(manager, context, {
        action: 'customer_balance.goodwill_credit',
        resourceType: 'customer',
        resourceId: customerId,
        after: { ...toBalanceTransactionView(entry) },
      });
      return toBalanceTransactionView(entry);
    });
  }

  private async openInvoice(invoiceId: string): Promise<Invoice> {
    const invoice = await this.dataSource.getRepository(Invoice).findOne({ where: { id: invoiceId } });
    if (!invoice) throw new NotFoundError('invoice', invoiceId);
    if (invoice.status !== 'open')
      throw new ConflictError(`invoice ${invoice.number} is ${invoice.status}, not open`);
    return invoice;
  }

  private async setStatus(
    invoiceId: string,
    from: 'active' | 'paused',
    to: 'active' | 'paused',
    context: RequestContext,
  ): Promise<DunningView> {
    const updated = await this.dataSource.transaction(async (manager) => {
      const dunning = await manager.findOne(DunningCase, {
        where: { invoiceId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!dunning) throw new NotFoundError('dunning case for invoice', invoiceId);
      if (dunning.status !== from) {
        throw new ConflictError(
          `dunning of invoice ${invoiceId} is ${dunning.status}: it can be ${to === 'paused' ? 'paused' : 'resumed'} only when ${from}`,
        );
      }
      const now = this.clock.now();
      // Resuming schedules the next retry now rather than at a date that may have passed.
      const nextAttemptAt = to === 'active' ? now : null;
      await manager.update(DunningCase, { invoiceId }, { status: to, nextAttemptAt, updatedAt: now });
      await this.audit.record(manager, context, {
        action: to === 'paused' ? 'dunning.paused' : 'dunning.resumed',
        resourceType: 'invoice',
        resourceId: invoiceId,
        before: { status: from },
        after: { status: to },
      });
      return { ...dunning, status: to, nextAttemptAt, updatedAt: now };
    });
    return toDunningView(updated);
  }

  private async closeInvoice(
    invoiceId: string,
    to: 'void' | 'uncollectible',
    reason: string,
    context: RequestContext,
  ): Promise<void> {
    if (reason.trim().length === 0) {
      throw new AppError(400, 'VALIDATION_ERROR', 'reason must not be empty', [
        { field: 'reason', message: 'required' },
      ]);
    }
    await this.dataSource.transaction(async (manager: EntityManager) => {
      const invoice = await manager.findOne(Invoice, {
        where: { id: invoiceId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!invoice) throw new NotFoundError('invoice', invoiceId);
      const allowed = to === 'void' ? ['draft', 'open'] : ['open'];
      if (!allowed.includes(invoice.status)) {
        throw new ConflictError(
          `invoice ${invoice.number} is ${invoice.status}: only ${allowed.join(' or ')} invoices can be ${to === 'void' ? 'voided' : 'marked uncollectible'}${invoice.status === 'paid' ? ' (issue a credit note instead)' : ''}`,
        );
      }
      const now = this.clock.now();
      await manager.update(
        Invoice,
        { id: invoiceId },
        to === 'void'
          ? { status: 'void', voidedAt: now }
          : { status: 'uncollectible', markedUncollectibleAt: now },
      );
      await manager.update(
        DunningCase,
        { invoiceId, status: In(['active', 'paused']) },
        { status: 'closed', nextAttemptAt: null, resolvedAt: now, updatedAt: now },
      );
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
      const closed = { ...invoice, status: to };
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

  /**
   * A replacement for a voided subscription invoice: the same lines under a new number, credit
   * applied again, collected at once. One replacement per voided invoice.
   */
  async regenerate(invoiceId: string, context: RequestContext): Promise<InvoiceView> {
    const replacement = await this.dataSource.transaction(async (manager) => {
      const voided = await manager.findOne(Invoice, {
        where: { id: invoiceId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!voided) throw new NotFoundError('invoice', invoiceId);
      if (voided.status !== 'void' || !voided.subscriptionId) {
        throw new ConflictError(
          `invoice ${voided.number} is ${voided.status}${voided.subscriptionId ? '' : ' and not a subscription invoice'}: only voided subscription invoices can be regenerated`,
        );
      }
      const key = `regenerated:${voided.id}`;
      const existing = await manager.findOne(Invoice, { where: { idempotencyKey: key } });
      if (existing) return existing;
      const lines = await manager.find(InvoiceLine, { where: { invoiceId }, order: { position: 'ASC' } });
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
      const [invoice] = await this.invoicing.issueMany(
        manager,
        [
          {
            subscription,
            customerEmail: voided.customerEmail,
            reason: voided.billingReason,
            idempotencyKey: key,
            periodStart: voided.periodStart ?? subscription.currentPeriodStart,
            periodEnd: voided.periodEnd ?? subscription.currentPeriodEnd,
            draft,
          },
        ],
        this.clock.now(),
        context,
      );
      await this.audit.record(manager, context, {
        action: 'invoice.regenerated',
        resourceType: 'invoice',
        resourceId: invoice.id,
        before: { replaces: voided.id, number: voided.number },
        after: { number: invoice.number, total: invoice.total },
      });
      return invoice;
    });
    if (replacement.status === 'open' && replacement.attemptCount === 0) {
      await this.collection.collect(replacement.id, 1);
    }
    return this.invoices.getInvoice(replacement.id);
  }
}

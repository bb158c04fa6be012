import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, LessThan } from 'typeorm';
import type { BalanceTransactionView, DunningView, InvoiceView, Page } from '@astrix/contracts';
import { AuditService } from '../../../platform/audit/audit.service';
import { actorLabel, type RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { ConflictError, NotFoundError } from '../../../platform/http/app-error';
import { toPage } from '../../../platform/http/pagination';
import { Customer } from '../customers/customer.entity';
import { Invoice } from '../invoicing/invoice.entity';
import { InvoicesService } from '../invoicing/invoices.service';
import { CustomerBalances, toBalanceTransactionView } from '../customers/customer-balances.service';
import { DunningCase } from './dunning-case.entity';
import { type CollectionOutcome, InvoiceCollection } from './invoice-collection.service';
import { toDunningView } from '../subscriptions/subscription-views';

/**
 * Support's levers over collection: see dunning, retry now, pause or resume it, and credit a
 * customer's balance as goodwill. Every action is audited. Voiding and writing invoices off is
 * invoicing's (InvoiceCorrections).
 */
@Injectable()
export class DunningDesk {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly collection: InvoiceCollection,
    private readonly balances: CustomerBalances,
    private readonly invoices: InvoicesService,
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
}

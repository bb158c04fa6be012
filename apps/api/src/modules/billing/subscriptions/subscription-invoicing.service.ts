import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { InvoiceBillingReason, InvoiceEventData } from '@astrix/contracts';
import { AuditService } from '../../../platform/audit/audit.service';
import { actorLabel, type RequestContext } from '../../../platform/auth/actor';
import { OutboxService, type NewEvent } from '../../../platform/events/outbox.service';
import { newId } from '../../../platform/ids';
import type { EventType } from '@astrix/contracts';
import { DocumentNumbers } from '../invoicing/document-numbers.service';
import { Invoice } from '../invoicing/invoice.entity';
import { ASTRIX_SELLER } from '../invoicing/seller';
import { CustomerBalances } from '../customers/customer-balances.service';
import type { DraftInvoice, DraftLine } from './invoice-drafts';
import type { Subscription } from './subscription.entity';

export interface InvoiceToIssue {
  subscription: Pick<Subscription, 'id' | 'customerId' | 'userId'>;
  customerEmail: string | null;
  reason: InvoiceBillingReason;
  /** One invoice per key: (subscription, period) for renewals. */
  idempotencyKey: string;
  periodStart: Date;
  periodEnd: Date;
  draft: DraftInvoice;
  /** How a negative total reaches the balance; default a plan change's credit. */
  creditKind?: 'downgrade_credit' | 'cancellation_credit';
}

export function invoiceEventData(invoice: Invoice): InvoiceEventData {
  return {
    invoiceId: invoice.id,
    number: invoice.number,
    customerId: invoice.customerId,
    userId: invoice.userId,
    subscriptionId: invoice.subscriptionId,
    billingReason: invoice.billingReason,
    status: invoice.status,
    currency: invoice.currency,
    total: invoice.total,
    amountDue: invoice.amountDue,
    periodStart: invoice.periodStart?.toISOString() ?? null,
    periodEnd: invoice.periodEnd?.toISOString() ?? null,
    dueAt: invoice.dueAt?.toISOString() ?? null,
  };
}

/**
 * Writes subscription invoices, finalized (numbered, open) at once, many per statement. Credit on
 * the customer balance is spent first; an invoice with nothing left to pay is paid on issue.
 */
@Injectable()
export class SubscriptionInvoicing {
  constructor(
    private readonly documentNumbers: DocumentNumbers,
    private readonly balances: CustomerBalances,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
  ) {}

  async issueMany(
    manager: EntityManager,
    items: readonly InvoiceToIssue[],
    issuedAt: Date,
    context: RequestContext,
    /** Work of the caller's transaction to do before numbering (which holds the series lock till commit). */
    beforeNumbering?: (invoices: Invoice[]) => Promise<void>,
  ): Promise<Invoice[]> {
    if (items.length === 0) {
      await beforeNumbering?.([]);
      return [];
    }
    const invoices = items.map((item): Invoice => {
      const { draft } = item;
      const id = newId('inv');
      const settled = draft.amountDue === 0;
      return manager.create(Invoice, {
        id,
        // Numbered last (see below): the id stands in, unique, until then.
        number: `pending-${id}`,
        customerId: item.subscription.customerId,
        userId: item.subscription.userId,
        customerEmail: item.customerEmail,
        chargeId: null,
        status: settled ? 'paid' : 'open',
        currency: draft.currency,
        subtotal: draft.subtotal,
        discount: draft.discount,
        tax: 0,
        total: draft.total,
        amountPaid: 0,
        seller: { ...ASTRIX_SELLER },
        issuedAt,
        paidAt: settled ? issuedAt : null,
        billingReason: item.reason,
        subscriptionId: item.subscription.id,
        periodStart: item.periodStart,
        periodEnd: item.periodEnd,
        idempotencyKey: item.idempotencyKey,
        dueAt: issuedAt,
        creditApplied: draft.creditApplied,
        amountDue: draft.amountDue,
        attemptCount: 0,
        paymentIntentId: null,
        actionUrl: null,
        voidedAt: null,
        markedUncollectibleAt: null,
      });
    });
    await this.insertInvoices(manager, invoices, issuedAt);
    await this.insertLines(
      manager,
      invoices.flatMap((invoice, index) =>
        items[index].draft.lines.map((line, position) => ({
          invoiceId: invoice.id,
          position: position + 1,
          line,
        })),
      ),
    );

    const createdBy = actorLabel(context.actor);
    for (const [index, invoice] of invoices.entries()) {
      const { draft, subscription } = items[index];
      if (draft.creditApplied > 0) {
        await this.balances.spend(manager, {
          customerId: invoice.customerId,
          currency: invoice.currency,
          amount: draft.creditApplied,
          kind: 'applied_to_invoice',
          reference: `invoice:${invoice.id}:credit-applied`,
          description: `Applied to invoice ${invoice.id}`,
          createdBy,
          invoiceId: invoice.id,
          subscriptionId: subscription.id,
        });
      }
      if (draft.creditToBalance > 0) {
        await this.balances.credit(manager, {
          customerId: invoice.customerId,
          currency: invoice.currency,
          amount: draft.creditToBalance,
          kind: items[index].creditKind ?? 'downgrade_credit',
          reference: `invoice:${invoice.id}:credit-to-balance`,
          description: `Unused time credited by invoice ${invoice.id}`,
          createdBy,
          invoiceId: invoice.id,
          subscriptionId: subscription.id,
        });
      }
    }
    await beforeNumbering?.(invoices);

    // Numbers as late as possible and in one statement: concurrent batches wait on the series lock
    // only for the numbering, the events and the commit; a rollback gives the numbers back.
    const numbers = await this.documentNumbers.numberRows(
      manager,
      'invoice',
      issuedAt,
      'billing.invoices',
      invoices.map((invoice) => invoice.id),
    );
    invoices.forEach((invoice, index) => (invoice.number = numbers[index]));
    const events: NewEvent<EventType>[] = [];
    for (const [index, invoice] of invoices.entries()) {
      const { subscription } = items[index];
      const data = invoiceEventData(invoice);
      events.push({
        type: 'billing.invoice.finalized',
        subject: invoice.id,
        data,
        correlationId: subscription.id,
      });
      if (invoice.status === 'paid') {
        events.push({
          type: 'billing.invoice.paid',
          subject: invoice.id,
          data,
          correlationId: subscription.id,
        });
      }
    }
    await this.outbox.appendMany(manager, events);
    await this.audit.recordMany(
      manager,
      context,
      invoices.map((invoice) => ({
        action: 'invoice.finalized',
        resourceType: 'invoice',
        resourceId: invoice.id,
        after: { ...invoiceEventData(invoice) },
      })),
    );
    return invoices;
  }

  // Raw unnest inserts: the billing run writes thousands of rows a second, and building them through
  // the ORM's insert costs more CPU than Postgres spends storing them.
  private async insertInvoices(manager: EntityManager, invoices: Invoice[], issuedAt: Date): Promise<void> {
    const column = <K extends keyof Invoice>(key: K): Array<Invoice[K]> =>
      invoices.map((invoice) => invoice[key]);
    await manager.query(
      `INSERT INTO billing.invoices
         (id, number, customer_id, user_id, customer_email, status, currency, subtotal, total, paid_at, billing_reason,
          subscription_id, period_start, period_end, idempotency_key, credit_applied, amount_due, discount,
          charge_id, tax, amount_paid, seller, issued_at, due_at, attempt_count)
       SELECT id, number, customer_id, user_id, customer_email, status, currency, subtotal, total, paid_at, billing_reason,
              subscription_id, period_start, period_end, idempotency_key, credit_applied, amount_due, discount,
              NULL, 0, 0, $19::jsonb, $20, $20, 0
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[],
                     $9::bigint[], $10::timestamptz[], $11::text[], $12::text[], $13::timestamptz[], $14::timestamptz[],
                     $15::text[], $16::bigint[], $17::bigint[], $18::bigint[])
           AS i(id, number, customer_id, user_id, customer_email, status, currency, subtotal, total, paid_at, billing_reason,
                subscription_id, period_start, period_end, idempotency_key, credit_applied, amount_due, discount)`,
      [
        column('id'),
        column('number'),
        column('customerId'),
        column('userId'),
        column('customerEmail'),
        column('status'),
        column('currency'),
        column('subtotal'),
        column('total'),
        column('paidAt'),
        column('billingReason'),
        column('subscriptionId'),
        column('periodStart'),
        column('periodEnd'),
        column('idempotencyKey'),
        column('creditApplied'),
        column('amountDue'),
        column('discount'),
        JSON.stringify(ASTRIX_SELLER),
        issuedAt,
      ],
    );
  }

  private async insertLines(
    manager: EntityManager,
    rows: Array<{ invoiceId: string; position: number; line: DraftLine }>,
  ): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO billing.invoice_lines
         (invoice_id, position, description, product_id, quantity, unit_amount, amount, kind, period_start, period_end,
          feature_id, discount, tax)
       SELECT invoice_id, position, description, product_id, quantity, unit_amount, amount, kind, period_start, period_end,
              feature_id, discount, 0
         FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::bigint[], $8::text[],
                     $9::timestamptz[], $10::timestamptz[], $11::text[], $12::bigint[])
           AS l(invoice_id, position, description, product_id, quantity, unit_amount, amount, kind, period_start,
                period_end, feature_id, discount)`,
      [
        rows.map((row) => row.invoiceId),
        rows.map((row) => row.position),
        rows.map((row) => row.line.description),
        rows.map((row) => row.line.productId),
        rows.map((row) => row.line.quantity),
        rows.map((row) => row.line.unitAmount),
        rows.map((row) => row.line.amount),
        rows.map((row) => row.line.kind),
        rows.map((row) => row.line.periodStart),
        rows.map((row) => row.line.periodEnd),
        rows.map((row) => row.line.featureId),
        rows.map((row) => row.line.discount),
      ],
    );
  }
}

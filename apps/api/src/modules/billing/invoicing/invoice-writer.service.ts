import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { EventType, InvoiceBillingReason } from '@astrix/contracts';
import { AuditService } from '../../../platform/audit/audit.service';
import { actorLabel, type RequestContext } from '../../../platform/auth/actor';
import { OutboxService, type NewEvent } from '../../../platform/events/outbox.service';
import type { CommitWith } from '../../../platform/database/commit-together';
import { preparedQuery } from '../../../platform/database/prepared-query';
import {
  runStatementsTogether,
  statementsAsOne,
  type SqlStatement,
} from '../../../platform/database/statements-together';
import { ConflictError } from '../../../platform/http/app-error';
import { newId } from '../../../platform/ids';
import { AppConfig } from '../../../platform/config/app-config';
import { CustomerBalances } from '../customers/customer-balances.service';
import { LedgerPostings } from '../ledger/ledger-postings.service';
import { DocumentNumbers } from './document-numbers.service';
import { invoiceEventData } from './invoice-events';
import { invoiceTransition } from './invoice-status';
import type { InvoiceLineKind } from './invoice-line.entity';
import { Invoice, type InvoiceStatus } from './invoice.entity';
import { sellerDetails } from './seller';
import type { TaxDecision } from '../tax/tax-decision';
import { type LineTax, taxDraft } from '../tax/tax-lines';
import { TaxCalculator } from '../tax/tax.service';
import { dayOf, lookupSnapshots } from '../fx/fx-rates.service';
import { HostedInvoiceLinks } from './hosted-invoice-links';
import { invoicesAndLinesStatement, numbersWritten } from './invoice-rows';
import { FILL_INVOICE_NUMBER, INVOICE_NUMBER_PLACEHOLDER } from './invoice-numbers-in-documents';
import { issuedTogether } from '../../../platform/database/issued-together';

export type TaxedLine = InvoiceDraftLine & LineTax;
type TaxedInvoiceDraft = Omit<InvoiceDraft, 'lines'> & {
  lines: TaxedLine[];
  tax: number;
  decision: TaxDecision;
};

/** A line before it is written: amounts are minor units of the invoice currency. */
export interface InvoiceDraftLine {
  kind: InvoiceLineKind;
  description: string;
  productId: string | null;
  featureId: string | null;
  quantity: number;
  unitAmount: number;
  amount: number;
  /** The coupon's share of this line (zero or more, at most the amount). */
  discount: number;
  periodStart: Date | null;
  periodEnd: Date | null;
  /** Set by the writer from the tax decision (tax/tax-lines.ts); drafts leave them out. */
  tax?: number;
  taxInclusive?: boolean;
  taxRateId?: string | null;
  taxPercentage?: string | null;
}

/** Lines and totals as @astrix/pricing computed them; the writer stores them as they are. */
export interface InvoiceDraft {
  currency: string;
  lines: readonly InvoiceDraftLine[];
  subtotal: number;
  discount: number;
  total: number;
  /** Customer balance this invoice spends. */
  creditApplied: number;
  amountDue: number;
  /** A negative total (a prorated downgrade, a cancellation credit) goes back to the customer's balance. */
  creditToBalance: number;
}

/** A subscription invoice to issue, finalized (numbered, open or paid) at once. */
export interface InvoiceToWrite {
  customerId: string;
  userId: string;
  subscriptionId: string;
  customerEmail: string | null;
  billingReason: InvoiceBillingReason;
  /** One invoice per key: (subscription, period) for renewals. */
  idempotencyKey: string;
  periodStart: Date;
  periodEnd: Date;
  draft: InvoiceDraft;
  /** How a negative total reaches the balance; default a plan change's credit. */
  creditKind?: 'downgrade_credit' | 'cancellation_credit';
}

/** What settled an invoice. */
export interface InvoicePayment {
  paymentIntentId: string;
  chargeId: string;
  paidAt: Date;
}

/**
 * The one writer of subscription invoices and of every invoice status change. Each method works in
 * the caller's transaction (`manager`), so the change commits with the caller's own rows and events.
 */
@Injectable()
export class InvoiceWriter {
  constructor(
    private readonly documentNumbers: DocumentNumbers,
    private readonly balances: CustomerBalances,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly ledger: LedgerPostings,
    private readonly taxes: TaxCalculator,
    private readonly config: AppConfig,
    private readonly hostedLinks: HostedInvoiceLinks,
  ) {}

  /**
   * Issues many invoices with one statement for the invoices and one for their lines (the billing run
   * writes whole batches this way). Credit on the customer balance is spent first; an invoice with
   * nothing left to pay is paid on issue.
   */
  async issue(
    manager: EntityManager,
    items: readonly InvoiceToWrite[],
    issuedAt: Date,
    context: RequestContext,
    /**
     * Work of the caller's transaction to do before numbering (which holds the series lock till commit),
     * run alongside the ledger's writes and before the invoices are written, so it must not read them;
     * the statement it may return runs after numbering, with the events.
     */
    beforeNumbering?: (invoices: Invoice[]) => Promise<SqlStatement | null>,
    /**
     * Ends the caller's transaction with the last statements (transactionCommittedWith); the caller
     * then issues nothing more in it. Without it they run in the transaction, which stays open.
     */
    commitWith?: CommitWith,
  ): Promise<Invoice[]> {
    if (items.length === 0) {
      const callers = (await beforeNumbering?.([])) ?? null;
      if (commitWith) await commitWith(callers ? [callers] : []);
      else await runStatementsTogether(manager, [callers]);
      return [];
    }
    // Tax through @astrix/pricing with each customer's decision as of the issue instant; the FX snapshot
    // of the finalization day (reports in the reporting currency use it, never today's rate); the
    // catalog the ledger posts by. Independent reads, issued together: one round trip (pipelined).
    const [decisions, fx, catalog] = await issuedTogether(manager, () =>
      Promise.all([
        this.taxes.decide(
          manager,
          items.map((item) => item.customerId),
          issuedAt,
          new Map(
            items.map((item) => [
              item.customerId,
              { currency: item.draft.currency, amount: item.draft.total },
            ]),
          ),
        ),
        lookupSnapshots(
          manager,
          items.map((item) => ({ currency: item.draft.currency, at: issuedAt })),
        ),
        this.ledger.catalogFor(
          manager,
          items.flatMap((item) => item.draft.lines.map((line) => line.productId)),
        ),
      ]),
    );
    const drafts: TaxedInvoiceDraft[] = items.map((item) => {
      const decision = decisions.get(item.customerId);
      if (decision === undefined) throw new Error(`no tax decision for customer ${item.customerId}`);
      return taxDraft<InvoiceDraftLine, InvoiceDraft>(item.draft, decision);
    });
    const invoices = items.map((item, index): Invoice => {
      const draft = drafts[index];
      const snapshot = fx.get(`${draft.currency}|${dayOf(issuedAt)}`) ?? null;
      const id = newId('inv');
      const settled = draft.amountDue === 0;
      return manager.create(Invoice, {
        id,
        // Numbered just before the rows are written (see below).
        number: '',
        customerId: item.customerId,
        userId: item.userId,
        customerEmail: item.customerEmail,
        chargeId: null,
        status: settled ? 'paid' : 'open',
        currency: draft.currency,
        subtotal: draft.subtotal,
        discount: draft.discount,
        tax: draft.tax,
        total: draft.total,
        amountPaid: 0,
        seller: sellerDetails(this.config),
        issuedAt,
        paidAt: settled ? issuedAt : null,
        billingReason: item.billingReason,
        subscriptionId: item.subscriptionId,
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
        taxTreatment: draft.decision.treatment,
        taxCountry: draft.decision.country,
        taxRegion: draft.decision.region,
        customerVatId: draft.decision.customerVatId,
        reportingCurrency: snapshot?.reportingCurrency ?? null,
        fxRate: snapshot?.rate ?? null,
        fxSource: snapshot?.source ?? null,
        fxAsOf: snapshot?.asOf ?? null,
      });
    });
    // Before the series lock: the journal, the balance movements and the caller's work. They write
    // different tables and read none of each other's rows (nor the invoices', not yet written), so they
    // are issued together and go out pipelined.
    const [, , callersStatement] = await issuedTogether(manager, () =>
      Promise.all([
        this.ledger.invoicesFinalized(
          manager,
          invoices.map((invoice, index) => ({ invoice, lines: drafts[index].lines })),
          fx,
          catalog,
        ),
        this.moveCredit(manager, invoices, items, drafts, actorLabel(context.actor)),
        beforeNumbering?.(invoices) ?? null,
      ]),
    );

    // The numbers are taken by the statement that writes the invoices (the series lock is held from
    // there to commit, so only Postgres's work and the commit wait on it, with no round trip to us in
    // between). The events and audit rows that carry a number are built now with a placeholder, which the
    // next statement fills from the invoice rows; a rollback gives the numbers back.
    for (const invoice of invoices) invoice.number = INVOICE_NUMBER_PLACEHOLDER;
    const events: NewEvent<EventType>[] = [];
    for (const invoice of invoices) {
      const data = invoiceEventData(invoice);
      const link = this.hostedLinks.linkFor(invoice.id);
      events.push({
        type: 'billing.invoice.finalized',
        subject: invoice.id,
        data: { ...data, hostedInvoiceUrl: link.url, hostedInvoiceUrlExpiresAt: link.expiresAt },
        correlationId: invoice.subscriptionId,
      });
      if (invoice.status === 'paid') {
        events.push({
          type: 'billing.invoice.paid',
          subject: invoice.id,
          data,
          correlationId: invoice.subscriptionId,
        });
      }
    }
    const eventsAndAudit = statementsAsOne([
      callersStatement,
      this.outbox.appendStatement(events, FILL_INVOICE_NUMBER),
      this.audit.recordStatement(
        context,
        invoices.map((invoice) => ({
          action: 'invoice.finalized',
          resourceType: 'invoice',
          resourceId: invoice.id,
          after: { ...invoiceEventData(invoice) },
        })),
        FILL_INVOICE_NUMBER,
      ),
    ]);
    // The invoices, their lines and numbers; then, in one statement, the events, the audit rows and the
    // caller's statement.
    const last = [
      invoicesAndLinesStatement(
        manager,
        this.documentNumbers,
        invoices,
        issuedAt,
        sellerDetails(this.config),
        invoices.flatMap((invoice, index) =>
          drafts[index].lines.map((line, position) => ({
            invoiceId: invoice.id,
            position: position + 1,
            line,
          })),
        ),
      ),
      ...(eventsAndAudit ? [eventsAndAudit] : []),
    ];
    const [invoiceRows] = commitWith
      ? // They end the caller's transaction, sent with its COMMIT: the series lock, taken by the first,
        // is held for Postgres's work and the commit alone.
        await commitWith(last)
      : // Issued together: one round trip.
        await issuedTogether(manager, () =>
          Promise.all(
            last.map((statement) => preparedQuery<unknown[]>(manager, statement.sql, statement.params)),
          ),
        );
    const numbers = numbersWritten(invoiceRows, invoices.length);
    for (const invoice of invoices) invoice.number = numbers.get(invoice.id) as string;
    return invoices;
  }

  /** Claims collection attempt number `attempt` (the caller holds the invoice's row lock). */
  async recordAttempt(manager: EntityManager, invoiceId: string, attempt: number): Promise<void> {
    await manager.update(Invoice, { id: invoiceId }, { attemptCount: attempt });
  }

  /** Gives back an attempt the processor never answered, unless the invoice moved on meanwhile. */
  async releaseAttempt(manager: EntityManager, invoiceId: string, attempt: number): Promise<void> {
    await manager.update(
      Invoice,
      { id: invoiceId, attemptCount: attempt, status: 'open' },
      { attemptCount: attempt - 1 },
    );
  }

  /** A payment is under way: its outcome will be matched to the open invoice through this intent. */
  async recordPendingPayment(
    manager: EntityManager,
    invoiceId: string,
    paymentIntentId: string,
  ): Promise<void> {
    await manager.update(Invoice, { id: invoiceId, status: 'open' }, { paymentIntentId });
  }

  /** The customer must confirm the payment (3-D Secure) by following `actionUrl`. */
  async recordActionRequired(
    manager: EntityManager,
    invoiceId: string,
    paymentIntentId: string,
    actionUrl: string | null,
  ): Promise<void> {
    await manager.update(Invoice, { id: invoiceId }, { paymentIntentId, actionUrl });
  }

  /** The attempt is over: its payment intent and confirmation link are no longer offered. */
  async endPaymentAttempt(manager: EntityManager, invoiceId: string): Promise<void> {
    await manager.update(Invoice, { id: invoiceId }, { actionUrl: null, paymentIntentId: null });
  }

  /**
   * Settles the whole amount due of an open invoice, or of an uncollectible one paid late (see
   * invoice-status.ts); anything else is a 409. Returns the invoice as it now stands.
   */
  async markPaid(manager: EntityManager, invoice: Invoice, payment: InvoicePayment): Promise<Invoice> {
    this.assertTransition(invoice, 'paid');
    // A written-off invoice paid late: its write-off is undone before the payment settles it.
    if (invoice.status === 'uncollectible') {
      await this.ledger.invoiceWriteOffRecovered(manager, invoice, invoice.amountDue, payment.paidAt);
    }
    const paid: Invoice = {
      ...invoice,
      status: 'paid',
      amountPaid: invoice.amountDue,
      amountDue: 0,
      paidAt: payment.paidAt,
      paymentIntentId: payment.paymentIntentId,
      chargeId: payment.chargeId,
      actionUrl: null,
    };
    await this.updateFrom(manager, invoice, {
      status: paid.status,
      amountPaid: paid.amountPaid,
      amountDue: 0,
      paidAt: payment.paidAt,
      paymentIntentId: payment.paymentIntentId,
      chargeId: payment.chargeId,
      actionUrl: null,
    });
    return paid;
  }

  /** Voids or writes off an invoice (a 409 unless the state machine allows it); returns it as it now stands. */
  async close(
    manager: EntityManager,
    invoice: Invoice,
    to: 'void' | 'uncollectible',
    at: Date,
  ): Promise<Invoice> {
    this.assertTransition(invoice, to);
    const change = to === 'void' ? { status: to, voidedAt: at } : { status: to, markedUncollectibleAt: at };
    await this.updateFrom(manager, invoice, change);
    if (to === 'void') await this.ledger.invoiceVoided(manager, invoice, at);
    else await this.ledger.invoiceWrittenOff(manager, invoice, at);
    return { ...invoice, ...change };
  }

  private assertTransition(invoice: Pick<Invoice, 'number' | 'status'>, to: InvoiceStatus): void {
    const decision = invoiceTransition(invoice.status, to);
    if (!decision.allowed) throw new ConflictError(`invoice ${invoice.number}: ${decision.reason}`);
  }

  /** Changes the status only from the one the caller read: a concurrent change makes it a 409, not a lost update. */
  private async updateFrom(
    manager: EntityManager,
    invoice: Pick<Invoice, 'id' | 'number' | 'status'>,
    change: Partial<Invoice>,
  ): Promise<void> {
    const result = await manager.update(Invoice, { id: invoice.id, status: invoice.status }, change);
    if (result.affected === 0) {
      throw new ConflictError(`invoice ${invoice.number} is no longer ${invoice.status}`);
    }
  }

  /** The credit the invoices spend and give back, as balance movements made together (in invoice order). */
  private async moveCredit(
    manager: EntityManager,
    invoices: Invoice[],
    items: readonly InvoiceToWrite[],
    drafts: readonly TaxedInvoiceDraft[],
    createdBy: string,
  ): Promise<void> {
    const movements: Parameters<CustomerBalances['moveMany']>[1][number][] = [];
    for (const [index, invoice] of invoices.entries()) {
      const { subscriptionId, creditKind } = items[index];
      const draft = drafts[index];
      if (draft.creditApplied > 0) {
        movements.push({
          direction: 'spend',
          movement: {
            customerId: invoice.customerId,
            currency: invoice.currency,
            amount: draft.creditApplied,
            kind: 'applied_to_invoice',
            reference: `invoice:${invoice.id}:credit-applied`,
            description: `Applied to invoice ${invoice.id}`,
            createdBy,
            invoiceId: invoice.id,
            subscriptionId,
          },
        });
      }
      if (draft.creditToBalance > 0) {
        movements.push({
          direction: 'credit',
          movement: {
            customerId: invoice.customerId,
            currency: invoice.currency,
            amount: draft.creditToBalance,
            kind: creditKind ?? 'downgrade_credit',
            reference: `invoice:${invoice.id}:credit-to-balance`,
            description: `Unused time credited by invoice ${invoice.id}`,
            createdBy,
            invoiceId: invoice.id,
            subscriptionId,
          },
        });
      }
    }
    await this.balances.moveMany(manager, movements);
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, LessThan } from 'typeorm';
import type { InvoiceView, Page, PriceBreakdown } from '@astrix/contracts';
import {
  creditableAmount,
  greaterThan,
  type InvoiceCredits,
  money,
  parseCurrencyCode,
} from '@astrix/pricing';
import { Clock } from '../../../platform/clock';
import { AppError, ConflictError, NotFoundError } from '../../../platform/http/app-error';
import { toPage } from '../../../platform/http/pagination';
import { newId } from '../../../platform/ids';
import { AppConfig } from '../../../platform/config/app-config';
import { LedgerPostings } from '../ledger/ledger-postings.service';
import type { Charge } from '../payments/charge.entity';
import { CreditNote } from './credit-note.entity';
import { CreditNoteLine } from './credit-note-line.entity';
import { creditNoteLines } from './credit-note-lines';
import { creditNoteWithLines } from './credit-notes.service';
import { DocumentNumbers } from './document-numbers.service';
import { toInvoiceView } from './invoice-view';
import { InvoiceLine } from './invoice-line.entity';
import { Invoice } from './invoice.entity';
import { buildReceipt, moneyText } from './receipt-lines';
import { sellerDetails } from './seller';
import { dayOf, lookupSnapshots } from '../fx/fx-rates.service';

export interface IssueReceiptInput {
  charge: Charge;
  customerEmail: string | null;
  /** Describes the line when the breakdown lists none. */
  productName: string;
  breakdown: PriceBreakdown;
  paidAt: Date;
  /** A subscription bought at checkout: the receipt is the invoice of its first period. */
  subscriptionPeriod?: { subscriptionId: string; start: Date; end: Date; idempotencyKey: string };
}

export interface IssueCreditNoteInput {
  invoiceId: string;
  /** Null for a credit note staff issue without a refund (settled outside the processor). */
  refundId: string | null;
  /** Minor units of `currency`; positive. */
  amount: number;
  currency: string;
  reason: string;
  issuedAt: Date;
}

/**
 * Invoices and credit notes: numbered gap-free, written inside the caller's payment or refund
 * transaction, read back by their owner, rendered to PDF.
 */
@Injectable()
export class InvoicesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly documentNumbers: DocumentNumbers,
    private readonly clock: Clock,
    private readonly ledger: LedgerPostings,
    private readonly config: AppConfig,
  ) {}

  /**
   * The finalized, paid invoice of a completed payment; the same charge always gets the same
   * invoice. Throws InvoiceIntegrityError when the breakdown does not add up to what was charged.
   * Holds the invoice series lock until the caller commits: call it late in the transaction.
   */
  async issueReceipt(manager: EntityManager, input: IssueReceiptInput): Promise<Invoice> {
    const { charge } = input;
    // Two deliveries of one payment may race: the second waits here, then finds the first's invoice.
    await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `invoice-receipt:${charge.id}`,
    ]);
    const existing = await manager.findOne(Invoice, { where: { chargeId: charge.id } });
    if (existing) return existing;

    // Everything is computed and checked before a number is taken, so the series lock is short.
    const receipt = buildReceipt(input.breakdown, {
      chargedAmount: charge.amount,
      chargedCurrency: charge.currency,
      chargedDiscount: charge.discountAmount,
      fallbackDescription: input.productName,
    });
    const issuedAt = this.clock.now();
    const period = input.subscriptionPeriod;
    const fx = await lookupSnapshots(manager, [{ currency: receipt.currency, at: issuedAt }]);
    const snapshot = fx.get(`${receipt.currency}|${dayOf(issuedAt)}`) ?? null;
    const invoice = manager.create(Invoice, {
      id: newId('inv'),
      number: await this.documentNumbers.nextFormatted(manager, 'invoice', issuedAt),
      customerId: charge.customerId,
      userId: charge.userId,
      customerEmail: input.customerEmail,
      chargeId: charge.id,
      status: 'paid',
      currency: receipt.currency,
      subtotal: receipt.subtotal,
      discount: receipt.discount,
      tax: receipt.tax,
      total: receipt.total,
      amountPaid: receipt.total,
      seller: sellerDetails(this.config),
      issuedAt,
      paidAt: input.paidAt,
      taxTreatment: input.breakdown.taxDetails?.treatment ?? null,
      taxCountry: input.breakdown.taxDetails?.country ?? null,
      taxRegion: input.breakdown.taxDetails?.region ?? null,
      customerVatId: input.breakdown.taxDetails?.customerVatId ?? null,
      reportingCurrency: snapshot?.reportingCurrency ?? null,
      fxRate: snapshot?.rate ?? null,
      fxSource: snapshot?.source ?? null,
      fxAsOf: snapshot?.asOf ?? null,
      ...(period
        ? {
            billingReason: 'subscription_create' as const,
            subscriptionId: period.subscriptionId,
            periodStart: period.start,
            periodEnd: period.end,
            idempotencyKey: period.idempotencyKey,
          }
        : {}),
    });
    await manager.insert(Invoice, invoice);
    const lines = receipt.lines.map((line, index) =>
      manager.create(InvoiceLine, {
        invoiceId: invoice.id,
        position: index + 1,
        description: line.description,
        productId: charge.productId,
        quantity: line.quantity,
        unitAmount: line.unitAmount,
        amount: line.amount,
        discount: line.discount,
        tax: line.tax,
        taxRateId: input.breakdown.taxDetails?.rateId ?? null,
        taxPercentage: input.breakdown.taxDetails?.percentage ?? null,
        taxInclusive: input.breakdown.taxDetails?.inclusive ?? false,
        ...(period ? { kind: 'plan' as const, periodStart: period.start, periodEnd: period.end } : {}),
      }),
    );
    await manager.insert(InvoiceLine, lines);
    await this.ledger.invoicesFinalized(manager, [{ invoice, lines }]);
    return invoice;
  }

  /**
   * Whether a charge linked to an invoice is not the payment the invoice kept: a second payment of a
   * paid invoice, or money for a void or written-off one. Refunding it credits nothing on the invoice.
   */
  async isDuplicatePayment(manager: EntityManager, invoiceId: string, chargeId: string): Promise<boolean> {
    const invoice = await manager.findOne(Invoice, { where: { id: invoiceId } });
    return invoice !== null && invoice.chargeId !== chargeId;
  }

  /**
   * A credit note for a refund against an invoice; the same refund always gets the same note.
   * Refuses (409) to credit more than the invoice total minus the notes already issued.
   */
  async issueCreditNote(manager: EntityManager, input: IssueCreditNoteInput): Promise<CreditNote> {
    // Locking the invoice serialises its credit notes, so two refunds cannot both pass the check.
    const invoice = await manager.findOne(Invoice, {
      where: { id: input.invoiceId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!invoice) throw new NotFoundError('invoice', input.invoiceId);
    const currency = parseCurrencyCode(invoice.currency);
    if (parseCurrencyCode(input.currency) !== currency) {
      throw new AppError(
        422,
        'UNPROCESSABLE',
        `credit note currency ${input.currency} differs from invoice ${invoice.number} currency ${currency}`,
      );
    }
    if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
      throw new AppError(
        422,
        'UNPROCESSABLE',
        `credit note amount ${input.amount} must be a positive whole number of minor units`,
      );
    }
    const amount = money(input.amount, currency);

    const existing = input.refundId
      ? await manager.findOne(CreditNote, { where: { refundId: input.refundId } })
      : null;
    if (existing) {
      if (existing.invoiceId !== invoice.id || existing.amount !== input.amount) {
        throw new ConflictError(
          `refund ${input.refundId} already has credit note ${existing.number} for another invoice or amount`,
        );
      }
      return existing;
    }

    if (invoice.status === 'draft' || invoice.status === 'void') {
      throw new ConflictError(`invoice ${invoice.number} is ${invoice.status}: nothing to credit`);
    }
    // One cap for credit notes and refunds (@astrix/pricing): refunds of the invoice's payment still
    // pending are reserved, so a note cannot take what a refund in flight will need.
    const creditable = creditableAmount(
      (await this.lockCredits(manager, invoice.id, input.refundId)).credits,
    );
    if (greaterThan(amount, creditable)) {
      throw new ConflictError(
        `credit note of ${moneyText(amount)} exceeds the ${moneyText(creditable)} still creditable on invoice ${invoice.number} after its credit notes and pending refunds`,
      );
    }

    // Its lines: a share of each invoice line and of its tax (credit-note-lines.ts).
    const split = creditNoteLines(
      amount.amountMinor,
      currency,
      await manager.find(InvoiceLine, { where: { invoiceId: invoice.id }, order: { position: 'ASC' } }),
    );
    const creditNote = manager.create(CreditNote, {
      id: newId('cn'),
      number: await this.documentNumbers.nextFormatted(manager, 'credit-note', input.issuedAt),
      invoiceId: invoice.id,
      refundId: input.refundId,
      amount: amount.amountMinor,
      tax: split.tax,
      currency,
      reason: input.reason,
      issuedAt: input.issuedAt,
    });
    await manager.insert(CreditNote, creditNote);
    await manager.insert(
      CreditNoteLine,
      split.lines.map((line) => ({ ...line, creditNoteId: creditNote.id })),
    );
    await this.ledger.creditNoteIssued(manager, creditNote, invoice);
    return creditNote;
  }

  /**
   * What an invoice asked for and what has been given back against it: its credit notes, and the
   * pending refunds of the payment it kept (except `exceptRefundId`, the one being settled). Locks
   * the invoice until commit: refunds and credit notes are checked against this one at a time.
   */
  async lockCredits(
    manager: EntityManager,
    invoiceId: string,
    exceptRefundId: string | null = null,
  ): Promise<{ invoice: Invoice; credits: InvoiceCredits }> {
    const invoice = await manager.findOne(Invoice, {
      where: { id: invoiceId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!invoice) throw new NotFoundError('invoice', invoiceId);
    const currency = parseCurrencyCode(invoice.currency);
    const notes = await manager.find(CreditNote, {
      where: { invoiceId },
      select: { id: true, amount: true },
    });
    const pending = (await manager.query(
      `SELECT r.amount FROM billing.refunds r JOIN billing.invoices i ON i.charge_id = r.charge_id
        WHERE i.id = $1 AND r.status = 'pending' AND r.id IS DISTINCT FROM $2`,
      [invoiceId, exceptRefundId],
    )) as Array<{ amount: string }>;
    return {
      invoice,
      credits: {
        invoiced: money(invoice.total, currency),
        creditNotes: notes.map((note) => money(note.amount, currency)),
        pendingRefunds: pending.map((refund) => money(refund.amount, currency)),
      },
    };
  }

  /** The user's own invoices, newest first. */
  async listForUser(userId: string, page: { limit: number; cursor?: string }): Promise<Page<InvoiceView>> {
    const invoices = await this.dataSource.getRepository(Invoice).find({
      where: page.cursor ? { userId, id: LessThan(page.cursor) } : { userId },
      order: { id: 'DESC' },
      take: page.limit + 1,
    });
    const pageInvoices = invoices.slice(0, page.limit);
    const linesByInvoice = await this.linesOf(pageInvoices.map((invoice) => invoice.id));
    return toPage(invoices, page.limit, (invoice) =>
      toInvoiceView(invoice, linesByInvoice.get(invoice.id) ?? []),
    );
  }

  /** One of the user's invoices; another user's looks exactly like one that does not exist. */
  async getForUser(userId: string, invoiceId: string): Promise<InvoiceView> {
    const invoice = await this.dataSource
      .getRepository(Invoice)
      .findOne({ where: { id: invoiceId, userId } });
    if (!invoice) throw new NotFoundError('invoice', invoiceId);
    const notes = await this.creditNotesFor(invoice.id);
    const noteLines =
      notes.length === 0
        ? []
        : await this.dataSource
            .getRepository(CreditNoteLine)
            .find({ where: { creditNoteId: In(notes.map((note) => note.id)) } });
    return {
      ...(await this.viewOf(invoice)),
      creditNotes: notes.map((note) =>
        creditNoteWithLines(
          note,
          noteLines.filter((line) => line.creditNoteId === note.id),
        ),
      ),
    };
  }

  /** Any invoice, for staff tools. */
  async getInvoice(invoiceId: string): Promise<InvoiceView> {
    const invoice = await this.dataSource.getRepository(Invoice).findOne({ where: { id: invoiceId } });
    if (!invoice) throw new NotFoundError('invoice', invoiceId);
    return this.viewOf(invoice);
  }

  /** The credit notes issued against an invoice, oldest first. */
  creditNotesFor(invoiceId: string): Promise<CreditNote[]> {
    return this.dataSource.getRepository(CreditNote).find({
      where: { invoiceId },
      order: { issuedAt: 'ASC', id: 'ASC' },
    });
  }

  private async viewOf(invoice: Invoice): Promise<InvoiceView> {
    const lines = await this.linesOf([invoice.id]);
    return toInvoiceView(invoice, lines.get(invoice.id) ?? []);
  }

  private async linesOf(invoiceIds: string[]): Promise<Map<string, InvoiceLine[]>> {
    const byInvoice = new Map<string, InvoiceLine[]>();
    if (invoiceIds.length === 0) return byInvoice;
    const lines = await this.dataSource.getRepository(InvoiceLine).find({
      where: { invoiceId: In(invoiceIds) },
      order: { invoiceId: 'ASC', position: 'ASC' },
    });
    for (const line of lines) {
      const list = byInvoice.get(line.invoiceId) ?? [];
      list.push(line);
      byInvoice.set(line.invoiceId, list);
    }
    return byInvoice;
  }
}

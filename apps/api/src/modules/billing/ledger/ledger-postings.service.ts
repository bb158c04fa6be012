import { Injectable } from '@nestjs/common';
import type { ProductKind } from '@astrix/contracts';
import { EntityManager } from 'typeorm';
import { Journal } from './journal.service';
import { JournalEntry } from './journal-entry.entity';
import { type BalanceTransactionForPosting, balanceTransactionEntry } from './postings/balance-postings';
import { type ChargeForPosting, chargeSucceededEntry } from './postings/charge-postings';
import {
  type CreditNoteForPosting,
  creditNoteIssuedEntry,
  type InvoiceForPosting,
  invoiceFinalizedEntry,
  type InvoiceLineForPosting,
  invoiceWriteOffRecoveredEntry,
  invoiceWrittenOffEntry,
  type ProductKindOf,
} from './postings/invoice-postings';

/** An invoice with its lines, as finalized. */
export interface FinalizedInvoice {
  invoice: InvoiceForPosting;
  lines: readonly InvoiceLineForPosting[];
}

/**
 * The cash-in postings, called by the writers of the rows (invoicing, payments, customers) inside
 * the transaction of the state change. Each entry is built by a pure function of `postings/`, the
 * same one the backfill uses, and posted through the journal (idempotent per source event).
 */
@Injectable()
export class LedgerPostings {
  constructor(private readonly journal: Journal) {}

  /** `invoice.finalized` for invoices just issued (one statement for the batch). */
  async invoicesFinalized(manager: EntityManager, invoices: readonly FinalizedInvoice[]): Promise<void> {
    if (invoices.length === 0) return;
    const kindOf = await productKinds(
      manager,
      invoices.flatMap((item) => item.lines.map((line) => line.productId)),
    );
    await this.journal.postMany(
      manager,
      invoices.map((item) => invoiceFinalizedEntry(item.invoice, item.lines, kindOf)),
    );
  }

  async chargeSucceeded(manager: EntityManager, charge: ChargeForPosting): Promise<void> {
    await this.journal.post(manager, chargeSucceededEntry(charge));
  }

  async balanceMoved(manager: EntityManager, transaction: BalanceTransactionForPosting): Promise<void> {
    await this.journal.post(manager, balanceTransactionEntry(transaction));
  }

  async creditNoteIssued(
    manager: EntityManager,
    note: CreditNoteForPosting,
    invoice: Pick<InvoiceForPosting, 'customerId'>,
  ): Promise<void> {
    const lines = await invoiceLines(manager, note.invoiceId);
    const kindOf = await productKinds(
      manager,
      lines.map((line) => line.productId),
    );
    await this.journal.post(manager, creditNoteIssuedEntry(note, invoice, lines, kindOf));
  }

  /**
   * `invoice.voided`: the reversal of the invoice's finalization (credit it had spent comes back by
   * its own `balance.restored`). An invoice finalized before the ledger is posted first.
   */
  async invoiceVoided(manager: EntityManager, invoice: InvoiceForPosting, at: Date): Promise<void> {
    const source = { sourceType: 'invoice' as const, sourceId: invoice.id };
    let finalized = await this.journal.find(manager, { ...source, event: 'invoice.finalized' });
    if (!finalized) {
      const lines = await invoiceLines(manager, invoice.id);
      const kindOf = await productKinds(
        manager,
        lines.map((line) => line.productId),
      );
      finalized = await this.journal.post(manager, invoiceFinalizedEntry(invoice, lines, kindOf));
    }
    // An invoice of nothing posted nothing, and has nothing to reverse.
    if (finalized)
      await this.journal.reverse(manager, finalized.id, { event: 'invoice.voided', occurredAt: at });
  }

  /** `invoice.written_off`: what was still due goes to bad debt. */
  async invoiceWrittenOff(
    manager: EntityManager,
    invoice: Pick<InvoiceForPosting, 'id' | 'customerId' | 'currency'> & { amountDue: number },
    at: Date,
  ): Promise<void> {
    await this.journal.post(manager, invoiceWrittenOffEntry(invoice, invoice.amountDue, at));
  }

  /** `invoice.write_off_recovered`: a written-off invoice paid late takes its amount back from bad debt. */
  async invoiceWriteOffRecovered(
    manager: EntityManager,
    invoice: Pick<InvoiceForPosting, 'id' | 'customerId' | 'currency'>,
    amountPaid: number,
    at: Date,
  ): Promise<void> {
    await this.journal.post(manager, invoiceWriteOffRecoveredEntry(invoice, amountPaid, at));
  }

  /** The entry of a source event, if posted (for callers that must not post twice by other means). */
  find(
    manager: EntityManager,
    source: Pick<JournalEntry, 'sourceType' | 'sourceId' | 'event'>,
  ): Promise<JournalEntry | null> {
    return this.journal.find(manager, source);
  }
}

/** The lines of an invoice, as postings read them. */
export async function invoiceLines(
  manager: EntityManager,
  invoiceId: string,
): Promise<InvoiceLineForPosting[]> {
  const rows: Array<{
    kind: InvoiceLineForPosting['kind'];
    product_id: string | null;
    amount: string;
    discount: string;
  }> = await manager.query(
    `SELECT kind, product_id, amount::text AS amount, discount::text AS discount
         FROM billing.invoice_lines WHERE invoice_id = $1 ORDER BY position`,
    [invoiceId],
  );
  return rows.map((row) => ({
    kind: row.kind,
    productId: row.product_id,
    amount: Number(row.amount),
    discount: Number(row.discount),
  }));
}

/** The catalog's kinds of these products, as a lookup (null for unknown ids). */
export async function productKinds(
  manager: EntityManager,
  productIds: ReadonlyArray<string | null>,
): Promise<ProductKindOf> {
  const ids = [...new Set(productIds.filter((id): id is string => id !== null))];
  const rows: Array<{ id: string; kind: ProductKind }> =
    ids.length === 0
      ? []
      : await manager.query(`SELECT id, kind FROM billing.products WHERE id = ANY($1::text[])`, [ids]);
  const kinds = new Map(rows.map((row) => [row.id, row.kind]));
  return (productId) => (productId === null ? null : (kinds.get(productId) ?? null));
}

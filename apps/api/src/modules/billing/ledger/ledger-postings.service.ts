import { Injectable } from '@nestjs/common';
import type { ProductKind } from '@astrix/contracts';
import { EntityManager } from 'typeorm';
import { Journal } from './journal.service';
import { JournalEntry } from './journal-entry.entity';
import { policyLookup, RevenueSchedules } from './recognition/revenue-schedules.service';
import type { PolicyOf } from './recognition/recognition-rules';
import type { RecognitionMethod } from './recognition.entity';
import type { RevenueKind } from './chart-of-accounts';
import type { FxSnapshot } from '../fx/fx-snapshot';
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
import { preparedQuery } from '../../../platform/database/prepared-query';

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
  constructor(
    private readonly journal: Journal,
    private readonly schedules: RevenueSchedules,
  ) {}

  /**
   * `invoice.finalized` for invoices just issued (one statement for the batch); lines earned over
   * time (the recognition policies) go to deferred revenue and get their revenue schedules.
   */
  async invoicesFinalized(
    manager: EntityManager,
    invoices: readonly FinalizedInvoice[],
    /** FX snapshots the caller already took for the invoices (see `Journal.postMany`). */
    knownFx?: ReadonlyMap<string, FxSnapshot | null>,
    /** The catalog as `catalogFor` read it for these invoices' products, if the caller already did. */
    knownCatalog?: PostingCatalog,
  ): Promise<JournalEntry[]> {
    if (invoices.length === 0) return [];
    const { kindOf, policyOf } =
      knownCatalog ??
      (await kindsAndPolicies(
        manager,
        invoices.flatMap((item) => item.lines.map((line) => line.productId)),
      ));
    const planned = invoices.map((item) => ({
      invoice: item.invoice,
      lines: item.lines,
      deferred: this.schedules.deferredLines(item.invoice, item.lines, kindOf, policyOf),
    }));
    const posted = await this.journal.postMany(
      manager,
      planned.map((item) =>
        invoiceFinalizedEntry(item.invoice, item.lines, kindOf, (line) => item.deferred.has(line)),
      ),
      knownFx,
    );
    const postedIds = new Set(posted.map((entry) => entry.sourceId));
    await this.schedules.create(
      manager,
      planned.filter((item) => postedIds.has(item.invoice.id)),
    );
    return posted;
  }

  /** The products' kinds and the recognition policies `invoicesFinalized` posts by, in one statement. */
  catalogFor(manager: EntityManager, productIds: ReadonlyArray<string | null>): Promise<PostingCatalog> {
    return kindsAndPolicies(manager, productIds);
  }

  async chargeSucceeded(manager: EntityManager, charge: ChargeForPosting): Promise<void> {
    await this.journal.post(manager, chargeSucceededEntry(charge));
  }

  async balanceMoved(manager: EntityManager, transaction: BalanceTransactionForPosting): Promise<void> {
    await this.journal.post(manager, balanceTransactionEntry(transaction));
  }

  /** `balanceMoved` for many movements, in one statement. */
  async balancesMoved(
    manager: EntityManager,
    transactions: readonly BalanceTransactionForPosting[],
  ): Promise<void> {
    await this.journal.postMany(manager, transactions.map(balanceTransactionEntry));
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
    const posted = await this.journal.post(manager, creditNoteIssuedEntry(note, invoice, lines, kindOf));
    // Schedules hold revenue net of tax: they are credited the note net of its tax.
    if (posted)
      await this.schedules.credit(manager, { ...note, amount: note.amount - (note.tax ?? 0) }, lines);
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
      [finalized = null] = await this.invoicesFinalized(manager, [{ invoice, lines }]);
    }
    // An invoice of nothing posted nothing, and has nothing to reverse.
    if (finalized) {
      const reversed = await this.journal.reverse(manager, finalized.id, {
        event: 'invoice.voided',
        occurredAt: at,
      });
      if (reversed) await this.schedules.void(manager, invoice.id, at);
    }
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
    period_start: Date | null;
    period_end: Date | null;
    tax: string;
    tax_inclusive: boolean;
  }> = await manager.query(
    `SELECT kind, product_id, amount::text AS amount, discount::text AS discount, period_start, period_end,
            tax::text AS tax, tax_inclusive
         FROM billing.invoice_lines WHERE invoice_id = $1 ORDER BY position`,
    [invoiceId],
  );
  return rows.map((row) => ({
    kind: row.kind,
    productId: row.product_id,
    amount: Number(row.amount),
    discount: Number(row.discount),
    periodStart: row.period_start,
    periodEnd: row.period_end,
    tax: Number(row.tax),
    taxInclusive: row.tax_inclusive,
  }));
}

/** What posting an invoice needs from the catalog. */
export interface PostingCatalog {
  kindOf: ProductKindOf;
  policyOf: PolicyOf;
}

/** The catalog's kinds of these products and the recognition policies, read in one statement. */
async function kindsAndPolicies(
  manager: EntityManager,
  productIds: ReadonlyArray<string | null>,
): Promise<PostingCatalog> {
  const [row]: Array<{
    kinds: Array<{ id: string; kind: ProductKind }>;
    policies: Array<{ productKind: RevenueKind; method: RecognitionMethod; durationDays: number | null }>;
  }> = await preparedQuery(
    manager,
    `SELECT (SELECT coalesce(json_agg(json_build_object('id', id, 'kind', kind)), '[]')
               FROM billing.products WHERE id = ANY($1::text[])) AS kinds,
            (SELECT coalesce(json_agg(json_build_object('productKind', product_kind, 'method', method,
                                                        'durationDays', duration_days)), '[]')
               FROM billing.recognition_policies) AS policies`,
    [knownIds(productIds)],
  );
  return { kindOf: kindLookup(row.kinds), policyOf: policyLookup(row.policies) };
}

function knownIds(productIds: ReadonlyArray<string | null>): string[] {
  return [...new Set(productIds.filter((id): id is string => id !== null))];
}

/** Kinds read from the catalog, as a lookup (null for unknown ids). */
function kindLookup(rows: ReadonlyArray<{ id: string; kind: ProductKind }>): ProductKindOf {
  const kinds = new Map(rows.map((row) => [row.id, row.kind]));
  return (productId) => (productId === null ? null : (kinds.get(productId) ?? null));
}

/** The catalog's kinds of these products, as a lookup (null for unknown ids). */
export async function productKinds(
  manager: EntityManager,
  productIds: ReadonlyArray<string | null>,
): Promise<ProductKindOf> {
  const ids = knownIds(productIds);
  const rows: Array<{ id: string; kind: ProductKind }> =
    ids.length === 0
      ? []
      : await preparedQuery(manager, `SELECT id, kind FROM billing.products WHERE id = ANY($1::text[])`, [
          ids,
        ]);
  return kindLookup(rows);
}

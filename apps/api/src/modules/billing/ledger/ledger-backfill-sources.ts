import { EntityManager, In } from 'typeorm';
import { Charge } from '../payments/charge.entity';
import { CustomerBalanceTransaction } from '../customers/customer-balance.entity';
import { CreditNote } from '../invoicing/credit-note.entity';
import { Invoice } from '../invoicing/invoice.entity';
import { InvoiceLine } from '../invoicing/invoice-line.entity';
import type { Journal } from './journal.service';
import type { LedgerPostings } from './ledger-postings.service';
import { CASH_IN_SOURCE_RULES, type LedgerSourceRule } from './ledger-sources';
import { balanceTransactionEntry } from './postings/balance-postings';
import { chargeSucceededEntry } from './postings/charge-postings';
import { MONEY_OUT_BACKFILL } from './money-out-backfill';

/** What a backfill source may post through. */
export interface BackfillPosting {
  journal: Journal;
  postings: LedgerPostings;
}

/**
 * How the backfill posts one rule's entries for existing rows: `post` receives the ids of rows of
 * the rule (see ledger-sources.ts) that have no entry yet, oldest first, and posts their entries in
 * the caller's transaction with the same pure builders as the live path.
 */
export interface LedgerBackfillSource {
  readonly rule: LedgerSourceRule;
  post(manager: EntityManager, ids: readonly string[], through: BackfillPosting): Promise<void>;
}

function ruleOf(event: string): LedgerSourceRule {
  const rule = CASH_IN_SOURCE_RULES.find((candidate) => candidate.event === event);
  if (!rule) throw new Error(`no ledger source rule for ${event}`);
  return rule;
}

const invoicesOf = (manager: EntityManager, ids: readonly string[]): Promise<Invoice[]> =>
  manager.find(Invoice, { where: { id: In([...ids]) }, order: { issuedAt: 'ASC', id: 'ASC' } });

/** Cash in, in the order they must be posted (a voided invoice's finalization before its reversal). */
export const CASH_IN_BACKFILL: readonly LedgerBackfillSource[] = [
  {
    rule: ruleOf('invoice.finalized'),
    async post(manager, ids, { postings }) {
      const invoices = await invoicesOf(manager, ids);
      const lines = await manager.find(InvoiceLine, {
        where: { invoiceId: In([...ids]) },
        order: { invoiceId: 'ASC', position: 'ASC' },
      });
      await postings.invoicesFinalized(
        manager,
        invoices.map((invoice) => ({
          invoice,
          lines: lines.filter((line) => line.invoiceId === invoice.id),
        })),
      );
    },
  },
  {
    rule: ruleOf('invoice.voided'),
    async post(manager, ids, { postings }) {
      for (const invoice of await invoicesOf(manager, ids)) {
        await postings.invoiceVoided(manager, invoice, invoice.voidedAt ?? invoice.issuedAt);
      }
    },
  },
  {
    rule: ruleOf('invoice.written_off'),
    async post(manager, ids, { postings }) {
      for (const invoice of await invoicesOf(manager, ids)) {
        const due = invoice.status === 'paid' ? invoice.amountPaid : invoice.amountDue;
        await postings.invoiceWrittenOff(
          manager,
          { ...invoice, amountDue: due },
          invoice.markedUncollectibleAt ?? invoice.issuedAt,
        );
      }
    },
  },
  {
    rule: ruleOf('invoice.write_off_recovered'),
    async post(manager, ids, { postings }) {
      for (const invoice of await invoicesOf(manager, ids)) {
        await postings.invoiceWriteOffRecovered(
          manager,
          invoice,
          invoice.amountPaid,
          invoice.paidAt ?? invoice.issuedAt,
        );
      }
    },
  },
  {
    rule: ruleOf('charge.succeeded'),
    async post(manager, ids, { journal }) {
      const charges = await manager.find(Charge, {
        where: { id: In([...ids]) },
        order: { paidAt: 'ASC', id: 'ASC' },
      });
      await journal.postMany(manager, charges.map(chargeSucceededEntry));
    },
  },
  {
    rule: ruleOf('credit_note.issued'),
    async post(manager, ids, { postings }) {
      const notes = await manager.find(CreditNote, {
        where: { id: In([...ids]) },
        order: { issuedAt: 'ASC', id: 'ASC' },
      });
      const invoices = new Map(
        (await invoicesOf(manager, [...new Set(notes.map((note) => note.invoiceId))])).map((invoice) => [
          invoice.id,
          invoice,
        ]),
      );
      for (const note of notes) {
        const invoice = invoices.get(note.invoiceId);
        if (invoice) await postings.creditNoteIssued(manager, note, invoice);
      }
    },
  },
  ...['balance.applied', 'balance.restored', 'balance.credited', 'balance.debited'].map(
    (event): LedgerBackfillSource => ({
      rule: ruleOf(event),
      async post(manager, ids, { journal }) {
        const transactions = await manager.find(CustomerBalanceTransaction, {
          where: { id: In([...ids]) },
          order: { createdAt: 'ASC', id: 'ASC' },
        });
        await journal.postMany(manager, transactions.map(balanceTransactionEntry));
      },
    }),
  ),
];

/**
 * Every source the backfill posts, in order. Refunds, disputes and trader payouts (F2) add theirs
 * here, one entry each (a rule of ledger-sources.ts and how to post its rows).
 */
export const LEDGER_BACKFILL_SOURCES: readonly LedgerBackfillSource[] = [
  ...CASH_IN_BACKFILL,
  ...MONEY_OUT_BACKFILL,
];

import type { LedgerSourceType } from './journal-entry.entity';
import { MONEY_OUT_SOURCE_RULES } from './money-out-sources';

/**
 * Which rows must have which journal entry: one rule per (source type, event). The books check
 * finds rows of a rule without the entry (`money_row_without_entry`) and entries of a rule whose row
 * is not among them (`entry_without_source`); the backfill posts the missing ones.
 *
 * `rows` is a SELECT of the rows that must have the entry, with exactly these columns:
 * `id` (the entry's source id), `customer_id`, `currency`, `amount` (minor units, the money at
 * stake) and `at` (when it happened: the backfill posts oldest first). Add a rule with one line.
 */
export interface LedgerSourceRule {
  readonly sourceType: LedgerSourceType;
  readonly event: string;
  /** How a person names one of the rows, e.g. "voided invoice". */
  readonly describe: string;
  readonly rows: string;
}

/** Invoices that moved any money: an invoice of nothing at all (a free trial's) posts nothing. */
const INVOICES_WITH_MONEY = `SELECT i.id, i.customer_id, i.currency, i.total AS amount, i.issued_at AS at, i.status,
       i.voided_at, i.marked_uncollectible_at, i.paid_at, i.amount_due, i.amount_paid
  FROM billing.invoices i
 WHERE i.status <> 'draft'
   AND (i.total <> 0 OR i.discount <> 0 OR i.tax <> 0
        OR EXISTS (SELECT 1 FROM billing.invoice_lines l
                    WHERE l.invoice_id = i.id AND (l.amount <> 0 OR l.discount <> 0)))`;

/** What an invoice marked uncollectible still owed when written off (a late payment pays exactly that). */
const WRITTEN_OFF = `CASE WHEN i.status = 'paid' THEN i.amount_paid ELSE i.amount_due END`;

const BALANCE_TRANSACTIONS = (where: string): string =>
  `SELECT t.id, t.customer_id, t.currency, abs(t.amount) AS amount, t.created_at AS at
     FROM billing.customer_balance_transactions t WHERE ${where}`;

/** Cash in: invoices, charges, credit notes and customer balance movements. */
export const CASH_IN_SOURCE_RULES: readonly LedgerSourceRule[] = [
  {
    sourceType: 'invoice',
    event: 'invoice.finalized',
    describe: 'issued invoice',
    rows: `SELECT id, customer_id, currency, amount, at FROM (${INVOICES_WITH_MONEY}) i`,
  },
  {
    sourceType: 'invoice',
    event: 'invoice.voided',
    describe: 'voided invoice',
    rows: `SELECT id, customer_id, currency, amount, voided_at AS at FROM (${INVOICES_WITH_MONEY}) i WHERE i.status = 'void'`,
  },
  {
    sourceType: 'invoice',
    event: 'invoice.written_off',
    describe: 'invoice written off',
    rows: `SELECT i.id, i.customer_id, i.currency, ${WRITTEN_OFF} AS amount, i.marked_uncollectible_at AS at
             FROM billing.invoices i WHERE i.marked_uncollectible_at IS NOT NULL AND ${WRITTEN_OFF} > 0`,
  },
  {
    sourceType: 'invoice',
    event: 'invoice.write_off_recovered',
    describe: 'written-off invoice paid late',
    rows: `SELECT i.id, i.customer_id, i.currency, i.amount_paid AS amount, i.paid_at AS at
             FROM billing.invoices i
            WHERE i.status = 'paid' AND i.marked_uncollectible_at IS NOT NULL AND i.amount_paid > 0`,
  },
  {
    sourceType: 'charge',
    event: 'charge.succeeded',
    describe: 'charge',
    rows: `SELECT c.id, c.customer_id, c.currency, c.amount, c.paid_at AS at FROM billing.charges c`,
  },
  {
    sourceType: 'credit_note',
    event: 'credit_note.issued',
    describe: 'credit note',
    rows: `SELECT n.id, i.customer_id, n.currency, n.amount, n.issued_at AS at
             FROM billing.credit_notes n JOIN billing.invoices i ON i.id = n.invoice_id`,
  },
  {
    sourceType: 'customer_balance_transaction',
    event: 'balance.applied',
    describe: 'credit applied to an invoice',
    rows: BALANCE_TRANSACTIONS(`t.kind = 'applied_to_invoice'`),
  },
  {
    sourceType: 'customer_balance_transaction',
    event: 'balance.restored',
    describe: 'credit restored from a voided invoice',
    rows: BALANCE_TRANSACTIONS(`t.kind = 'invoice_voided'`),
  },
  {
    sourceType: 'customer_balance_transaction',
    event: 'balance.credited',
    describe: 'balance credit',
    rows: BALANCE_TRANSACTIONS(
      `t.kind IN ('downgrade_credit', 'cancellation_credit', 'goodwill_credit') OR (t.kind = 'adjustment' AND t.amount > 0)`,
    ),
  },
  {
    sourceType: 'customer_balance_transaction',
    event: 'balance.debited',
    describe: 'balance debit',
    rows: BALANCE_TRANSACTIONS(`t.kind = 'adjustment' AND t.amount < 0`),
  },
];

/**
 * Every rule the books check applies. Refunds, disputes and trader payouts (F2) and processor
 * postings (reconciliation) add theirs here, one line each.
 */
export const LEDGER_SOURCE_RULES: readonly LedgerSourceRule[] = [
  ...CASH_IN_SOURCE_RULES,
  ...MONEY_OUT_SOURCE_RULES,
];

import { abs, subtract } from '@astrix/pricing';
import type { BooksFinding } from '../books/books-findings';
import { moneyText } from '../books/books-findings';
import { storedMoney } from '../money';
import type { LedgerSourceRule } from './ledger-sources';

/** An entry whose lines in one currency do not balance, or that has no lines at all. */
export interface UnbalancedEntryRow {
  entryId: string;
  sourceType: string;
  sourceId: string;
  event: string;
  /** Null when the entry has no lines. */
  currency: string | null;
  debits: number;
  credits: number;
}

export function ledgerUnbalanced(row: UnbalancedEntryRow): BooksFinding {
  const what = `journal entry ${row.entryId} (${row.event} of ${row.sourceType} ${row.sourceId})`;
  if (row.currency === null) {
    return {
      kind: 'ledger_unbalanced',
      subject: row.entryId,
      ids: [row.entryId, row.sourceId],
      amount: 0,
      currency: '',
      message: `${what} has no lines`,
    };
  }
  const gap = abs(subtract(storedMoney(row.debits, row.currency), storedMoney(row.credits, row.currency)));
  return {
    kind: 'ledger_unbalanced',
    subject: row.entryId,
    ids: [row.entryId, row.sourceId],
    amount: gap.amountMinor,
    currency: row.currency,
    message: `${what} does not balance in ${row.currency}: debits ${moneyText(storedMoney(row.debits, row.currency))}, credits ${moneyText(storedMoney(row.credits, row.currency))}`,
  };
}

/** The whole ledger's debits and credits in one currency (the trial balance) differ. */
export function trialBalanceUnbalanced(currency: string, debits: number, credits: number): BooksFinding {
  const gap = abs(subtract(storedMoney(debits, currency), storedMoney(credits, currency)));
  return {
    kind: 'ledger_unbalanced',
    subject: `ledger:${currency}`,
    ids: [],
    amount: gap.amountMinor,
    currency,
    message: `the ledger does not balance in ${currency}: debits ${moneyText(storedMoney(debits, currency))}, credits ${moneyText(storedMoney(credits, currency))}`,
  };
}

/** A row of a rule (see ledger-sources.ts) with no entry for its event. */
export interface RowWithoutEntry {
  id: string;
  customerId: string | null;
  currency: string;
  amount: number;
}

export function moneyRowWithoutEntry(
  rule: Pick<LedgerSourceRule, 'sourceType' | 'event' | 'describe'>,
  row: RowWithoutEntry,
): BooksFinding {
  return {
    kind: 'money_row_without_entry',
    subject: row.id,
    ids: row.customerId ? [row.id, row.customerId] : [row.id],
    amount: row.amount,
    currency: row.currency,
    message: `${rule.describe} ${row.id} (${moneyText(storedMoney(row.amount, row.currency))}) has no ${rule.event} journal entry`,
  };
}

/** An entry of a rule whose source row is not among the rule's rows (gone, or not in that state). */
export interface EntryWithoutSourceRow {
  entryId: string;
  sourceId: string;
  /** Empty when the entry has no lines (a ledger_unbalanced finding of its own). */
  currency: string;
  /** What the entry debits in total. */
  amount: number;
}

export function entryWithoutSource(
  rule: Pick<LedgerSourceRule, 'sourceType' | 'event' | 'describe'>,
  row: EntryWithoutSourceRow,
): BooksFinding {
  return {
    kind: 'entry_without_source',
    subject: row.entryId,
    ids: [row.entryId, row.sourceId],
    amount: row.amount,
    currency: row.currency,
    message: `journal entry ${row.entryId} posts ${rule.event} of ${rule.sourceType} ${row.sourceId}${
      row.currency === '' ? '' : ` (${moneyText(storedMoney(row.amount, row.currency))})`
    }, but there is no ${rule.describe} ${row.sourceId}`,
  };
}

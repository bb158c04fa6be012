import { storedMoney } from '../../money';
import type { LedgerAccountCode, RevenueKind } from '../chart-of-accounts';
import type { JournalEntryDraft } from '../journal.service';
import { line } from './posting-lines';

/** What a recognition posting reads of a schedule row. */
export interface ScheduleForPosting {
  id: string;
  invoiceId: string;
  linePosition: number;
  customerId: string;
  productKind: RevenueKind;
  account: LedgerAccountCode;
  currency: string;
  createdAt: Date;
}

const memoOf = (schedule: ScheduleForPosting): string =>
  `invoice ${schedule.invoiceId} line ${schedule.linePosition}`;

/**
 * `recognized.YYYY-MM-DD`: one day of a schedule earned. Dr deferred revenue, Cr the revenue
 * account of the line's kind (a proration credit's negative day the other way round). Dated at
 * the end of the day, never before the invoice was finalized.
 */
export function revenueRecognizedEntry(
  schedule: ScheduleForPosting,
  day: string,
  amount: number,
  dayEnd: Date,
): JournalEntryDraft {
  const units = storedMoney(amount, schedule.currency);
  const kind = { productKind: schedule.productKind };
  return {
    sourceType: 'revenue_schedule',
    sourceId: schedule.id,
    event: `recognized.${day}`,
    occurredAt: dayEnd < schedule.createdAt ? schedule.createdAt : dayEnd,
    customerId: schedule.customerId,
    memo: memoOf(schedule),
    lines: [line('deferred_revenue', 'debit', units, kind), line(schedule.account, 'credit', units, kind)],
  };
}

/**
 * `credited.<credit note id>`: the part of a credit note against a deferred line that was not yet
 * earned comes off deferred revenue instead of revenue: Dr deferred revenue, Cr `refunds` (the
 * credit note's own entry debited `refunds` for all of it).
 */
export function deferredCreditedEntry(
  schedule: ScheduleForPosting,
  creditNoteId: string,
  amount: number,
  at: Date,
): JournalEntryDraft {
  const units = storedMoney(amount, schedule.currency);
  const kind = { productKind: schedule.productKind };
  return {
    sourceType: 'revenue_schedule',
    sourceId: schedule.id,
    event: `credited.${creditNoteId}`,
    occurredAt: at,
    customerId: schedule.customerId,
    memo: `${memoOf(schedule)}, credit note ${creditNoteId}`,
    lines: [line('deferred_revenue', 'debit', units, kind), line('refunds', 'credit', units, kind)],
  };
}

/**
 * `voided`: the invoice of a deferred line is voided. Its reversal debits deferred revenue for the
 * whole line; what was already recognized is taken back: Dr the revenue account, Cr deferred revenue.
 */
export function recognitionVoidedEntry(
  schedule: ScheduleForPosting,
  recognized: number,
  at: Date,
): JournalEntryDraft {
  const units = storedMoney(recognized, schedule.currency);
  const kind = { productKind: schedule.productKind };
  return {
    sourceType: 'revenue_schedule',
    sourceId: schedule.id,
    event: 'voided',
    occurredAt: at,
    customerId: schedule.customerId,
    memo: memoOf(schedule),
    lines: [line(schedule.account, 'debit', units, kind), line('deferred_revenue', 'credit', units, kind)],
  };
}

import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { newId } from '../../../../platform/ids';
import { revenueAccount, type LedgerAccountCode, type RevenueKind } from '../chart-of-accounts';
import { Journal, type JournalEntryDraft } from '../journal.service';
import {
  type CreditNoteForPosting,
  type InvoiceForPosting,
  type InvoiceLineForPosting,
  lineNetRevenue,
  lineRevenueKind,
  type ProductKindOf,
} from '../postings/invoice-postings';
import {
  deferredCreditedEntry,
  recognitionVoidedEntry,
  revenueRecognizedEntry,
  type ScheduleForPosting,
} from '../postings/recognition-postings';
import { RecognitionPolicy, RevenueSchedule } from '../recognition.entity';
import {
  creditFromDeferred,
  creditShares,
  daysToRecognize,
  endOfDay,
  minus,
  plus,
  type PolicyOf,
  rebased,
  recognitionWindow,
  type RecognitionWindow,
} from './recognition-rules';
import { preparedQuery } from '../../../../platform/database/prepared-query';

/** The recognition policies read, as a lookup (a kind without a row is earned at once). */
export function policyLookup(
  rows: ReadonlyArray<Pick<RecognitionPolicy, 'productKind' | 'method' | 'durationDays'>>,
): PolicyOf {
  const byKind = new Map(rows.map((row) => [row.productKind, row]));
  return (kind) => byKind.get(kind) ?? { method: 'point_in_time', durationDays: null };
}

/** The deferred lines of one invoice, by line, with their window and kind. */
export type DeferredLines = Map<
  InvoiceLineForPosting,
  { window: RecognitionWindow; kind: RevenueKind; position: number }
>;

const asPosting = (schedule: RevenueSchedule): ScheduleForPosting => ({
  ...schedule,
  account: schedule.account as LedgerAccountCode,
});

/**
 * The writer of revenue schedules: created with the invoice's `invoice.finalized` entry, adjusted by
 * credit notes and voids in their transactions, and advanced day by day by the recognition run
 * (each day one entry, idempotent per schedule and day). Always in the caller's transaction.
 */
@Injectable()
export class RevenueSchedules {
  constructor(private readonly journal: Journal) {}

  /** Which lines of an invoice are earned over time, and over which window. */
  deferredLines(
    invoice: InvoiceForPosting,
    lines: readonly InvoiceLineForPosting[],
    kindOf: ProductKindOf,
    policyOf: PolicyOf,
  ): DeferredLines {
    const deferred: DeferredLines = new Map();
    lines.forEach((line, index) => {
      if (minus(line.amount, line.discount, invoice.currency) === 0) return;
      const kind = lineRevenueKind(line, kindOf);
      const window = recognitionWindow(policyOf(kind), line, invoice.issuedAt);
      if (window) deferred.set(line, { window, kind, position: index + 1 });
    });
    return deferred;
  }

  /** The schedules of invoices just finalized (lines as `deferredLines` chose them). */
  async create(
    manager: EntityManager,
    invoices: ReadonlyArray<{ invoice: InvoiceForPosting; deferred: DeferredLines }>,
  ): Promise<void> {
    const rows = invoices.flatMap(({ invoice, deferred }) =>
      [...deferred].map(([line, { window, kind, position }]): RevenueSchedule => {
        const amount = lineNetRevenue(line);
        return {
          id: newId('rvs'),
          invoiceId: invoice.id,
          linePosition: position,
          customerId: invoice.customerId,
          productKind: kind,
          account: revenueAccount(kind),
          currency: invoice.currency,
          amount,
          startAt: window.startAt,
          endAt: window.endAt,
          firstDay: window.firstDay,
          lastDay: window.lastDay,
          recognized: 0,
          reduced: 0,
          credited: 0,
          recognizedThrough: null,
          basisStart: window.firstDay,
          basisAmount: amount,
          basisRecognized: 0,
          createdAt: invoice.issuedAt,
        };
      }),
    );
    if (rows.length === 0) return;
    // One raw statement: the billing run writes a schedule per invoice, and the ORM's insert building
    // cost more CPU than the statement itself. A line that has its schedule keeps it.
    const of = <K extends keyof RevenueSchedule>(key: K): Array<RevenueSchedule[K]> =>
      rows.map((row) => row[key]);
    await preparedQuery(
      manager,
      `INSERT INTO billing.revenue_schedules
         (id, invoice_id, line_position, customer_id, product_kind, account, currency, amount, start_at, end_at,
          first_day, last_day, recognized, reduced, credited, recognized_through, basis_start, basis_amount,
          basis_recognized, created_at)
       SELECT id, invoice_id, line_position, customer_id, product_kind, account, currency, amount, start_at, end_at,
              first_day, last_day, 0, 0, 0, NULL, basis_start, basis_amount, 0, created_at
         FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[],
                     $9::timestamptz[], $10::timestamptz[], $11::date[], $12::date[], $13::timestamptz[], $14::date[],
                     $15::bigint[])
           AS s(id, invoice_id, line_position, customer_id, product_kind, account, currency, amount, start_at, end_at,
                first_day, last_day, created_at, basis_start, basis_amount)
       ON CONFLICT DO NOTHING`,
      [
        of('id'),
        of('invoiceId'),
        of('linePosition'),
        of('customerId'),
        of('productKind'),
        of('account'),
        of('currency'),
        of('amount'),
        of('startAt'),
        of('endAt'),
        of('firstDay'),
        of('lastDay'),
        of('createdAt'),
        of('basisStart'),
        of('basisAmount'),
      ],
    );
  }

  /**
   * A credit note against an invoice: each deferred line's share (split as the note's entry splits
   * it) gives back the same fraction of the line's unrecognized remainder from deferred revenue; the
   * remainder left re-spreads over the days not yet recognized.
   */
  async credit(
    manager: EntityManager,
    note: CreditNoteForPosting,
    lines: readonly InvoiceLineForPosting[],
  ): Promise<void> {
    const schedules = await this.lock(manager, note.invoiceId);
    if (schedules.length === 0) return;
    const shares = creditShares(note.amount, lines, note.currency);
    const drafts: JournalEntryDraft[] = [];
    for (const schedule of schedules) {
      const share = shares[schedule.linePosition - 1] ?? 0;
      if (share <= 0) continue;
      const fromDeferred = creditFromDeferred(schedule, share, schedule.currency);
      schedule.credited = plus(schedule.credited, share, schedule.currency);
      schedule.reduced = plus(schedule.reduced, fromDeferred, schedule.currency);
      Object.assign(schedule, rebased(schedule, schedule.currency));
      drafts.push(deferredCreditedEntry(asPosting(schedule), note.id, fromDeferred, note.issuedAt));
      await this.save(manager, schedule);
    }
    for (const draft of drafts) await this.journal.post(manager, draft);
  }

  /**
   * A voided invoice: its reversal took the deferred lines off deferred revenue in full; what the
   * schedules had recognized goes back from revenue, and nothing more is recognized.
   */
  async void(manager: EntityManager, invoiceId: string, at: Date): Promise<void> {
    for (const schedule of await this.lock(manager, invoiceId)) {
      const recognized = schedule.recognized;
      if (recognized !== 0)
        await this.journal.post(manager, recognitionVoidedEntry(asPosting(schedule), recognized, at));
      schedule.recognized = 0;
      schedule.reduced = schedule.amount;
      Object.assign(schedule, rebased(schedule, schedule.currency));
      await this.save(manager, schedule);
    }
  }

  /**
   * Recognizes the days through `through` (a calendar day, UTC) of these schedules: one entry per
   * schedule and day (`recognized.YYYY-MM-DD`, idempotent), catching up days missed. Returns the
   * entries posted.
   */
  async recognize(manager: EntityManager, scheduleIds: readonly string[], through: string): Promise<number> {
    if (scheduleIds.length === 0) return 0;
    const schedules = await manager.find(RevenueSchedule, {
      where: { id: In([...scheduleIds]) },
      order: { id: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
    const drafts: JournalEntryDraft[] = [];
    for (const schedule of schedules) {
      const days = daysToRecognize(schedule, through, schedule.currency);
      if (days.length === 0) continue;
      for (const { day, amount } of days) {
        drafts.push(revenueRecognizedEntry(asPosting(schedule), day, amount, endOfDay(day)));
        schedule.recognized = plus(schedule.recognized, amount, schedule.currency);
      }
      schedule.recognizedThrough = days[days.length - 1].day;
      await this.save(manager, schedule);
    }
    const posted = await this.journal.postMany(manager, drafts);
    return posted.length;
  }

  private lock(manager: EntityManager, invoiceId: string): Promise<RevenueSchedule[]> {
    return manager.find(RevenueSchedule, {
      where: { invoiceId },
      order: { linePosition: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
  }

  private async save(manager: EntityManager, schedule: RevenueSchedule): Promise<void> {
    await manager.update(
      RevenueSchedule,
      { id: schedule.id },
      {
        recognized: schedule.recognized,
        reduced: schedule.reduced,
        credited: schedule.credited,
        recognizedThrough: schedule.recognizedThrough,
        basisStart: schedule.basisStart,
        basisAmount: schedule.basisAmount,
        basisRecognized: schedule.basisRecognized,
      },
    );
  }
}

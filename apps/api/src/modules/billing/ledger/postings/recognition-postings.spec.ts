import { journalImbalances } from '@astrix/pricing';
import type { JournalEntryDraft } from '../journal.service';
import {
  deferredCreditedEntry,
  recognitionVoidedEntry,
  revenueRecognizedEntry,
  type ScheduleForPosting,
} from './recognition-postings';

const schedule: ScheduleForPosting = {
  id: 'rvs_1',
  invoiceId: 'inv_1',
  linePosition: 1,
  customerId: 'cust_1',
  productKind: 'subscription',
  account: 'revenue_subscription',
  currency: 'USD',
  createdAt: new Date('2026-01-15T10:00:00Z'),
};

const lines = (draft: JournalEntryDraft) =>
  draft.lines.map((line) => [line.account, line.debit ?? 0, line.credit ?? 0, line.productKind ?? null]);
const balanced = (draft: JournalEntryDraft) =>
  journalImbalances(
    draft.lines.map((line) => ({ ...line, debit: line.debit ?? 0, credit: line.credit ?? 0 })),
  );

describe('recognition postings', () => {
  it('moves one day from deferred revenue to the revenue of the kind, dated at the end of the day', () => {
    const draft = revenueRecognizedEntry(schedule, '2026-01-20', 329, new Date('2026-01-20T23:59:59.999Z'));
    expect(draft).toMatchObject({
      sourceType: 'revenue_schedule',
      sourceId: 'rvs_1',
      event: 'recognized.2026-01-20',
      customerId: 'cust_1',
      occurredAt: new Date('2026-01-20T23:59:59.999Z'),
    });
    expect(lines(draft)).toEqual([
      ['deferred_revenue', 329, 0, 'subscription'],
      ['revenue_subscription', 0, 329, 'subscription'],
    ]);
    expect(balanced(draft)).toEqual([]);
  });

  it('never dates a day before the invoice that deferred it', () => {
    const draft = revenueRecognizedEntry(schedule, '2026-01-14', 10, new Date('2026-01-14T23:59:59.999Z'));
    expect(draft.occurredAt).toEqual(schedule.createdAt);
  });

  it('recognizes a negative day (a proration credit) as a debit of revenue', () => {
    expect(
      lines(revenueRecognizedEntry(schedule, '2026-07-01', -50, new Date('2026-07-01T23:59:59.999Z'))),
    ).toEqual([
      ['deferred_revenue', 0, 50, 'subscription'],
      ['revenue_subscription', 50, 0, 'subscription'],
    ]);
  });

  it('takes the unearned part of a credit note off deferred revenue instead of the refunds account', () => {
    const draft = deferredCreditedEntry(schedule, 'cn_1', 3334, new Date('2026-03-11T00:00:00Z'));
    expect(draft.event).toBe('credited.cn_1');
    expect(lines(draft)).toEqual([
      ['deferred_revenue', 3334, 0, 'subscription'],
      ['refunds', 0, 3334, 'subscription'],
    ]);
  });

  it('takes back what a voided invoice line had recognized', () => {
    expect(lines(recognitionVoidedEntry(schedule, 1200, new Date('2026-02-01T00:00:00Z')))).toEqual([
      ['revenue_subscription', 1200, 0, 'subscription'],
      ['deferred_revenue', 0, 1200, 'subscription'],
    ]);
  });
});

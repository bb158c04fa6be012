import { assertBalancedJournal } from '@astrix/pricing';
import type { JournalEntryDraft } from '../journal.service';
import { refundReversedEntry, refundSettledEntry } from './refund-postings';

const sides = (draft: JournalEntryDraft) =>
  draft.lines.map((line) => [line.account, line.debit ?? 0, line.credit ?? 0]);
const balanced = (draft: JournalEntryDraft) =>
  assertBalancedJournal(
    draft.lines.map((line) => ({ ...line, debit: line.debit ?? 0, credit: line.credit ?? 0 })),
  );

describe('refund postings', () => {
  const refund = {
    id: 'ref_1',
    amount: 2500,
    currency: 'USD',
    processedAt: new Date('2026-11-03T10:00:00Z'),
    createdAt: new Date('2026-11-03T09:59:00Z'),
  };

  it('settles a refund out of processor clearing into the receivable, when it settled, for its customer', () => {
    const draft = refundSettledEntry(refund, 'cus_1');
    expect(draft).toMatchObject({
      sourceType: 'refund',
      sourceId: 'ref_1',
      event: 'refund.settled',
      occurredAt: refund.processedAt,
      customerId: 'cus_1',
    });
    expect(sides(draft)).toEqual([
      ['accounts_receivable', 2500, 0],
      ['processor_clearing', 0, 2500],
    ]);
    expect(() => balanced(draft)).not.toThrow();
  });

  it('reverses a settled refund the processor failed afterwards: the mirror image, at the failure', () => {
    const reversedAt = new Date('2026-11-05T08:00:00Z');
    const draft = refundReversedEntry({ ...refund, reversedAt }, 'cus_1');
    expect(draft).toMatchObject({ event: 'refund.reversed', occurredAt: reversedAt, sourceId: 'ref_1' });
    expect(sides(draft)).toEqual([
      ['accounts_receivable', 0, 2500],
      ['processor_clearing', 2500, 0],
    ]);
    expect(() => balanced(draft)).not.toThrow();
  });
});

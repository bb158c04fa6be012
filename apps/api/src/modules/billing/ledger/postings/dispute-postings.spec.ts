import { assertBalancedJournal } from '@astrix/pricing';
import type { DisputeStatus } from '@astrix/contracts';
import type { JournalEntryDraft } from '../journal.service';
import { disputeEntries, type DisputePostingSource } from './dispute-postings';

const sides = (draft: JournalEntryDraft) =>
  draft.lines
    .filter((line) => (line.debit ?? 0) !== 0 || (line.credit ?? 0) !== 0)
    .map((line) => [line.account, line.debit ?? 0, line.credit ?? 0]);
const balanced = (draft: JournalEntryDraft) =>
  assertBalancedJournal(
    draft.lines.map((line) => ({ ...line, debit: line.debit ?? 0, credit: line.credit ?? 0 })),
  );

describe('dispute postings', () => {
  const opened = new Date('2026-11-03T10:00:00Z');
  const closed = new Date('2026-11-20T10:00:00Z');
  const dispute = (status: DisputeStatus, feeAmount = 1500): DisputePostingSource => ({
    id: 'dsp_1',
    amount: 14900,
    currency: 'USD',
    feeAmount,
    status,
    inquiry: false,
    createdAt: opened,
    closedAt: status === 'won' || status === 'lost' ? closed : null,
  });

  it('an open dispute holds the amount and expenses the fee, both out of processor clearing', () => {
    const [entry, ...rest] = disputeEntries(dispute('needs_response'), 'cus_1');
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      sourceType: 'dispute',
      event: 'dispute.opened',
      occurredAt: opened,
      customerId: 'cus_1',
    });
    expect(sides(entry!)).toEqual([
      ['dispute_held', 14900, 0],
      ['dispute_fees', 1500, 0],
      ['processor_clearing', 0, 14900],
      ['processor_clearing', 0, 1500],
    ]);
    expect(() => balanced(entry!)).not.toThrow();
  });

  it('a won dispute (first heard of already closed) posts opened, then the amount back into clearing', () => {
    const entries = disputeEntries(dispute('won'), 'cus_1');
    expect(entries.map((entry) => entry.event)).toEqual(['dispute.opened', 'dispute.won']);
    expect(entries[1]!.occurredAt).toEqual(closed);
    expect(sides(entries[1]!)).toEqual([
      ['processor_clearing', 14900, 0],
      ['dispute_held', 0, 14900],
    ]);
    entries.forEach((entry) => expect(() => balanced(entry)).not.toThrow());
  });

  it('a lost dispute posts opened, then the held amount to dispute losses', () => {
    const entries = disputeEntries(dispute('lost'), null);
    expect(entries.map((entry) => entry.event)).toEqual(['dispute.opened', 'dispute.lost']);
    expect(sides(entries[1]!)).toEqual([
      ['dispute_losses', 14900, 0],
      ['dispute_held', 0, 14900],
    ]);
    entries.forEach((entry) => expect(() => balanced(entry)).not.toThrow());
  });

  it('an inquiry posts nothing, open or closed; escalated, it is a dispute', () => {
    expect(disputeEntries({ ...dispute('needs_response'), inquiry: true }, null)).toEqual([]);
    expect(disputeEntries({ ...dispute('won'), inquiry: true }, null)).toEqual([]);
    expect(disputeEntries(dispute('needs_response'), null).map((entry) => entry.event)).toEqual([
      'dispute.opened',
    ]);
  });

  it('without a configured fee, only the amount is held', () => {
    const [entry] = disputeEntries(dispute('under_review', 0), null);
    expect(sides(entry!)).toEqual([
      ['dispute_held', 14900, 0],
      ['processor_clearing', 0, 14900],
    ]);
  });
});

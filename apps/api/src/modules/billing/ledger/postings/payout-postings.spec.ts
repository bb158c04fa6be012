import { assertBalancedJournal } from '@astrix/pricing';
import type { JournalEntryDraft } from '../journal.service';
import { payoutPaidEntry, payoutReleasedEntry, payoutReservedEntry } from './payout-postings';

const sides = (draft: JournalEntryDraft) =>
  draft.lines.map((line) => [line.account, line.debit ?? 0, line.credit ?? 0]);
const balanced = (draft: JournalEntryDraft) =>
  assertBalancedJournal(
    draft.lines.map((line) => ({ ...line, debit: line.debit ?? 0, credit: line.credit ?? 0 })),
  );

describe('trader payout postings', () => {
  const payout = {
    id: 'po_1',
    accountId: 'acc_1',
    userId: 'user_1',
    amount: 80000,
    currency: 'USD',
    requestedAt: new Date('2026-11-03T10:00:00Z'),
  };

  it('a reservation owes the trader their share: expense against payable, when requested', () => {
    const draft = payoutReservedEntry(payout);
    expect(draft).toMatchObject({
      sourceType: 'trader_payout',
      sourceId: 'po_1',
      event: 'payout.reserved',
      occurredAt: payout.requestedAt,
      customerId: null,
    });
    expect(sides(draft)).toEqual([
      ['trader_payouts_expense', 80000, 0],
      ['trader_payouts_payable', 0, 80000],
    ]);
    expect(() => balanced(draft)).not.toThrow();
  });

  it('a paid payout moves what was owed to payouts clearing, when paid', () => {
    const paidAt = new Date('2026-11-04T10:00:00Z');
    const draft = payoutPaidEntry(payout, paidAt);
    expect(draft).toMatchObject({ event: 'payout.paid', occurredAt: paidAt });
    expect(sides(draft)).toEqual([
      ['trader_payouts_payable', 80000, 0],
      ['trader_payouts_clearing', 0, 80000],
    ]);
    expect(() => balanced(draft)).not.toThrow();
  });

  it('a release is the mirror image of the reservation', () => {
    const releasedAt = new Date('2026-11-04T10:00:00Z');
    const draft = payoutReleasedEntry(payout, releasedAt);
    expect(draft).toMatchObject({ event: 'payout.released', occurredAt: releasedAt });
    expect(sides(draft)).toEqual([
      ['trader_payouts_expense', 0, 80000],
      ['trader_payouts_payable', 80000, 0],
    ]);
    expect(() => balanced(draft)).not.toThrow();
  });
});

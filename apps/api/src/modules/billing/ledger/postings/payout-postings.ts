import type { JournalEntryDraft } from '../journal.service';

/**
 * What a trader payout's entries are built from: the payouts context's payout row, as plain data
 * (billing does not import payouts; payouts passes its row).
 */
export interface PayoutPostingSource {
  readonly id: string;
  readonly accountId: string;
  readonly userId: string;
  readonly amount: number;
  readonly currency: string;
  readonly requestedAt: Date;
}

export const PAYOUT_RELEASED_EVENT = 'payout.released';

const memo = (payout: PayoutPostingSource, what: string) =>
  `payout ${payout.id} ${what} (account ${payout.accountId}, user ${payout.userId})`;

/** `payout.reserved`: the trader's share of profit is owed to them from the moment it is reserved. */
export function payoutReservedEntry(payout: PayoutPostingSource): JournalEntryDraft {
  return {
    sourceType: 'trader_payout',
    sourceId: payout.id,
    event: 'payout.reserved',
    occurredAt: payout.requestedAt,
    customerId: null,
    memo: memo(payout, 'reserved'),
    lines: [
      { account: 'trader_payouts_expense', currency: payout.currency, debit: payout.amount },
      { account: 'trader_payouts_payable', currency: payout.currency, credit: payout.amount },
    ],
  };
}

/**
 * `payout.paid`: the transfer left (or finance paid by hand); what we owed moves to clearing until
 * the processor's transfer is matched to it.
 */
export function payoutPaidEntry(payout: PayoutPostingSource, paidAt: Date): JournalEntryDraft {
  return {
    sourceType: 'trader_payout',
    sourceId: payout.id,
    event: 'payout.paid',
    occurredAt: paidAt,
    customerId: null,
    memo: memo(payout, 'paid'),
    lines: [
      { account: 'trader_payouts_payable', currency: payout.currency, debit: payout.amount },
      { account: 'trader_payouts_clearing', currency: payout.currency, credit: payout.amount },
    ],
  };
}

/**
 * `payout.released`: a rejected or canceled payout gives the reservation back: the mirror of
 * `payout.reserved` (live, the journal's reversal of that entry; this builds the same lines).
 */
export function payoutReleasedEntry(payout: PayoutPostingSource, releasedAt: Date): JournalEntryDraft {
  const reserved = payoutReservedEntry(payout);
  return {
    ...reserved,
    event: PAYOUT_RELEASED_EVENT,
    occurredAt: releasedAt,
    memo: memo(payout, 'released'),
    lines: reserved.lines.map((line) => ({ ...line, debit: line.credit, credit: line.debit })),
  };
}

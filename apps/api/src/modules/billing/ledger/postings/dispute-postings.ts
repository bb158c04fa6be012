import type { DisputeStatus } from '@astrix/contracts';
import type { JournalEntryDraft } from '../journal.service';

/** What a dispute's entries are built from: the dispute row and the customer of its charge. */
export interface DisputePostingSource {
  readonly id: string;
  readonly amount: number;
  readonly currency: string;
  readonly feeAmount: number;
  readonly status: DisputeStatus;
  /** An inquiry (no funds withdrawn, no fee; the row's `inquiry`) posts nothing unless it escalates. */
  readonly inquiry?: boolean;
  /** When we first heard of it. */
  readonly createdAt: Date;
  /** When it was won or lost. */
  readonly closedAt: Date | null;
}

/**
 * `dispute.opened`: Stripe withdrew the disputed amount and its dispute fee from our balance. The
 * amount is held (an asset we may get back); the fee is an expense whatever the outcome.
 */
export function disputeOpenedEntry(
  dispute: DisputePostingSource,
  customerId: string | null,
): JournalEntryDraft {
  return {
    sourceType: 'dispute',
    sourceId: dispute.id,
    event: 'dispute.opened',
    occurredAt: dispute.createdAt,
    customerId,
    memo: `dispute ${dispute.id} opened`,
    lines: [
      { account: 'dispute_held', currency: dispute.currency, debit: dispute.amount },
      { account: 'dispute_fees', currency: dispute.currency, debit: dispute.feeAmount },
      { account: 'processor_clearing', currency: dispute.currency, credit: dispute.amount },
      { account: 'processor_clearing', currency: dispute.currency, credit: dispute.feeAmount },
    ],
  };
}

/** `dispute.won`: Stripe reinstates the held amount (the fee is not returned). */
export function disputeWonEntry(dispute: DisputePostingSource, customerId: string | null): JournalEntryDraft {
  return {
    sourceType: 'dispute',
    sourceId: dispute.id,
    event: 'dispute.won',
    occurredAt: dispute.closedAt ?? dispute.createdAt,
    customerId,
    memo: `dispute ${dispute.id} won`,
    lines: [
      { account: 'processor_clearing', currency: dispute.currency, debit: dispute.amount },
      { account: 'dispute_held', currency: dispute.currency, credit: dispute.amount },
    ],
  };
}

/** `dispute.lost`: the held amount is gone for good. */
export function disputeLostEntry(
  dispute: DisputePostingSource,
  customerId: string | null,
): JournalEntryDraft {
  return {
    sourceType: 'dispute',
    sourceId: dispute.id,
    event: 'dispute.lost',
    occurredAt: dispute.closedAt ?? dispute.createdAt,
    customerId,
    memo: `dispute ${dispute.id} lost`,
    lines: [
      { account: 'dispute_losses', currency: dispute.currency, debit: dispute.amount },
      { account: 'dispute_held', currency: dispute.currency, credit: dispute.amount },
    ],
  };
}

/**
 * Every entry a dispute in this state has: opened, and won or lost once closed. Posting them all
 * on every update is safe (the journal posts each source event once), so updates arriving twice or
 * out of order post each entry once, and a dispute first heard of already closed posts both. An
 * inquiry has none: Stripe withdraws nothing until it escalates.
 */
export function disputeEntries(
  dispute: DisputePostingSource,
  customerId: string | null,
): JournalEntryDraft[] {
  if (dispute.inquiry) return [];
  const opened = disputeOpenedEntry(dispute, customerId);
  switch (dispute.status) {
    case 'won':
      return [opened, disputeWonEntry(dispute, customerId)];
    case 'lost':
      return [opened, disputeLostEntry(dispute, customerId)];
    case 'needs_response':
    case 'under_review':
    case 'warning':
    case 'other':
      return [opened];
  }
}

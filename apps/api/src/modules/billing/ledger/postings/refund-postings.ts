import type { JournalEntryDraft } from '../journal.service';

/** What a refund's entries are built from: the refund row and the customer of its charge. */
export interface RefundPostingSource {
  readonly id: string;
  readonly amount: number;
  readonly currency: string;
  /** When the processor settled it (the refund row's processedAt). */
  readonly processedAt: Date | null;
  readonly createdAt: Date;
}

/**
 * `refund.settled`: the money left through the processor. It takes the amount back out of processor
 * clearing and into the customer's receivable: the credit note (Dr refunds / Cr receivable) closes
 * it when the refund credits an invoice; a refunded duplicate payment has no credit note and simply
 * returns the overpayment its charge left in the receivable (credit balance) to zero.
 */
export function refundSettledEntry(
  refund: RefundPostingSource,
  customerId: string | null,
): JournalEntryDraft {
  return {
    sourceType: 'refund',
    sourceId: refund.id,
    event: 'refund.settled',
    occurredAt: refund.processedAt ?? refund.createdAt,
    customerId,
    memo: `refund ${refund.id} settled`,
    lines: [
      { account: 'accounts_receivable', currency: refund.currency, debit: refund.amount },
      { account: 'processor_clearing', currency: refund.currency, credit: refund.amount },
    ],
  };
}

/** The event of the reversal posted when the processor reports a settled refund failed after all. */
export const REFUND_REVERSED_EVENT = 'refund.reversed';

/**
 * `refund.reversed`: the processor reported a settled refund failed (e.g. the card account was
 * closed) and put the money back in our balance: the mirror of `refund.settled`. The credit note
 * stands, so the customer's receivable shows what we still owe them.
 */
export function refundReversedEntry(
  refund: RefundPostingSource & { readonly reversedAt: Date },
  customerId: string | null,
): JournalEntryDraft {
  const settled = refundSettledEntry(refund, customerId);
  return {
    ...settled,
    event: REFUND_REVERSED_EVENT,
    occurredAt: refund.reversedAt,
    memo: `refund ${refund.id} failed after it settled; the money came back`,
    lines: settled.lines.map((line) => ({ ...line, debit: line.credit, credit: line.debit })),
  };
}

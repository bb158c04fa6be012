import { storedMoney } from '../../money';
import type { JournalEntryDraft } from '../journal.service';
import { line } from './posting-lines';

/** What a charge posting reads of the charge row. */
export interface ChargeForPosting {
  id: string;
  customerId: string;
  amount: number;
  currency: string;
  invoiceId: string | null;
  paidAt: Date;
}

/**
 * `charge.succeeded`: a payment is recorded. Dr processor clearing (until Stripe's balance
 * transaction for it is reconciled), Cr accounts receivable (the receipt or invoice it pays; money
 * for an invoice that did not need it leaves the receivable negative until it is refunded).
 */
export function chargeSucceededEntry(charge: ChargeForPosting): JournalEntryDraft {
  const amount = storedMoney(charge.amount, charge.currency);
  return {
    sourceType: 'charge',
    sourceId: charge.id,
    event: 'charge.succeeded',
    occurredAt: charge.paidAt,
    customerId: charge.customerId,
    memo: charge.invoiceId ? `invoice ${charge.invoiceId}` : null,
    lines: [line('processor_clearing', 'debit', amount), line('accounts_receivable', 'credit', amount)],
  };
}

import { abs, isNegative } from '@astrix/pricing';
import { storedMoney } from '../../money';
import type { BalanceTransactionKind } from '../../customers/customer-balance.entity';
import type { JournalEntryDraft } from '../journal.service';
import { line } from './posting-lines';

/** What a balance posting reads of the customer balance transaction row. */
export interface BalanceTransactionForPosting {
  id: string;
  customerId: string;
  currency: string;
  /** Positive credits the customer, negative spends the credit. */
  amount: number;
  kind: BalanceTransactionKind;
  invoiceId: string | null;
  createdAt: Date;
}

/** The event a balance transaction posts, by its kind (and sign, for adjustments). */
export function balanceEvent(
  transaction: Pick<BalanceTransactionForPosting, 'kind' | 'amount'>,
): 'balance.credited' | 'balance.applied' | 'balance.restored' | 'balance.debited' {
  switch (transaction.kind) {
    case 'applied_to_invoice':
      return 'balance.applied';
    case 'invoice_voided':
      return 'balance.restored';
    case 'downgrade_credit':
    case 'cancellation_credit':
    case 'goodwill_credit':
      return 'balance.credited';
    case 'adjustment':
      return transaction.amount < 0 ? 'balance.debited' : 'balance.credited';
  }
}

/**
 * One entry per customer balance transaction (Cr / Dr `customer_credit`, the liability):
 * - `balance.applied` (credit spent on an invoice): Dr customer credit, Cr accounts receivable;
 * - `balance.restored` (credit back from a voided invoice): Dr accounts receivable, Cr customer credit;
 * - `balance.credited` by a downgrade or cancellation: the negative total of the invoice that carries
 *   the unused time (its proration lines already debited revenue) moves from the receivable to
 *   customer credit: Dr accounts receivable, Cr customer credit;
 * - `balance.credited` as goodwill or a positive adjustment (nothing billed explains it): Dr
 *   `refunds`, Cr customer credit; `balance.debited` (a negative adjustment) the other way round.
 */
export function balanceTransactionEntry(transaction: BalanceTransactionForPosting): JournalEntryDraft {
  const event = balanceEvent(transaction);
  const amount = abs(storedMoney(transaction.amount, transaction.currency));
  const fromInvoice =
    transaction.kind === 'downgrade_credit' ||
    transaction.kind === 'cancellation_credit' ||
    transaction.kind === 'invoice_voided' ||
    transaction.kind === 'applied_to_invoice';
  const counterpart = fromInvoice ? 'accounts_receivable' : 'refunds';
  const credited = !isNegative(storedMoney(transaction.amount, transaction.currency));
  return {
    sourceType: 'customer_balance_transaction',
    sourceId: transaction.id,
    event,
    occurredAt: transaction.createdAt,
    customerId: transaction.customerId,
    memo: transaction.invoiceId ? `${transaction.kind}, invoice ${transaction.invoiceId}` : transaction.kind,
    lines: credited
      ? [line(counterpart, 'debit', amount), line('customer_credit', 'credit', amount)]
      : [line('customer_credit', 'debit', amount), line(counterpart, 'credit', amount)],
  };
}

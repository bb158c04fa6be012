import { type CurrencyCode, isNegative, max, money, negate, subtract, sum, zero } from '@astrix/pricing';

export interface SettlementInput {
  currency: CurrencyCode;
  total: number;
  /** Customer balance spent on the invoice. */
  creditApplied: number;
  /** Paid by card or bank (net of nothing: refunds are credit notes). */
  amountPaid: number;
  /** Amounts of the credit notes issued against the invoice. */
  creditNotes: readonly number[];
}

export interface Settlement {
  total: number;
  credited: number;
  appliedFromBalance: number;
  paid: number;
  /** What the customer still owes: never below zero. */
  amountDue: number;
  /** Paid, applied and credited beyond the total: what went (or goes) back to the customer. */
  creditedBack: number;
}

/**
 * How an invoice stands from what settled it: the total, less credit notes, less customer balance
 * applied, less payments, is what is still due; a settlement beyond the total (an invoice paid in
 * full and then credited) is credited back, never a negative amount due.
 */
export function settlementOf(input: SettlementInput): Settlement {
  const { currency } = input;
  const credited = sum(
    input.creditNotes.map((amount) => money(amount, currency)),
    currency,
  );
  const applied = money(input.creditApplied, currency);
  const paid = money(input.amountPaid, currency);
  const settled = sum([credited, applied, paid], currency);
  const left = subtract(money(input.total, currency), settled);
  return {
    total: input.total,
    credited: credited.amountMinor,
    appliedFromBalance: applied.amountMinor,
    paid: paid.amountMinor,
    amountDue: max(left, zero(currency)).amountMinor,
    creditedBack: isNegative(left) ? negate(left).amountMinor : 0,
  };
}

import type { CurrencyCode } from './currency';
import { InvalidAmountError } from './errors';
import { type Money, assertSameCurrency, isNegative, lessThan, min, subtract, sum, zero } from './money';

/**
 * One rule for money given back: what a charge can still refund and what an invoice can still
 * credit. Refunds and credit notes both reduce what the customer paid for, so the refund path and
 * the credit-note path ask the same questions here, and neither can spend what the other already
 * promised.
 */

/** A refund's state as far as the cap is concerned: pending ones are money already promised back. */
export type RefundCapStatus = 'pending' | 'succeeded' | 'failed' | 'canceled';

export interface RefundOfCharge {
  amount: Money;
  status: RefundCapStatus;
}

/** What an invoice asked for and what has already been given back against it. */
export interface InvoiceCredits {
  /** The invoice total. */
  invoiced: Money;
  /** Every credit note issued against the invoice (for refunds or on their own). */
  creditNotes: readonly Money[];
  /**
   * Refunds of the invoice's charges still pending (their credit note is issued when they
   * succeed): reserved, so a credit note cannot take what a refund in flight will need.
   */
  pendingRefunds: readonly Money[];
}

export interface RefundCapInput {
  /** What the charge took. */
  charged: Money;
  /** Every refund of the charge; failed and canceled ones give nothing back and count for nothing. */
  refunds: readonly RefundOfCharge[];
  /** The invoice the charge paid, if any: a refund is also a credit against it. */
  invoice?: InvoiceCredits | null;
}

export interface RefundCap {
  /** The most a new refund of the charge may be. */
  refundable: Money;
  /** What is left on the charge itself: charged minus refunds succeeded or pending. */
  leftOnCharge: Money;
  /** What the invoice can still credit; null when the charge paid no invoice. */
  creditableOnInvoice: Money | null;
  /** Which of the two limits the refund: the invoice only when it is strictly lower. */
  limitedBy: 'charge' | 'invoice';
}

const COMMITTED: ReadonlySet<RefundCapStatus> = new Set(['pending', 'succeeded']);

function nonNegative(value: Money, what: string): Money {
  if (isNegative(value)) throw new InvalidAmountError(`${what} ${value.amountMinor} must not be negative`);
  return value;
}

function floorAtZero(value: Money): Money {
  return isNegative(value) ? zero(value.currency) : value;
}

function total(items: readonly Money[], currency: CurrencyCode, what: string): Money {
  for (const item of items) nonNegative(item, what);
  return sum(items, currency);
}

/**
 * What an invoice can still credit: its total minus the credit notes issued and the refunds of its
 * charges still pending. Never negative (an invoice over-credited in the past can credit nothing).
 */
export function creditableAmount(invoice: InvoiceCredits): Money {
  const { invoiced } = invoice;
  nonNegative(invoiced, 'invoiced amount');
  const credited = total(invoice.creditNotes, invoiced.currency, 'credit note');
  const reserved = total(invoice.pendingRefunds, invoiced.currency, 'pending refund');
  return floorAtZero(subtract(subtract(invoiced, credited), reserved));
}

/**
 * What a charge can still refund, and why: the least of what is left on the charge (charged minus
 * refunds succeeded or pending) and what its invoice can still credit.
 */
export function refundCap(input: RefundCapInput): RefundCap {
  const { charged } = input;
  nonNegative(charged, 'charged amount');
  const committed = input.refunds.filter((refund) => COMMITTED.has(refund.status));
  const given = total(
    committed.map((refund) => refund.amount),
    charged.currency,
    'refund',
  );
  const leftOnCharge = floorAtZero(subtract(charged, given));
  if (!input.invoice) {
    return { refundable: leftOnCharge, leftOnCharge, creditableOnInvoice: null, limitedBy: 'charge' };
  }
  assertSameCurrency(charged, input.invoice.invoiced, 'refund cap');
  const creditableOnInvoice = creditableAmount(input.invoice);
  const refundable = min(leftOnCharge, creditableOnInvoice);
  return {
    refundable,
    leftOnCharge,
    creditableOnInvoice,
    limitedBy: lessThan(refundable, leftOnCharge) ? 'invoice' : 'charge',
  };
}

/** The most a new refund of the charge may be (see refundCap). */
export function refundableAmount(input: RefundCapInput): Money {
  return refundCap(input).refundable;
}

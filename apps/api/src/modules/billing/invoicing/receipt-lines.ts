import type { MoneyView, PriceBreakdown } from '@astrix/contracts';
import {
  add,
  allocate,
  computeInvoiceTotals,
  type CurrencyCode,
  equals,
  isNegative,
  isPositive,
  type Money,
  money,
  parseCurrencyCode,
  subtract,
  sum,
  toDecimalString,
  zero,
} from '@astrix/pricing';

/** A receipt whose amounts disagree with the payment: a bug upstream, never something to print. */
export class InvoiceIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvoiceIntegrityError';
  }
}

export interface ReceiptLine {
  description: string;
  quantity: number;
  unitAmount: number;
  /** quantity × unitAmount, before the discount. */
  amount: number;
  discount: number;
  tax: number;
}

export interface Receipt {
  currency: CurrencyCode;
  lines: ReceiptLine[];
  subtotal: number;
  discount: number;
  tax: number;
  /** subtotal − discount + tax: exactly the sum of the line totals. */
  total: number;
}

export interface ReceiptExpectations {
  /** What the customer was charged: the receipt total must be exactly this. */
  chargedAmount: number;
  chargedCurrency: string;
  /** The discount recorded on the charge: the receipt must show the same. */
  chargedDiscount: number;
  /** Description of the single line when the breakdown lists none. */
  fallbackDescription: string;
}

/** Money in error messages: exact and plain, e.g. "60.01 USD". */
export const moneyText = (amount: Money): string => `${toDecimalString(amount)} ${amount.currency}`;

function assertSame(actual: Money, expected: Money, what: string): void {
  if (!equals(actual, expected)) {
    throw new InvoiceIntegrityError(
      `${what}: computed ${moneyText(actual)}, expected ${moneyText(expected)}`,
    );
  }
}

/**
 * Turns a checkout price breakdown into receipt lines (quantity 1 each) and totals. Tax is
 * exclusive (added on top of amount − discount) unless the breakdown's tax details say inclusive,
 * and the breakdown only knows its total, so it is spread over the lines in proportion to their
 * taxable amounts. Every total is recomputed with
 * @astrix/pricing and must match the breakdown and the charge exactly; anything else throws.
 */
export function buildReceipt(breakdown: PriceBreakdown, expected: ReceiptExpectations): Receipt {
  const currency = parseCurrencyCode(expected.chargedCurrency);
  const inCurrency = (view: MoneyView, what: string): Money => {
    if (parseCurrencyCode(view.currency) !== currency) {
      throw new InvoiceIntegrityError(`${what} is in ${view.currency}, the charge in ${currency}`);
    }
    return money(view.amount, currency);
  };

  const sourceLines =
    breakdown.lines.length > 0
      ? breakdown.lines
      : [
          {
            description: expected.fallbackDescription,
            amount: breakdown.subtotal,
            discount: breakdown.discount,
          },
        ];
  const lineInputs = sourceLines.map((line, index) => ({
    id: `line ${index + 1}`,
    description: line.description.trim() || expected.fallbackDescription,
    amount: inCurrency(line.amount, `line ${index + 1} amount`),
    discount: inCurrency(line.discount, `line ${index + 1} discount`),
  }));
  // Validates each discount against its line and sums subtotal and discount exactly.
  const totals = computeInvoiceTotals(lineInputs, { currency });

  const tax = inCurrency(breakdown.tax, 'tax');
  if (isNegative(tax)) throw new InvoiceIntegrityError(`tax ${moneyText(tax)} is negative`);
  const taxableAmounts = totals.lines.map((line) => line.taxableAmount.amountMinor);
  const anyTaxable = taxableAmounts.some((amount) => amount > 0);
  if (isPositive(tax) && !anyTaxable) {
    throw new InvoiceIntegrityError(`tax ${moneyText(tax)} on lines with nothing taxable`);
  }
  const lineTaxes = isPositive(tax) ? allocate(tax, taxableAmounts) : lineInputs.map(() => zero(currency));
  // Inclusive tax (VAT-style, from the tax decision at checkout) is already inside the line amounts.
  const inclusive = breakdown.taxDetails?.inclusive === true;
  const total = inclusive ? totals.total : add(totals.total, tax);

  assertSame(totals.subtotal, inCurrency(breakdown.subtotal, 'subtotal'), 'subtotal of the lines');
  assertSame(totals.discount, inCurrency(breakdown.discount, 'discount'), 'discount of the lines');
  assertSame(total, inCurrency(breakdown.total, 'total'), 'total of the breakdown');
  assertSame(total, money(expected.chargedAmount, currency), 'total against the amount charged');
  assertSame(totals.discount, money(expected.chargedDiscount, currency), 'discount against the charge');

  const lines = lineInputs.map((line, index): ReceiptLine => ({
    description: line.description,
    quantity: 1,
    unitAmount: line.amount.amountMinor,
    amount: line.amount.amountMinor,
    discount: line.discount.amountMinor,
    tax: lineTaxes[index].amountMinor,
  }));
  const lineTotals = lines.map((line) =>
    add(
      subtract(money(line.amount, currency), money(line.discount, currency)),
      inclusive ? zero(currency) : money(line.tax, currency),
    ),
  );
  assertSame(sum(lineTotals, currency), total, 'sum of the line totals');

  return {
    currency,
    lines,
    subtotal: totals.subtotal.amountMinor,
    discount: totals.discount.amountMinor,
    tax: tax.amountMinor,
    total: total.amountMinor,
  };
}

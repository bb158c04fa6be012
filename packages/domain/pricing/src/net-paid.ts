import { InvalidAmountError } from './errors';
import { type Money, assertMoney, assertSameCurrency, unsafeMoney } from './money';
import { multiplyDivide } from './rounding';

/**
 * The part of `amount` still paid for once `returned` of an invoice's `paid` total went back to the
 * customer (refunds, credit notes): amount × (paid − returned) / paid, rounded toward zero so a credit
 * built on it never gives back more than stayed paid. Every part of the invoice keeps the same share:
 * a partial refund is not assigned to one line more than another.
 *
 * - Nothing returned: `amount` as it is. Everything (or more) returned: zero.
 * - An invoice that asked for nothing (`paid` ≤ 0: a credit invoice, a 100% discount) had nothing to
 *   return: `amount` as it is.
 *
 * Used for unused paid time: a cancellation, plan change or resume credits what was paid for the rest
 * of the period, net of what a refund or credit note already gave back.
 */
export function netOfReturned(amount: Money, paid: Money, returned: Money): Money {
  assertMoney(amount, 'amount');
  assertMoney(paid, 'paid');
  assertMoney(returned, 'returned');
  assertSameCurrency(amount, paid, 'net of returned');
  assertSameCurrency(amount, returned, 'net of returned');
  if (returned.amountMinor < 0) {
    throw new InvalidAmountError(
      `returned amount ${returned.amountMinor} ${returned.currency} is negative: refunds and credit notes give money back`,
    );
  }
  if (paid.amountMinor <= 0 || returned.amountMinor === 0) return amount;
  if (returned.amountMinor >= paid.amountMinor) return unsafeMoney(0, amount.currency);
  return unsafeMoney(
    multiplyDivide(
      amount.amountMinor,
      paid.amountMinor - returned.amountMinor,
      paid.amountMinor,
      'truncate',
      'net of returned',
    ),
    amount.currency,
  );
}

import type { CurrencyCode } from './currency';
import { CurrencyUnavailableError, InvalidAmountError } from './errors';
import { assertMinorUnits, describe } from './integers';

/**
 * One amount per currency, in minor units: { USD: 29900, EUR: 27900, JPY: 45000 }. Prices, coupon
 * amounts and thresholds are defined this way so one catalog entry serves every currency it lists.
 */
export type CurrencyAmounts = Readonly<Partial<Record<CurrencyCode, number>>>;

/**
 * The non-negative amount a map defines for `currency`, in minor units.
 * Throws CurrencyUnavailableError when the currency is missing and InvalidAmountError when it is negative.
 */
export function amountIn(amounts: CurrencyAmounts, currency: CurrencyCode, what: string): number {
  if (typeof amounts !== 'object' || amounts === null) {
    throw new InvalidAmountError(`${what} ${describe(amounts)} must map currencies to minor units`);
  }
  const amount = amounts[currency];
  if (amount === undefined) throw new CurrencyUnavailableError(what, currency, Object.keys(amounts));
  assertMinorUnits(amount, currency);
  if (amount < 0) throw new InvalidAmountError(`${what} ${amount} ${currency} is negative`);
  return amount;
}

/** Like amountIn, for optional maps: undefined when the map itself is absent. */
export function optionalAmountIn(
  amounts: CurrencyAmounts | undefined,
  currency: CurrencyCode,
  what: string,
): number | undefined {
  return amounts === undefined ? undefined : amountIn(amounts, currency, what);
}

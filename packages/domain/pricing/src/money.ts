import { type CurrencyCode, getCurrency } from './currency';
import {
  type Factor,
  type Percentage,
  factorToFraction,
  parseDecimal,
  percentageToFraction,
} from './decimal';
import {
  CurrencyMismatchError,
  InvalidAmountError,
  InvalidFactorError,
  InvalidLocaleError,
  OverflowError,
  TooManyDecimalsError,
} from './errors';
import {
  assertInteger,
  assertMinorUnits,
  checkedAdd,
  checkedMultiply,
  checkedSubtract,
  describe,
} from './integers';
import { DEFAULT_ROUNDING, type RoundingMode, assertRoundingMode, multiplyDivideBig } from './rounding';

/** An amount of money: an integer count of minor units (cents, yen, fils) of one ISO 4217 currency. */
export interface Money {
  readonly amountMinor: number;
  readonly currency: CurrencyCode;
}

/** Builds a Money without checks; only for results this package has already checked. */
export function unsafeMoney(amountMinor: number, currency: CurrencyCode): Money {
  return { amountMinor: amountMinor + 0, currency }; // + 0 normalises -0
}

/** Checks that a value is a well-formed Money (known currency, safe integer amount). */
export function assertMoney(value: unknown, what = 'money'): asserts value is Money {
  if (typeof value !== 'object' || value === null || !('amountMinor' in value) || !('currency' in value)) {
    throw new InvalidAmountError(`${what} ${describe(value)} is not a Money value { amountMinor, currency }`);
  }
  const currency = getCurrency(value.currency as string).code;
  assertMinorUnits(value.amountMinor, currency);
}

const MINOR_UNITS_PATTERN = /^-?\d+$/;

/**
 * Money from an integer count of minor units: `money(1999, 'USD')` is $19.99. Also accepts a bigint or
 * an integer string, as Postgres `bigint` columns arrive. Throws on fractions, NaN, Infinity, overflow
 * and unknown currencies.
 */
export function money(amountMinor: number | bigint | string, currency: CurrencyCode): Money {
  const code = getCurrency(currency).code;
  const amount =
    typeof amountMinor === 'bigint' || typeof amountMinor === 'string'
      ? integerToNumber(amountMinor, code)
      : amountMinor;
  assertMinorUnits(amount, code);
  return unsafeMoney(amount, code);
}

function integerToNumber(value: bigint | string, currency: CurrencyCode): number {
  if (typeof value === 'string' && !MINOR_UNITS_PATTERN.test(value)) {
    throw new InvalidAmountError(
      `amount ${describe(value)} is not an integer number of minor units of ${currency}; use moneyFromDecimal for "19.99"`,
    );
  }
  const big = BigInt(value);
  const amount = Number(big);
  if (!Number.isSafeInteger(amount)) {
    throw new OverflowError(
      `amount ${big} of ${currency} is outside the safe integer range ±${Number.MAX_SAFE_INTEGER}`,
    );
  }
  return amount;
}

/**
 * Money from a decimal string in major units: `moneyFromDecimal('19.99', 'USD')` is 1999 cents. Refuses
 * more significant decimals than the currency has ("19.999" USD, "5.5" JPY); trailing zeros are fine
 * ("100.00" JPY is ¥100). No floating point is involved.
 */
export function moneyFromDecimal(value: string, currency: CurrencyCode): Money {
  const { code, exponent } = getCurrency(currency);
  const { negative, integerDigits, fractionDigits } = parseDecimal(value, `amount of ${code}`);
  const significant = fractionDigits.replace(/0+$/, '');
  if (significant.length > exponent) throw new TooManyDecimalsError(value, code, exponent);
  const digits = integerDigits + significant.padEnd(exponent, '0');
  return money(BigInt(negative ? `-${digits}` : digits), code);
}

export function zero(currency: CurrencyCode): Money {
  return unsafeMoney(0, getCurrency(currency).code);
}

/** Throws CurrencyMismatchError unless both values share one currency. */
export function assertSameCurrency(a: Money, b: Money, operation: string): void {
  if (a.currency !== b.currency) throw new CurrencyMismatchError(a.currency, b.currency, operation);
}

function checkedPair(a: Money, b: Money, operation: string): void {
  assertMoney(a);
  assertMoney(b);
  assertSameCurrency(a, b, operation);
}

export function add(a: Money, b: Money): Money {
  checkedPair(a, b, 'add');
  return unsafeMoney(checkedAdd(a.amountMinor, b.amountMinor, 'add'), a.currency);
}

export function subtract(a: Money, b: Money): Money {
  checkedPair(a, b, 'subtract');
  return unsafeMoney(checkedSubtract(a.amountMinor, b.amountMinor, 'subtract'), a.currency);
}

export function negate(m: Money): Money {
  assertMoney(m);
  return unsafeMoney(-m.amountMinor, m.currency);
}

export function abs(m: Money): Money {
  assertMoney(m);
  return unsafeMoney(Math.abs(m.amountMinor), m.currency);
}

/** Money × an integer (a quantity, a count of periods). */
export function multiply(m: Money, multiplier: number): Money {
  assertMoney(m);
  assertInteger(multiplier, 'multiplier');
  return unsafeMoney(checkedMultiply(m.amountMinor, multiplier, 'multiply'), m.currency);
}

/**
 * Money × an exact factor ("0.2", "1.075", { numerator: 1, denominator: 3 }), rounded to a whole minor
 * unit with `rounding` (half-even by default). Products beyond 2^53 are computed in BigInt, so the
 * rounding is always exact.
 */
export function multiplyByFactor(m: Money, factor: Factor, rounding: RoundingMode = DEFAULT_ROUNDING): Money {
  assertMoney(m);
  assertRoundingMode(rounding);
  const { numerator, denominator } = factorToFraction(factor);
  const amount = multiplyDivideBig(m.amountMinor, numerator, denominator, rounding, 'multiply by factor');
  return unsafeMoney(amount, m.currency);
}

/** Money ÷ a non-zero integer, rounded with `rounding`. To split without losing cents, use allocate. */
export function divide(m: Money, divisor: number, rounding: RoundingMode = DEFAULT_ROUNDING): Money {
  assertInteger(divisor, 'divisor');
  if (divisor === 0) throw new InvalidFactorError(`cannot divide ${m.amountMinor} ${m.currency} by zero`);
  return multiplyByFactor(m, { numerator: 1, denominator: divisor }, rounding);
}

/** `percentage` % of the amount: percentageOf(money(29900, 'USD'), '20') is $59.80. */
export function percentageOf(
  m: Money,
  percentage: Percentage,
  rounding: RoundingMode = DEFAULT_ROUNDING,
): Money {
  assertMoney(m);
  assertRoundingMode(rounding);
  const { numerator, denominator } = percentageToFraction(percentage, 'percentage');
  return unsafeMoney(
    multiplyDivideBig(m.amountMinor, numerator, denominator, rounding, 'percentage'),
    m.currency,
  );
}

/** -1, 0 or 1; throws on mixed currencies. */
export function compare(a: Money, b: Money): -1 | 0 | 1 {
  checkedPair(a, b, 'compare');
  return a.amountMinor === b.amountMinor ? 0 : a.amountMinor < b.amountMinor ? -1 : 1;
}

export const equals = (a: Money, b: Money): boolean => compare(a, b) === 0;
export const lessThan = (a: Money, b: Money): boolean => compare(a, b) < 0;
export const lessThanOrEqual = (a: Money, b: Money): boolean => compare(a, b) <= 0;
export const greaterThan = (a: Money, b: Money): boolean => compare(a, b) > 0;
export const greaterThanOrEqual = (a: Money, b: Money): boolean => compare(a, b) >= 0;

export function isZero(m: Money): boolean {
  assertMoney(m);
  return m.amountMinor === 0;
}

export function isPositive(m: Money): boolean {
  assertMoney(m);
  return m.amountMinor > 0;
}

export function isNegative(m: Money): boolean {
  assertMoney(m);
  return m.amountMinor < 0;
}

export function min(a: Money, b: Money): Money {
  return compare(a, b) <= 0 ? a : b;
}

export function max(a: Money, b: Money): Money {
  return compare(a, b) >= 0 ? a : b;
}

/** The sum of a list; `currency` gives the result's currency when the list is empty and is checked otherwise. */
export function sum(items: readonly Money[], currency: CurrencyCode): Money {
  let total = zero(currency);
  for (const item of items) total = add(total, item);
  return total;
}

/** The amount as a plain decimal string in major units: "19.99", "-0.05", "1000" (JPY), "1.234" (KWD). */
export function toDecimalString(m: Money): string {
  assertMoney(m);
  return minorUnitsToDecimal(m.amountMinor, getCurrency(m.currency).exponent);
}

export function minorUnitsToDecimal(amountMinor: number, exponent: number): string {
  const sign = amountMinor < 0 ? '-' : '';
  const digits = String(Math.abs(amountMinor));
  if (exponent === 0) return sign + digits;
  const padded = digits.padStart(exponent + 1, '0');
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

export interface FormatMoneyOptions {
  /** How the currency is shown: "$" (symbol, the default), "USD" (code), "US dollars" (name). */
  readonly currencyDisplay?: 'symbol' | 'narrowSymbol' | 'code' | 'name';
}

const formatters = new Map<string, Intl.NumberFormat>();
const MAX_CACHED_FORMATTERS = 256;

/**
 * Formats for display in a locale: formatMoney(money(123456, 'EUR'), 'de-DE') is "1.234,56 €". Shows
 * exactly the currency's decimals and formats from the exact decimal string, never from a float.
 */
export function formatMoney(m: Money, locale = 'en-US', options: FormatMoneyOptions = {}): string {
  assertMoney(m);
  const { exponent } = getCurrency(m.currency);
  const currencyDisplay = options.currencyDisplay ?? 'symbol';
  const key = `${locale}|${m.currency}|${currencyDisplay}`;
  let formatter = formatters.get(key);
  if (formatter === undefined) {
    try {
      formatter = new Intl.NumberFormat(locale, {
        style: 'currency',
        currency: m.currency,
        currencyDisplay,
        minimumFractionDigits: exponent,
        maximumFractionDigits: exponent,
      });
    } catch (error) {
      throw new InvalidLocaleError(locale, String(error));
    }
    if (formatters.size >= MAX_CACHED_FORMATTERS) formatters.clear(); // locales can come from requests
    formatters.set(key, formatter);
  }
  return formatter.format(minorUnitsToDecimal(m.amountMinor, exponent) as Intl.StringNumericLiteral);
}

import { InvalidDecimalError, InvalidFactorError } from './errors';
import { describe } from './integers';

/** An exact ratio of two safe integers, e.g. { numerator: 1, denominator: 3 }. */
export interface Rational {
  readonly numerator: number;
  readonly denominator: number;
}

/**
 * An exact multiplier: a decimal string ("0.2", "1.075", "-3"), a Rational, or a safe integer.
 * Floating-point numbers such as 0.2 are refused because they are not exact.
 */
export type Factor = string | Rational | number;

/** A percentage as a decimal string: "20" is 20 %, "8.875" is 8.875 %. Kept as a string to stay exact. */
export type Percentage = string;

/** Internal exact fraction; the denominator is always positive. */
export interface Fraction {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

const DECIMAL_PATTERN = /^(-?)(\d+)(?:\.(\d+))?$/;

export interface ParsedDecimal {
  readonly negative: boolean;
  readonly integerDigits: string;
  readonly fractionDigits: string;
}

/** Splits a plain decimal string ("-12.50") into its parts, by string manipulation only. */
export function parseDecimal(value: unknown, what: string): ParsedDecimal {
  const match = typeof value === 'string' ? DECIMAL_PATTERN.exec(value) : null;
  if (match === null) throw new InvalidDecimalError(value, what);
  return { negative: match[1] === '-', integerDigits: match[2], fractionDigits: match[3] ?? '' };
}

/**
 * Parsed fractions by input string. Prices, coupons and tax rates repeat a handful of rates, so pricing
 * a line must not re-parse "2.9" into BigInts every time; the caches are bounded because rates can come
 * from outside input.
 */
const parsedDecimals = new Map<string, Fraction>();
const parsedPercentages = new Map<string, Fraction>();
const MAX_CACHED_FRACTIONS = 1024;

function cachedFraction(cache: Map<string, Fraction>, key: string, parse: () => Fraction): Fraction {
  let fraction = cache.get(key);
  if (fraction === undefined) {
    fraction = Object.freeze(parse());
    if (cache.size >= MAX_CACHED_FRACTIONS) cache.clear();
    cache.set(key, fraction);
  }
  return fraction;
}

/** A decimal string as an exact fraction: "0.25" → 25/100. */
export function decimalToFraction(value: unknown, what: string): Fraction {
  if (typeof value !== 'string') throw new InvalidDecimalError(value, what);
  return cachedFraction(parsedDecimals, value, () => {
    const { negative, integerDigits, fractionDigits } = parseDecimal(value, what);
    const digits = BigInt(integerDigits + fractionDigits);
    return { numerator: negative ? -digits : digits, denominator: 10n ** BigInt(fractionDigits.length) };
  });
}

/** Any Factor as an exact fraction. */
export function factorToFraction(factor: unknown, what = 'factor'): Fraction {
  if (typeof factor === 'string') return decimalToFraction(factor, what);
  if (typeof factor === 'number') {
    if (!Number.isSafeInteger(factor)) {
      throw new InvalidFactorError(
        `${what} ${factor} is not a safe integer; pass fractions as a decimal string ("0.2") or a rational`,
      );
    }
    return { numerator: BigInt(factor), denominator: 1n };
  }
  if (isRationalShape(factor)) {
    const { numerator, denominator } = factor;
    if (!isSafeInteger(numerator) || !isSafeInteger(denominator)) {
      throw new InvalidFactorError(
        `${what} ${describe(numerator)}/${describe(denominator)} must have a safe integer numerator and denominator`,
      );
    }
    if (denominator === 0) throw new InvalidFactorError(`${what} ${numerator}/0 has a zero denominator`);
    const sign = denominator < 0 ? -1n : 1n;
    return { numerator: sign * BigInt(numerator), denominator: sign * BigInt(denominator) };
  }
  throw new InvalidFactorError(
    `${what} ${describe(factor)} is not a decimal string, a rational or an integer`,
  );
}

/** A percentage string as the fraction it stands for: "20" → 20/100. */
export function percentageToFraction(percentage: unknown, what: string): Fraction {
  const { numerator, denominator } = decimalToFraction(percentage, what);
  return cachedFraction(parsedPercentages, percentage as string, () => ({
    numerator,
    denominator: denominator * 100n,
  }));
}

function isSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function isRationalShape(value: unknown): value is { numerator: unknown; denominator: unknown } {
  return typeof value === 'object' && value !== null && 'numerator' in value && 'denominator' in value;
}

/**
 * The exact sum of decimal strings, as a decimal string with no trailing zeros: tax percentages of
 * several jurisdictions on one line ("4" state + "4.875" local = "8.875").
 */
export function sumDecimals(values: readonly string[], what = 'decimal'): string {
  let places = 0;
  const parsed = values.map((value) => {
    const { negative, integerDigits, fractionDigits } = parseDecimal(value, what);
    places = Math.max(places, fractionDigits.length);
    return { negative, integerDigits, fractionDigits };
  });
  let total = 0n;
  for (const { negative, integerDigits, fractionDigits } of parsed) {
    const digits = BigInt(integerDigits + fractionDigits.padEnd(places, '0'));
    total += negative ? -digits : digits;
  }
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(places + 1, '0');
  const whole = places === 0 ? digits : digits.slice(0, -places);
  const fraction = places === 0 ? '' : digits.slice(-places).replace(/0+$/, '');
  const text = fraction === '' ? whole : `${whole}.${fraction}`;
  return negative && text !== '0' ? `-${text}` : text;
}

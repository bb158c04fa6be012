import { type CurrencyCode, getCurrency } from './currency';
import { assertDate } from './dates';
import { decimalToFraction } from './decimal';
import { CurrencyMismatchError, InvalidExchangeRateError } from './errors';
import { describe } from './integers';
import { type Money, assertMoney, subtract, unsafeMoney } from './money';
import {
  DEFAULT_ROUNDING,
  type RoundingMode,
  assertRoundingMode,
  divideRounded,
  multiplyDivideBig,
} from './rounding';

/** A rate as observed at a point in time: 1 unit of `from` = `rate` units of `to` (major units). */
export interface ExchangeRateSnapshot {
  readonly from: CurrencyCode;
  readonly to: CurrencyCode;
  /** Exact decimal string, e.g. "0.9215" or "151.37". */
  readonly rate: string;
  /** Where the rate came from, e.g. "ecb" or "stripe". */
  readonly source: string;
  readonly asOf: Date;
}

export interface Conversion {
  readonly original: Money;
  readonly amount: Money;
  /** The rate used, carried into the result so the conversion can be audited and replayed. */
  readonly rateSnapshot: ExchangeRateSnapshot;
  readonly rounding: RoundingMode;
}

/**
 * Converts with an explicit rate snapshot, exactly, then rounds once to the target currency's minor
 * unit: minor_to = minor_from × rate × 10^(exponent_to − exponent_from).
 * convert(money(10000, 'USD'), { from: 'USD', to: 'JPY', rate: '151.37', ... }) → ¥15137.
 */
export function convert(
  amount: Money,
  snapshot: ExchangeRateSnapshot,
  rounding: RoundingMode = DEFAULT_ROUNDING,
): Conversion {
  assertMoney(amount, 'amount');
  assertRoundingMode(rounding);
  if (typeof snapshot !== 'object' || snapshot === null) {
    throw new InvalidExchangeRateError(`rate snapshot ${describe(snapshot)} is not an object`);
  }
  const from = getCurrency(snapshot.from);
  const to = getCurrency(snapshot.to);
  if (amount.currency !== from.code) throw new CurrencyMismatchError(from.code, amount.currency, 'convert');
  const rate = decimalToFraction(snapshot.rate, 'exchange rate');
  if (rate.numerator <= 0n)
    throw new InvalidExchangeRateError(`exchange rate ${snapshot.rate} must be positive`);
  if (typeof snapshot.source !== 'string' || snapshot.source === '') {
    throw new InvalidExchangeRateError('an exchange rate snapshot needs its source');
  }
  assertDate(snapshot.asOf, 'exchange rate asOf');
  const shift = to.exponent - from.exponent;
  const numerator = shift >= 0 ? rate.numerator * 10n ** BigInt(shift) : rate.numerator;
  const denominator = shift >= 0 ? rate.denominator : rate.denominator * 10n ** BigInt(-shift);
  const converted = multiplyDivideBig(amount.amountMinor, numerator, denominator, rounding, 'conversion');
  return {
    original: amount,
    amount: unsafeMoney(converted, to.code),
    rateSnapshot: {
      from: from.code,
      to: to.code,
      rate: snapshot.rate,
      source: snapshot.source,
      asOf: new Date(snapshot.asOf),
    },
    rounding,
  };
}

/**
 * The rate from `a` to `b` when a common base quotes both (ECB publishes 1 EUR = x USD and
 * 1 EUR = y JPY, so 1 USD = y / x JPY): `baseToB / baseToA`, rounded once to `decimals` places
 * (default 10), as an exact decimal string for an ExchangeRateSnapshot.
 */
export function crossRate(
  baseToA: string,
  baseToB: string,
  decimals = 10,
  rounding: RoundingMode = DEFAULT_ROUNDING,
): string {
  const a = decimalToFraction(baseToA, 'exchange rate');
  const b = decimalToFraction(baseToB, 'exchange rate');
  if (a.numerator <= 0n || b.numerator <= 0n) {
    throw new InvalidExchangeRateError(`exchange rates ${baseToA} and ${baseToB} must be positive`);
  }
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 18) {
    throw new InvalidExchangeRateError(`decimals ${describe(decimals)} must be an integer from 0 to 18`);
  }
  assertRoundingMode(rounding);
  const scale = 10n ** BigInt(decimals);
  // (b.n / b.d) / (a.n / a.d) = b.n × a.d / (b.d × a.n)
  const scaled = divideRounded(b.numerator * a.denominator * scale, b.denominator * a.numerator, rounding);
  if (scaled <= 0n)
    throw new InvalidExchangeRateError(`cross rate of ${baseToA} and ${baseToB} rounds to zero`);
  const digits = scaled.toString().padStart(decimals + 1, '0');
  const whole = decimals === 0 ? digits : digits.slice(0, -decimals);
  const fractionDigits = decimals === 0 ? '' : digits.slice(-decimals).replace(/0+$/, '');
  return fractionDigits === '' ? whole : `${whole}.${fractionDigits}`;
}

/**
 * A movement booked in one currency and settled by the processor in another (a EUR charge paid into
 * a USD balance). `booked` is what our books valued it at in the settlement currency (the original
 * amount at our snapshot rate, rounded once); `difference` = settled − booked, signed with the
 * movement: for money in (a charge) positive is a gain; for money out (a refund, negative amounts)
 * a positive difference (less paid out than booked) is a gain too.
 */
export interface RealisedFx {
  readonly booked: Money;
  readonly settled: Money;
  readonly difference: Money;
  readonly rateSnapshot: ExchangeRateSnapshot;
}

export function realisedFx(
  original: Money,
  bookedRate: ExchangeRateSnapshot,
  settled: Money,
  rounding: RoundingMode = DEFAULT_ROUNDING,
): RealisedFx {
  assertMoney(settled, 'settled');
  const conversion = convert(original, bookedRate, rounding);
  if (conversion.amount.currency !== settled.currency) {
    throw new CurrencyMismatchError(conversion.amount.currency, settled.currency, 'realisedFx');
  }
  return {
    booked: conversion.amount,
    settled,
    difference: subtract(settled, conversion.amount),
    rateSnapshot: conversion.rateSnapshot,
  };
}

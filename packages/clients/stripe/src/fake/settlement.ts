import { invalidRequest } from './api-error';
import { stripeCurrencyRule } from '../stripe-currencies';

/**
 * Currency conversion as Stripe settles a charge presented in one currency into an account whose
 * balance is in another: the balance transaction carries the settled amount, the fee in the
 * settlement currency and `exchange_rate` (1 presentment unit = rate settlement units). The fake
 * converts with a configured rate table (`FakeBalanceSettings.exchangeRates`), exactly, rounding
 * half away from zero once to the settlement currency's Stripe unit.
 */

const DECIMAL = /^\d+(\.\d+)?$/;

/** Stripe's own decimals for a currency's amounts (zero-decimal JPY/MGA 0, KWD 3, most 2). */
function stripeDecimals(currency: string): number {
  const rule = stripeCurrencyRule(currency);
  if (rule === null) throw invalidRequest(`Invalid currency: ${currency}`, 'currency');
  return rule.stripeExponent;
}

/** A positive decimal string as a fraction (numerator, 10^places). */
function fraction(rate: string): { numerator: bigint; denominator: bigint } {
  if (!DECIMAL.test(rate))
    throw invalidRequest(`exchange rate ${rate} is not a positive decimal`, 'exchangeRates');
  const [whole, decimals = ''] = rate.split('.');
  const numerator = BigInt(whole + decimals);
  if (numerator <= 0n) throw invalidRequest(`exchange rate ${rate} must be positive`, 'exchangeRates');
  return { numerator, denominator: 10n ** BigInt(decimals.length) };
}

/** Checks a rate table's values (lowercase currency → positive decimal string). */
export function assertExchangeRates(rates: Record<string, string>): void {
  for (const [currency, rate] of Object.entries(rates)) {
    stripeDecimals(currency);
    fraction(rate);
  }
}

/**
 * `amount` (Stripe units of `from`, signed) in Stripe units of `to` at `rate`, rounded half away
 * from zero: amount × rate × 10^(decimals(to) − decimals(from)).
 */
export function convertStripeAmount(amount: number, from: string, to: string, rate: string): number {
  if (!Number.isSafeInteger(amount)) throw invalidRequest(`amount ${amount} is not an integer`, 'amount');
  const { numerator, denominator } = fraction(rate);
  const shift = stripeDecimals(to) - stripeDecimals(from);
  const top = BigInt(Math.abs(amount)) * numerator * (shift > 0 ? 10n ** BigInt(shift) : 1n);
  const bottom = denominator * (shift < 0 ? 10n ** BigInt(-shift) : 1n);
  const rounded = (top * 2n + bottom) / (bottom * 2n);
  const magnitude = Number(rounded);
  return amount < 0 ? -magnitude : magnitude;
}

export interface Settled {
  amount: number;
  /** Lowercase. */
  currency: string;
  exchangeRate: number | null;
}

/**
 * What a movement of `amount` in `currency` becomes in the balance: itself when the account has no
 * settlement currency (each currency kept in its own balance) or it is already in it; otherwise the
 * converted amount at the table's rate (a currency without a rate is refused, as a misconfiguration).
 */
export function settle(
  amount: number,
  currency: string,
  settlementCurrency: string | null,
  rates: Readonly<Record<string, string>>,
): Settled {
  const from = currency.toLowerCase();
  if (settlementCurrency === null || settlementCurrency.toLowerCase() === from) {
    return { amount, currency: from, exchangeRate: null };
  }
  const to = settlementCurrency.toLowerCase();
  const rate = rates[from];
  if (rate === undefined) {
    throw invalidRequest(
      `the fake account settles in ${to} and has no exchange rate for ${from} (set exchangeRates.${from})`,
      'currency',
    );
  }
  return { amount: convertStripeAmount(amount, from, to, rate), currency: to, exchangeRate: Number(rate) };
}

import { STRIPE_THREE_DECIMAL, STRIPE_ZERO_DECIMAL } from '../stripe-currencies';

// The fake's fee schedule: what Stripe keeps from each card charge, per currency, and the fee of a
// dispute. Integer minor units only. This package may not depend on @astrix/pricing, so the small
// percentage + fixed arithmetic lives here, with its own unit tests (fees.spec.ts).

/** A card processing rate: `percentBps` hundredths of a percent of the amount, plus `fixedMinor`. */
export interface FeeRate {
  /** 290 = 2.9 %. */
  percentBps: number;
  fixedMinor: number;
}

/** One line of the schedule: a rate for one currency (lowercase) or for every other one. */
export interface FeeScheduleEntry {
  /** Lowercase ISO code, or `default` for currencies without their own line. */
  currency: string;
  rate: FeeRate;
  /** Unix seconds: the rate applies to charges created at or after this time. */
  effectiveFrom: number;
}

export const DEFAULT_CURRENCY_KEY = 'default';

/**
 * The default schedule, chosen to look like Stripe's standard card pricing:
 * - two-decimal currencies (USD, EUR, …): 2.9 % + 30 minor units (30¢);
 * - zero-decimal currencies (JPY, KRW, …): 3.6 % + 0 (Stripe Japan charges 3.6 %, no fixed part);
 * - three-decimal currencies (KWD, …): 2.9 % + 300 minor units (0.300, the 30¢ scaled to 3 decimals).
 */
export function defaultFeeSchedule(): FeeScheduleEntry[] {
  return [
    { currency: DEFAULT_CURRENCY_KEY, rate: { percentBps: 290, fixedMinor: 30 }, effectiveFrom: 0 },
    ...STRIPE_ZERO_DECIMAL.map((currency) => ({
      currency,
      rate: { percentBps: 360, fixedMinor: 0 },
      effectiveFrom: 0,
    })),
    ...STRIPE_THREE_DECIMAL.map((currency) => ({
      currency,
      rate: { percentBps: 290, fixedMinor: 300 },
      effectiveFrom: 0,
    })),
  ];
}

/**
 * Stripe's dispute fee (US: $15.00), per currency: 1500 minor units, 15000 for three-decimal
 * currencies; zero-decimal currencies also 1500 (¥1,500).
 */
export function defaultDisputeFee(currency: string): number {
  return STRIPE_THREE_DECIMAL.includes(currency.toLowerCase()) ? 15_000 : 1_500;
}

/**
 * `percentBps` / 10000 of `amount`, rounded half up, plus `fixedMinor`. Integer arithmetic only
 * (BigInt past 2^53). Amount 0 costs nothing (no card charge of 0 reaches a network).
 */
export function cardFee(amountMinor: number, rate: FeeRate): number {
  assertNonNegativeInteger(amountMinor, 'amountMinor');
  assertNonNegativeInteger(rate.percentBps, 'percentBps');
  assertNonNegativeInteger(rate.fixedMinor, 'fixedMinor');
  if (amountMinor === 0) return 0;
  return percentOfHalfUp(amountMinor, rate.percentBps) + rate.fixedMinor;
}

/** `amount × bps / 10000`, rounded half up (x.5 → x+1). */
export function percentOfHalfUp(amountMinor: number, bps: number): number {
  const product = amountMinor * bps;
  if (Number.isSafeInteger(product)) return Math.floor((product + 5_000) / 10_000);
  return Number((BigInt(amountMinor) * BigInt(bps) + 5_000n) / 10_000n);
}

/** The rate in force for a charge in `currency` created at `created` (Unix seconds). */
export function rateAt(schedule: readonly FeeScheduleEntry[], currency: string, created: number): FeeRate {
  const lower = currency.toLowerCase();
  const pick = (key: string): FeeScheduleEntry | undefined => {
    let best: FeeScheduleEntry | undefined;
    // Later lines win ties, so a change "from now" overrides an earlier line with the same start.
    for (const entry of schedule) {
      if (entry.currency !== key || entry.effectiveFrom > created) continue;
      if (best === undefined || entry.effectiveFrom >= best.effectiveFrom) best = entry;
    }
    return best;
  };
  const entry = pick(lower) ?? pick(DEFAULT_CURRENCY_KEY);
  if (entry === undefined) return { percentBps: 0, fixedMinor: 0 };
  return entry.rate;
}

function assertNonNegativeInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

import { cardFee, defaultFeeSchedule, rateAt } from './fees';

/**
 * Deterministic synthetic balance transactions for one UTC day: the fake's bulk seed serves them,
 * and a benchmark regenerates the very same rows (same options → same ids, amounts, fees, times)
 * to insert the matching payments into our database without reading a million rows back.
 */
export interface SyntheticDayOptions {
  count: number;
  /** YYYY-MM-DD (UTC). */
  day: string;
  seed: string | number;
  /** Uppercase ISO code; default USD. */
  currency?: string;
  /** Every n-th row is a full refund of the charge just before it; 0 for none. Default 10. */
  refundEvery?: number;
  /** Fee of a charge; default: the fake's default schedule (2.9 % + 30 for USD). */
  feeOf?: (amountMinor: number, currency: string, created: number) => number;
}

export interface SyntheticBalanceTransaction {
  balanceTransactionId: string;
  type: 'charge' | 'refund';
  /** ch_… for a charge, re_… for a refund. */
  sourceId: string;
  chargeId: string;
  paymentIntentId: string;
  refundId: string | null;
  /** Signed: positive for a charge, negative for a refund. */
  amountMinor: number;
  /** Charges only; a refund's fee is 0 (Stripe keeps the charge's fee). */
  feeMinor: number;
  currency: string;
  /** Unix seconds, ascending through the day. */
  created: number;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DAY_SECONDS = 86_400;
export const MAX_SYNTHETIC_COUNT = 5_000_000;

/** FNV-1a, to turn any seed into 32 bits. */
function hashSeed(seed: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < seed.length; index++) {
    hash ^= seed.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: small, fast, good enough for test data; deterministic per seed. */
function random(seed: string): () => number {
  let state = hashSeed(seed);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Midnight UTC of a YYYY-MM-DD day, in Unix seconds. */
export function dayStartOf(day: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new RangeError(`day must be YYYY-MM-DD, got ${day}`);
  const milliseconds = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(milliseconds)) throw new RangeError(`day must be a real date, got ${day}`);
  return milliseconds / 1000;
}

export function* syntheticBalanceTransactions(
  options: SyntheticDayOptions,
): Generator<SyntheticBalanceTransaction> {
  const { count, day } = options;
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_SYNTHETIC_COUNT) {
    throw new RangeError(`count must be an integer from 1 to ${MAX_SYNTHETIC_COUNT}`);
  }
  const refundEvery = options.refundEvery ?? 10;
  if (!Number.isSafeInteger(refundEvery) || refundEvery < 0) {
    throw new RangeError('refundEvery must be a non-negative integer');
  }
  const start = dayStartOf(day);
  const currency = (options.currency ?? 'USD').toUpperCase();
  const schedule = defaultFeeSchedule();
  const feeOf =
    options.feeOf ??
    ((amount: number, code: string, created: number): number =>
      cardFee(amount, rateAt(schedule, code, created)));
  const next = random(`${String(options.seed)}:${day}:${currency}`);
  const id = (prefix: string): string => {
    let token = '';
    for (let index = 0; index < 24; index++) token += BASE62[Math.floor(next() * 62)];
    return `${prefix}_${token}`;
  };
  let previousCharge: SyntheticBalanceTransaction | null = null;
  for (let index = 0; index < count; index++) {
    const created = start + Math.floor((index * DAY_SECONDS) / count);
    const isRefund = refundEvery > 0 && (index + 1) % refundEvery === 0 && previousCharge !== null;
    if (isRefund && previousCharge !== null) {
      const refundId = id('re');
      yield {
        balanceTransactionId: id('txn'),
        type: 'refund',
        sourceId: refundId,
        chargeId: previousCharge.chargeId,
        paymentIntentId: previousCharge.paymentIntentId,
        refundId,
        amountMinor: -previousCharge.amountMinor,
        feeMinor: 0,
        currency,
        created,
      };
      previousCharge = null;
      continue;
    }
    const amount = 500 + Math.floor(next() * 49_501);
    const chargeId = id('ch');
    const charge: SyntheticBalanceTransaction = {
      balanceTransactionId: id('txn'),
      type: 'charge',
      sourceId: chargeId,
      chargeId,
      paymentIntentId: id('pi'),
      refundId: null,
      amountMinor: amount,
      feeMinor: feeOf(amount, currency, created),
      currency,
      created,
    };
    previousCharge = charge;
    yield charge;
  }
}

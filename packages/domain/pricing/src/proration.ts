import { assertDate, epochSeconds } from './dates';
import { InvalidPeriodError } from './errors';
import { checkedAdd } from './integers';
import { type Money, assertMoney, assertSameCurrency, unsafeMoney } from './money';
import type { Period } from './period';
import { DEFAULT_ROUNDING, type RoundingMode, assertRoundingMode, multiplyDivide } from './rounding';

export interface ProrationLine {
  readonly kind: 'proration_credit' | 'proration_charge';
  readonly description: string;
  /** Negative for the credit, positive (or zero) for the charge. */
  readonly amount: Money;
  /** The prorated span: from the change to the end of the period. */
  readonly start: Date;
  readonly end: Date;
}

export interface Proration {
  readonly credit: ProrationLine;
  readonly charge: ProrationLine;
  /** [credit, charge]: the two invoice lines; their sum is `net`. */
  readonly lines: readonly [ProrationLine, ProrationLine];
  readonly net: Money;
  readonly remainingSeconds: number;
  readonly periodSeconds: number;
  readonly rounding: RoundingMode;
}

export interface ProrationChange {
  /** The current billing period. */
  readonly period: Period;
  /** The instant of the plan or quantity change, within the period. */
  readonly changeAt: Date;
  /** What the old plan and quantity cost for the whole period. */
  readonly oldAmount: Money;
  /** What the new plan and quantity cost for the whole period. */
  readonly newAmount: Money;
  /** Rounding of each prorated amount; half-even by default. */
  readonly rounding?: RoundingMode;
}

interface ProratedSpan {
  readonly remainingSeconds: number;
  readonly periodSeconds: number;
}

/** Seconds of the period and seconds left after `from`; instants are truncated to whole seconds. */
function proratedSpan(period: Period, from: Date): ProratedSpan {
  assertDate(period?.start, 'period start');
  assertDate(period.end, 'period end');
  assertDate(from, 'proration instant');
  const start = epochSeconds(period.start);
  const end = epochSeconds(period.end);
  const at = epochSeconds(from);
  if (end <= start) {
    throw new InvalidPeriodError(
      `period ${period.start.toISOString()} – ${period.end.toISOString()} is empty`,
    );
  }
  if (at < start || at > end) {
    throw new InvalidPeriodError(
      `${from.toISOString()} is outside the period ${period.start.toISOString()} – ${period.end.toISOString()}`,
    );
  }
  return { remainingSeconds: end - at, periodSeconds: end - start };
}

function prorateAmount(amount: Money, span: ProratedSpan, rounding: RoundingMode): number {
  return multiplyDivide(amount.amountMinor, span.remainingSeconds, span.periodSeconds, rounding, 'proration');
}

/**
 * The part of a full-period `amount` that covers `from` until the end of `period`, by the second:
 * round(amount × remainingSeconds / periodSeconds). Used for cancellations and stub periods.
 */
export function prorate(
  amount: Money,
  period: Period,
  from: Date,
  rounding: RoundingMode = DEFAULT_ROUNDING,
): Money {
  assertMoney(amount, 'amount');
  assertRoundingMode(rounding);
  return unsafeMoney(prorateAmount(amount, proratedSpan(period, from), rounding), amount.currency);
}

/**
 * A plan or quantity change at `changeAt`: a credit for the unused part of the old amount and a charge
 * for the new amount over the rest of the period, both prorated by the second and rounded with the
 * stated mode: credit = −round(old × remaining / period), charge = round(new × remaining / period).
 * The two lines sum to `net`, which is within one minor unit of (new − old) × remaining / period.
 */
export function prorateChange(change: ProrationChange): Proration {
  const { period, changeAt, oldAmount, newAmount } = change;
  const rounding = change.rounding ?? DEFAULT_ROUNDING;
  assertMoney(oldAmount, 'old amount');
  assertMoney(newAmount, 'new amount');
  assertSameCurrency(oldAmount, newAmount, 'proration');
  assertRoundingMode(rounding);
  const span = proratedSpan(period, changeAt);
  const currency = oldAmount.currency;
  const creditAmount = -prorateAmount(oldAmount, span, rounding);
  const chargeAmount = prorateAmount(newAmount, span, rounding);
  const until = `from ${changeAt.toISOString()} to ${period.end.toISOString()}`;
  const credit: ProrationLine = {
    kind: 'proration_credit',
    description: `Unused time on the previous price ${until}`,
    amount: unsafeMoney(creditAmount, currency),
    start: new Date(changeAt.getTime()),
    end: new Date(period.end.getTime()),
  };
  const charge: ProrationLine = {
    kind: 'proration_charge',
    description: `Remaining time on the new price ${until}`,
    amount: unsafeMoney(chargeAmount, currency),
    start: new Date(changeAt.getTime()),
    end: new Date(period.end.getTime()),
  };
  return {
    credit,
    charge,
    lines: [credit, charge],
    net: unsafeMoney(checkedAdd(creditAmount, chargeAmount, 'proration net'), currency),
    ...span,
    rounding,
  };
}

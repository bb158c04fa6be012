import { assertDate } from './dates';
import { InvalidPeriodError } from './errors';
import { describe } from './integers';

export type BillingInterval = 'month' | 'year';

/** A half-open span of time [start, end). */
export interface Period {
  readonly start: Date;
  readonly end: Date;
}

export interface BillingPeriod extends Period {
  /** Number of whole periods between the anchor and `start`: 0 for the period starting at the anchor. */
  readonly index: number;
}

const MILLISECONDS_PER_DAY = 86_400_000;

function monthsPerPeriod(interval: BillingInterval, intervalCount: number): number {
  if (interval !== 'month' && interval !== 'year') {
    throw new InvalidPeriodError(`billing interval ${describe(interval)} must be "month" or "year"`);
  }
  if (!Number.isSafeInteger(intervalCount) || intervalCount <= 0) {
    throw new InvalidPeriodError(`interval count ${describe(intervalCount)} must be a positive integer`);
  }
  return interval === 'year' ? 12 * intervalCount : intervalCount;
}

function daysInMonth(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month + 1, 0); // day 0 of the next month is the last day of this one
  return date.getUTCDate();
}

/**
 * The anchor moved by `months` calendar months (UTC), keeping its time of day. The anchor's day of month
 * is clamped to the target month: Jan 31 + 1 month is Feb 28 (29 in leap years), + 2 months is Mar 31,
 * and Feb 29 + 12 months is Feb 28. Always computed from the anchor, so short months never drift it.
 */
function addMonthsFromAnchor(anchor: Date, months: number): Date {
  const totalMonths = anchor.getUTCMonth() + months;
  const year = anchor.getUTCFullYear() + Math.floor(totalMonths / 12);
  const month = ((totalMonths % 12) + 12) % 12;
  const result = new Date(anchor.getTime());
  result.setUTCFullYear(year, month, Math.min(anchor.getUTCDate(), daysInMonth(year, month)));
  if (Number.isNaN(result.getTime())) {
    throw new InvalidPeriodError(
      `${months} months from ${anchor.toISOString()} is outside the supported date range`,
    );
  }
  return result;
}

/** The boundary `count` billing intervals after (or, for a negative count, before) the anchor. */
export function addBillingIntervals(anchor: Date, interval: BillingInterval, count: number): Date {
  assertDate(anchor, 'anchor');
  if (!Number.isSafeInteger(count))
    throw new InvalidPeriodError(`interval count ${describe(count)} must be an integer`);
  return addMonthsFromAnchor(anchor, monthsPerPeriod(interval, 1) * count);
}

/**
 * The billing period containing `at` for a subscription billed every `intervalCount` months or years
 * from `anchor`. Periods are [start, end) and start on the anchor's day of month and time of day; an
 * anchor on the 31st falls on the last day of shorter months.
 */
export function billingPeriodFor(
  anchor: Date,
  interval: BillingInterval,
  intervalCount: number,
  at: Date,
): BillingPeriod {
  assertDate(anchor, 'anchor');
  assertDate(at, 'at');
  const step = monthsPerPeriod(interval, intervalCount);
  if (at.getTime() < anchor.getTime()) {
    throw new InvalidPeriodError(`${at.toISOString()} is before the billing anchor ${anchor.toISOString()}`);
  }
  const monthsApart =
    (at.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (at.getUTCMonth() - anchor.getUTCMonth());
  let index = Math.floor(monthsApart / step);
  // The month estimate can be one period late (when `at` is before the anchor's day in its month).
  if (addMonthsFromAnchor(anchor, index * step).getTime() > at.getTime()) index -= 1;
  return {
    start: addMonthsFromAnchor(anchor, index * step),
    end: addMonthsFromAnchor(anchor, (index + 1) * step),
    index,
  };
}

/** The end of a trial of `trialDays` whole days (of 24 hours) starting at `start`. */
export function trialEndFor(start: Date, trialDays: number): Date {
  assertDate(start, 'trial start');
  if (!Number.isSafeInteger(trialDays) || trialDays < 0) {
    throw new InvalidPeriodError(
      `trial length ${describe(trialDays)} must be a whole number of days, zero or more`,
    );
  }
  return new Date(start.getTime() + trialDays * MILLISECONDS_PER_DAY);
}

export interface SubscriptionSchedule {
  readonly startedAt: Date;
  /** End of the free trial; billing starts here. Null or absent: no trial. */
  readonly trialEnd?: Date | null;
  readonly interval: BillingInterval;
  readonly intervalCount?: number;
  /**
   * First regular period boundary, when billing should align to a day other than the billing start
   * (e.g. the 1st of the month). The time between billing start and the anchor is a prorated stub period.
   */
  readonly billingAnchor?: Date | null;
}

export type SubscriptionPeriod =
  | { readonly phase: 'trial'; readonly start: Date; readonly end: Date }
  | { readonly phase: 'stub'; readonly start: Date; readonly end: Date }
  | { readonly phase: 'regular'; readonly start: Date; readonly end: Date; readonly index: number };

/** Where a subscription stands at `at`: in its trial, in a stub period before the anchor, or in a regular period. */
export function subscriptionPeriodAt(schedule: SubscriptionSchedule, at: Date): SubscriptionPeriod {
  const { startedAt, interval } = schedule;
  assertDate(startedAt, 'startedAt');
  assertDate(at, 'at');
  if (at.getTime() < startedAt.getTime()) {
    throw new InvalidPeriodError(
      `${at.toISOString()} is before the subscription started (${startedAt.toISOString()})`,
    );
  }
  const trialEnd = schedule.trialEnd ?? null;
  if (trialEnd !== null) {
    assertDate(trialEnd, 'trialEnd');
    if (trialEnd.getTime() < startedAt.getTime())
      throw new InvalidPeriodError('trialEnd is before startedAt');
    if (at.getTime() < trialEnd.getTime()) return { phase: 'trial', start: startedAt, end: trialEnd };
  }
  const billingStart = trialEnd ?? startedAt;
  const anchor = schedule.billingAnchor ?? billingStart;
  assertDate(anchor, 'billingAnchor');
  if (anchor.getTime() < billingStart.getTime()) {
    throw new InvalidPeriodError(
      `billing anchor ${anchor.toISOString()} is before billing starts (${billingStart.toISOString()})`,
    );
  }
  if (at.getTime() < anchor.getTime()) return { phase: 'stub', start: billingStart, end: anchor };
  return { phase: 'regular', ...billingPeriodFor(anchor, interval, schedule.intervalCount ?? 1, at) };
}

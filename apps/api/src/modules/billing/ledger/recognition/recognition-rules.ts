import { add, allocate, subtract } from '@astrix/pricing';
import { storedMoney } from '../../money';
import type { RevenueKind } from '../chart-of-accounts';
import type { RecognitionMethod } from '../recognition.entity';

/** A product kind's policy as the rules read it. */
export interface PolicyRule {
  method: RecognitionMethod;
  durationDays: number | null;
}

export type PolicyOf = (kind: RevenueKind) => PolicyRule;

/** The service window of a line earned over time, or null when it is earned at once. */
export interface RecognitionWindow {
  startAt: Date;
  endAt: Date;
  firstDay: string;
  lastDay: string;
}

const DAY_MS = 86_400_000;

/** The UTC calendar day of an instant, `YYYY-MM-DD`. */
export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function dayNumber(day: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not a calendar day: ${day}`);
  const at = Date.parse(`${day}T00:00:00.000Z`);
  if (Number.isNaN(at) || dayOf(new Date(at)) !== day) throw new Error(`not a calendar day: ${day}`);
  return at / DAY_MS;
}

/** `day` moved by `days` calendar days. */
export function addDays(day: string, days: number): string {
  return dayOf(new Date((dayNumber(day) + days) * DAY_MS));
}

/** Calendar days from `from` to `to`, both included (0 when `to` is before `from`). */
export function daysBetween(from: string, to: string): number {
  return Math.max(0, dayNumber(to) - dayNumber(from) + 1);
}

/** The last instant of a calendar day (a day's recognition is dated at its end). */
export function endOfDay(day: string): Date {
  return new Date((dayNumber(day) + 1) * DAY_MS - 1);
}

/**
 * The window a line earns over: days from the start date up to the day before the end date (a
 * yearly plan from 15 January 2026 to 15 January 2027 has 365 days), at least the start day.
 * `service_period` uses the line's period (none: earned at once); `expected_duration` the invoice
 * date plus the policy's days; `point_in_time` none.
 */
export function recognitionWindow(
  policy: PolicyRule,
  line: { periodStart?: Date | null; periodEnd?: Date | null },
  issuedAt: Date,
): RecognitionWindow | null {
  let startAt: Date;
  let endAt: Date;
  switch (policy.method) {
    case 'point_in_time':
      return null;
    case 'service_period':
      if (!line.periodStart || !line.periodEnd || line.periodEnd <= line.periodStart) return null;
      startAt = line.periodStart;
      endAt = line.periodEnd;
      break;
    case 'expected_duration':
      if (policy.durationDays === null || policy.durationDays < 1) return null;
      startAt = issuedAt;
      endAt = new Date(issuedAt.getTime() + policy.durationDays * DAY_MS);
      break;
  }
  const firstDay = dayOf(startAt);
  const lastDay = addDays(dayOf(endAt), -1) < firstDay ? firstDay : addDays(dayOf(endAt), -1);
  return { startAt, endAt, firstDay, lastDay };
}

/** What the day rules read of a schedule. */
export interface ScheduleState {
  amount: number;
  recognized: number;
  reduced: number;
  credited: number;
  recognizedThrough: string | null;
  firstDay: string;
  lastDay: string;
  basisStart: string;
  basisAmount: number;
  basisRecognized: number;
}

/** `a + b` in minor units of `currency`, through @astrix/pricing. */
export function plus(a: number, b: number, currency: string): number {
  return add(storedMoney(a, currency), storedMoney(b, currency)).amountMinor;
}

/** `a − b` in minor units of `currency`, through @astrix/pricing. */
export function minus(a: number, b: number, currency: string): number {
  return subtract(storedMoney(a, currency), storedMoney(b, currency)).amountMinor;
}

/** Deferred and not yet recognized. */
export function remainderOf(
  schedule: Pick<ScheduleState, 'amount' | 'recognized' | 'reduced'>,
  currency: string,
): number {
  return minus(minus(schedule.amount, schedule.recognized, currency), schedule.reduced, currency);
}

/**
 * Recognized by the end of `day` on the current straight line: the basis recognized plus the
 * day-count share of the basis amount (days from the basis start through `day` out of the days
 * from the basis start through the last day), allocated by @astrix/pricing so the last day lands
 * exactly on the total.
 */
function cumulativeThrough(schedule: ScheduleState, day: string, currency: string): number {
  const total = daysBetween(schedule.basisStart, schedule.lastDay);
  const elapsed = Math.min(total, daysBetween(schedule.basisStart, day));
  if (elapsed === 0 || schedule.basisAmount === 0) return schedule.basisRecognized;
  const [share] = allocate(storedMoney(schedule.basisAmount, currency), [elapsed, total - elapsed]);
  return plus(schedule.basisRecognized, share.amountMinor, currency);
}

/** One day's recognition. */
export interface DayAmount {
  day: string;
  amount: number;
}

/**
 * The days still to recognize through `through` (after `recognizedThrough`, within the schedule)
 * and each day's amount. Amounts of zero are listed too: they advance the schedule and post nothing.
 */
export function daysToRecognize(schedule: ScheduleState, through: string, currency: string): DayAmount[] {
  const from =
    schedule.recognizedThrough === null ? schedule.firstDay : addDays(schedule.recognizedThrough, 1);
  const until = through < schedule.lastDay ? through : schedule.lastDay;
  const days: DayAmount[] = [];
  let before = schedule.recognized;
  for (let day = from; day <= until; day = addDays(day, 1)) {
    const cumulative = cumulativeThrough(schedule, day, currency);
    days.push({ day, amount: minus(cumulative, before, currency) });
    before = cumulative;
  }
  return days;
}

/** The straight line restarted after a change of the remainder: what is left over the days left. */
export function rebased(
  schedule: ScheduleState,
  currency: string,
): Pick<ScheduleState, 'basisStart' | 'basisAmount' | 'basisRecognized'> {
  const next =
    schedule.recognizedThrough === null ? schedule.firstDay : addDays(schedule.recognizedThrough, 1);
  return {
    basisStart: next > schedule.lastDay ? schedule.lastDay : next,
    basisAmount: remainderOf(schedule, currency),
    basisRecognized: schedule.recognized,
  };
}

/**
 * A credit of `share` against the line (its part of a credit note or refund): it gives back the
 * same fraction of what is still sold of the line (amount − credits so far), so it takes that
 * fraction of the unrecognized remainder off deferred revenue — half an evaluation refunded
 * reverses half of its unrecognized part — and leaves the rest (the fraction of what was already
 * recognized) on the refunds account. Returns the part taken from deferred revenue.
 */
export function creditFromDeferred(schedule: ScheduleState, share: number, currency: string): number {
  const remainder = remainderOf(schedule, currency);
  const sold = minus(schedule.amount, schedule.credited, currency);
  if (share <= 0 || remainder <= 0 || sold <= 0) return 0;
  if (share >= sold) return remainder;
  const [fromDeferred] = allocate(storedMoney(remainder, currency), [share, minus(sold, share, currency)]);
  return fromDeferred.amountMinor;
}

/**
 * A credit note's share (net of tax) of each invoice line: in proportion to what each line earns
 * (amount − discount − tax included in it), lines that earn nothing or less take none.
 */
export function creditShares(
  amount: number,
  lines: ReadonlyArray<{ amount: number; discount: number; tax?: number; taxInclusive?: boolean }>,
  currency: string,
): number[] {
  const weights = lines.map((line) =>
    Math.max(
      0,
      minus(
        minus(line.amount, line.discount, currency),
        line.taxInclusive === true ? (line.tax ?? 0) : 0,
        currency,
      ),
    ),
  );
  if (weights.every((weight) => weight === 0)) return lines.map(() => 0);
  return allocate(storedMoney(amount, currency), weights).map((share) => share.amountMinor);
}

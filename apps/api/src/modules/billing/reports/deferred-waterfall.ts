import { add } from '@astrix/pricing';
import {
  addDays,
  daysToRecognize,
  remainderOf,
  type ScheduleState,
} from '../ledger/recognition/recognition-rules';
import { storedMoney } from '../money';

/** A month `YYYY-MM` of a calendar day. */
export const monthOf = (day: string): string => day.slice(0, 7);

/**
 * When what a schedule still defers will be recognized, by month: the days after the last one
 * recognized through the schedule's last day, at the amounts the recognition run will post.
 */
export function outlookByMonth(
  schedules: ReadonlyArray<ScheduleState & { currency: string }>,
): Map<string, Map<string, number>> {
  const byCurrency = new Map<string, Map<string, number>>();
  for (const schedule of schedules) {
    if (remainderOf(schedule, schedule.currency) === 0) continue;
    const months = byCurrency.get(schedule.currency) ?? new Map<string, number>();
    byCurrency.set(schedule.currency, months);
    for (const { day, amount } of daysToRecognize(schedule, schedule.lastDay, schedule.currency)) {
      const before = storedMoney(months.get(monthOf(day)) ?? 0, schedule.currency);
      months.set(monthOf(day), add(before, storedMoney(amount, schedule.currency)).amountMinor);
    }
  }
  return byCurrency;
}

/** The months from `from` to `to` (both `YYYY-MM`, included). */
export function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  for (let day = `${from}-01`; monthOf(day) <= to; day = addDays(`${monthOf(addDays(day, 31))}-01`, 0)) {
    months.push(monthOf(day));
  }
  return months;
}

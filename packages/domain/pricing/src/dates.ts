import { InvalidDateError } from './errors';

/** Checks that a value is a Date holding a real instant (not `new Date('nope')`). */
export function assertDate(value: unknown, what: string): asserts value is Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new InvalidDateError(what, value);
}

/** Whole seconds since the epoch; instants are truncated to the second (floor, also before 1970). */
export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

import { Transform } from 'class-transformer';
import { registerDecorator, type ValidationOptions } from 'class-validator';

/**
 * The one parser of dates that come from outside (query, body, CLI): an ISO 8601 calendar date
 * (`2026-11-21`, midnight UTC) or date-time (`2026-11-21T10:00`, `…:00`, `…:00.123`, with `Z`,
 * `±hh:mm`, `±hhmm` or no offset, which means UTC). It accepts exactly what it can convert: week
 * dates (`2026-W01`), ordinal dates, `24:00`, Feb 30 or a year outside 1970–9999 are refused here
 * rather than passing a validator and failing (or silently rolling over) in `new Date()`.
 */
export interface InstantOptions {
  /** A date alone is refused (an event time, say). */
  requireTime?: boolean;
  /** A date-time without an offset is refused (a sibling service's event time). */
  requireOffset?: boolean;
}

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(10000, 0, 1);
const MINUTE_MS = 60_000;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1–12) of `year`, Gregorian. */
function daysIn(year: number, month: number): number {
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return DAYS_IN_MONTH[month - 1] + (leap ? 1 : 0);
}

/** The instant a string names, or null when it is not one of the forms above or not a real instant. */
export function parseInstant(value: string, options: InstantOptions = {}): Date | null {
  // Most instants arrive as toISOString() wrote them; usage ingest reads one per event.
  const canonical = parseCanonicalUtc(value);
  return canonical === undefined ? parseInstantByPattern(value, options) : canonical;
}

const DIGIT_0 = 48;

/** The number written by the digits at [from, to), or -1 if one is not a digit. */
function digitsAt(value: string, from: number, to: number): number {
  let number = 0;
  for (let index = from; index < to; index += 1) {
    const digit = value.charCodeAt(index) - DIGIT_0;
    if (digit < 0 || digit > 9) return -1;
    number = number * 10 + digit;
  }
  return number;
}

/**
 * `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.sssZ` read without a regular expression or
 * intermediate strings, with the same checks as the pattern; undefined for any other shape (which
 * then goes to the pattern), null for that shape naming no real instant.
 */
export function parseCanonicalUtc(value: string): Date | null | undefined {
  const length = value.length;
  if ((length !== 20 && length !== 24) || value.charCodeAt(length - 1) !== 90 /* Z */) return undefined;
  if (value[4] !== '-' || value[7] !== '-' || value[10] !== 'T' || value[13] !== ':' || value[16] !== ':')
    return undefined;
  if (length === 24 && value[19] !== '.') return undefined;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 7);
  const day = digitsAt(value, 8, 10);
  const hour = digitsAt(value, 11, 13);
  const minute = digitsAt(value, 14, 16);
  const second = digitsAt(value, 17, 19);
  const milliseconds = length === 24 ? digitsAt(value, 20, 23) : 0;
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || milliseconds < 0)
    return undefined;
  // Date.UTC would read years 0–99 as 1900–1999; they are before 1970 anyway.
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
    return null;
  if (day > daysIn(year, month)) return null;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, milliseconds));
}

/** Every accepted form, by the pattern (exported for the test that holds the fast path to it). */
export function parseInstantByPattern(value: string, options: InstantOptions = {}): Date | null {
  const match = INSTANT.exec(value);
  if (!match) return null;
  const [, yearText, monthText, dayText, hourText, minuteText, secondText, fraction, offset] = match;
  if (options.requireTime && hourText === undefined) return null;
  if (options.requireOffset && offset === undefined) return null;
  const [year, month, day] = [Number(yearText), Number(monthText), Number(dayText)];
  const [hour, minute, second] = [Number(hourText ?? 0), Number(minuteText ?? 0), Number(secondText ?? 0)];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (offset !== undefined && offset !== 'Z') {
    const digits = offset.slice(1).replace(':', '');
    const [offsetHours, offsetMins] = [Number(digits.slice(0, 2)), Number(digits.slice(2))];
    if (offsetHours > 14 || offsetMins > 59) return null;
    offsetMinutes = (offset.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const milliseconds = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, milliseconds);
  const time = date.getTime() - offsetMinutes * MINUTE_MS;
  if (!Number.isFinite(time) || time < EARLIEST || time >= LATEST) return null;
  return new Date(time);
}

export function instantFormsMessage(property: string, options: InstantOptions = {}): string {
  if (options.requireTime && options.requireOffset)
    return `${property} must be an ISO 8601 date-time with an offset, e.g. 2026-11-21T10:00:00Z`;
  if (options.requireTime) return `${property} must be an ISO 8601 date-time, e.g. 2026-11-21T10:00:00Z`;
  return `${property} must be an ISO 8601 date or date-time (e.g. 2026-11-21 or 2026-11-21T10:00:00Z) from 1970 to 9999`;
}

/**
 * A date input: validated by parseInstant and rewritten to its canonical form
 * (`2026-11-21T10:00:00.000Z`), so code behind the DTO can use `new Date(value)` without a check.
 * Null and undefined pass through (pair with @IsOptional / @ValidateIf for optional fields).
 */
export function IsInstant(instant: InstantOptions = {}, validation?: ValidationOptions): PropertyDecorator {
  const canonical = Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    return parseInstant(value, instant)?.toISOString() ?? value;
  });
  return (target: object, propertyName: string | symbol) => {
    canonical(target, propertyName);
    registerDecorator({
      name: 'isInstant',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: ({ property }) => instantFormsMessage(property, instant), ...validation },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parseInstant(value, instant) !== null,
      },
    });
  };
}

const CALENDAR_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A UTC calendar day `YYYY-MM-DD` that exists (no Feb 30, month 13 or year before 1970), or null. */
export function parseCalendarDay(value: string): string | null {
  if (!CALENDAR_DAY.test(value)) return null;
  const instant = parseInstant(value);
  return instant === null ? null : value;
}

/** A calendar-day input (`YYYY-MM-DD`), kept as the string: every day parameter uses this one check. */
export function IsCalendarDay(validation?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isCalendarDay',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: ({ property }) => `${property} must be a calendar day YYYY-MM-DD from 1970 to 9999`,
        ...validation,
      },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parseCalendarDay(value) !== null,
      },
    });
  };
}

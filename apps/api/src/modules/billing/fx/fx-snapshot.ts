import { crossRate } from '@astrix/pricing';

/**
 * The currency every report converts to. A constant, reviewed like code: changing it means
 * re-snapshotting history, not flipping a setting (docs/finance.md "Currencies").
 */
export const REPORTING_CURRENCY = 'USD';

/** The rate a document or journal line was converted with, kept with it. */
export interface FxSnapshot {
  reportingCurrency: string;
  /** 1 unit of the document's currency = `rate` units of the reporting currency. */
  rate: string;
  /** "identity", "ecb", "admin", or "ecb:cross-EUR" for a rate derived through a common base. */
  source: string;
  /** The day the rate is of (its 00:00 UTC). */
  asOf: Date;
}

/** A stored daily rate as the lookup needs it. */
export interface DailyRate {
  day: string;
  base: string;
  quote: string;
  rate: string;
  source: string;
}

const dayStart = (day: string): Date => new Date(`${day}T00:00:00.000Z`);

/**
 * The snapshot converting `currency` to `reporting` with the rates of the latest day at or before
 * `day` that has one: a direct pair, its inverse, or a cross through a common base quoting both on
 * the same day (ECB publishes EUR → X). Null when no rate is known (reports name the gap).
 */
export function snapshotFrom(
  rates: readonly DailyRate[],
  currency: string,
  reporting: string,
  day: string,
): FxSnapshot | null {
  if (currency === reporting) {
    return { reportingCurrency: reporting, rate: '1', source: 'identity', asOf: dayStart(day) };
  }
  const usable = rates.filter((rate) => rate.day <= day).sort((a, b) => (a.day < b.day ? 1 : -1));
  for (const rate of usable) {
    const sameDay = usable.filter((other) => other.day === rate.day);
    if (rate.base === currency && rate.quote === reporting) {
      return { reportingCurrency: reporting, rate: rate.rate, source: rate.source, asOf: dayStart(rate.day) };
    }
    if (rate.base === reporting && rate.quote === currency) {
      return {
        reportingCurrency: reporting,
        rate: crossRate(rate.rate, '1'),
        source: `${rate.source}:inverse`,
        asOf: dayStart(rate.day),
      };
    }
    if (rate.quote === currency) {
      const toReporting = sameDay.find((other) => other.base === rate.base && other.quote === reporting);
      if (toReporting !== undefined) {
        return {
          reportingCurrency: reporting,
          rate: crossRate(rate.rate, toReporting.rate),
          source: `${rate.source}:cross-${rate.base}`,
          asOf: dayStart(rate.day),
        };
      }
    }
  }
  return null;
}

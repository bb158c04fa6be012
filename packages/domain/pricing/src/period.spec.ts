import fc from 'fast-check';
import { InvalidDateError, InvalidPeriodError } from './errors';
import {
  type BillingInterval,
  addBillingIntervals,
  billingPeriodFor,
  subscriptionPeriodAt,
  trialEndFor,
} from './period';

const utc = (iso: string): Date => new Date(iso);
const iso = (date: Date): string => date.toISOString();

describe('addBillingIntervals', () => {
  it.each([
    ['2026-01-31T10:00:00Z', 'month', 1, '2026-02-28T10:00:00.000Z'],
    ['2028-01-31T10:00:00Z', 'month', 1, '2028-02-29T10:00:00.000Z'],
    ['2026-01-31T10:00:00Z', 'month', 2, '2026-03-31T10:00:00.000Z'],
    ['2026-01-31T10:00:00Z', 'month', 3, '2026-04-30T10:00:00.000Z'],
    ['2026-03-31T00:00:00Z', 'month', -1, '2026-02-28T00:00:00.000Z'],
    ['2026-12-15T00:00:00Z', 'month', 1, '2027-01-15T00:00:00.000Z'],
    ['2026-01-15T00:00:00Z', 'month', -1, '2025-12-15T00:00:00.000Z'],
    ['2024-02-29T00:00:00Z', 'year', 1, '2025-02-28T00:00:00.000Z'],
    ['2024-02-29T00:00:00Z', 'year', 4, '2028-02-29T00:00:00.000Z'],
    ['2026-11-21T08:30:15.250Z', 'year', 0, '2026-11-21T08:30:15.250Z'],
  ] as const)('%s + %i %s(s) … is %s', (anchor, interval, count, expected) => {
    expect(iso(addBillingIntervals(utc(anchor), interval, count))).toBe(expected);
  });

  it('refuses bad input', () => {
    expect(() => addBillingIntervals(utc('nope'), 'month', 1)).toThrow(InvalidDateError);
    expect(() => addBillingIntervals(utc('2026-01-01T00:00:00Z'), 'week' as BillingInterval, 1)).toThrow(
      'billing interval "week" must be "month" or "year"',
    );
    expect(() => addBillingIntervals(utc('2026-01-01T00:00:00Z'), 'month', 1.5)).toThrow(InvalidPeriodError);
    expect(() => addBillingIntervals(utc('2026-01-01T00:00:00Z'), 'year', 300000)).toThrow(
      /outside the supported date range/,
    );
  });
});

describe('billingPeriodFor', () => {
  const anchor31 = utc('2026-01-31T00:00:00Z');

  it('gives the month periods of an anchor on the 31st, falling on the last day of short months', () => {
    const starts = [0, 1, 2, 3, 4].map((month) =>
      iso(billingPeriodFor(anchor31, 'month', 1, addBillingIntervals(anchor31, 'month', month)).start),
    );
    expect(starts).toEqual([
      '2026-01-31T00:00:00.000Z',
      '2026-02-28T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
      '2026-04-30T00:00:00.000Z',
      '2026-05-31T00:00:00.000Z',
    ]);
  });

  it('returns the [start, end) period containing the instant, with its index', () => {
    const period = billingPeriodFor(anchor31, 'month', 1, utc('2026-03-15T12:00:00Z'));
    expect(period).toEqual({
      start: utc('2026-02-28T00:00:00Z'),
      end: utc('2026-03-31T00:00:00Z'),
      index: 1,
    });
    // the end is exclusive: the boundary instant belongs to the next period
    expect(billingPeriodFor(anchor31, 'month', 1, utc('2026-03-31T00:00:00Z')).index).toBe(2);
    expect(billingPeriodFor(anchor31, 'month', 1, utc('2026-03-30T23:59:59.999Z')).index).toBe(1);
    expect(billingPeriodFor(anchor31, 'month', 1, anchor31).index).toBe(0);
  });

  it('handles the time of day of the anchor within the boundary day', () => {
    const anchor = utc('2026-01-15T18:00:00Z');
    expect(billingPeriodFor(anchor, 'month', 1, utc('2026-02-15T17:59:59Z')).index).toBe(0);
    expect(billingPeriodFor(anchor, 'month', 1, utc('2026-02-15T18:00:00Z')).index).toBe(1);
  });

  it('handles quarterly and yearly intervals and leap days', () => {
    expect(billingPeriodFor(anchor31, 'month', 3, utc('2026-05-01T00:00:00Z'))).toEqual({
      start: utc('2026-04-30T00:00:00Z'),
      end: utc('2026-07-31T00:00:00Z'),
      index: 1,
    });
    const leap = utc('2024-02-29T00:00:00Z');
    expect(billingPeriodFor(leap, 'year', 1, utc('2025-06-01T00:00:00Z'))).toEqual({
      start: utc('2025-02-28T00:00:00Z'),
      end: utc('2026-02-28T00:00:00Z'),
      index: 1,
    });
    expect(billingPeriodFor(leap, 'year', 1, utc('2028-03-01T00:00:00Z')).start).toEqual(
      utc('2028-02-29T00:00:00Z'),
    );
    // February of a leap year is 29 days
    const feb = billingPeriodFor(utc('2028-01-31T00:00:00Z'), 'month', 1, utc('2028-02-29T12:00:00Z'));
    expect(feb.end.getTime() - feb.start.getTime()).toBe(31 * 86_400_000);
  });

  it('refuses instants before the anchor and bad intervals', () => {
    expect(() => billingPeriodFor(anchor31, 'month', 1, utc('2026-01-30T00:00:00Z'))).toThrow(
      '2026-01-30T00:00:00.000Z is before the billing anchor 2026-01-31T00:00:00.000Z',
    );
    expect(() => billingPeriodFor(anchor31, 'month', 0, anchor31)).toThrow(
      'interval count 0 must be a positive integer',
    );
    expect(() => billingPeriodFor(anchor31, 'month', 1, new Date(Number.NaN))).toThrow(
      'at Invalid Date is not a valid date',
    );
    expect(() => billingPeriodFor('2026-01-01' as unknown as Date, 'month', 1, anchor31)).toThrow(
      'anchor "2026-01-01" is not a valid date',
    );
  });

  it('always contains the instant, with consecutive periods that tile time', () => {
    fc.assert(
      fc.property(
        fc.date({ min: utc('1990-01-01T00:00:00Z'), max: utc('2060-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 40 * 365 * 86_400_000 }),
        fc.constantFrom<BillingInterval>('month', 'year'),
        fc.integer({ min: 1, max: 6 }),
        (anchor, offset, interval, count) => {
          const at = new Date(anchor.getTime() + offset);
          const period = billingPeriodFor(anchor, interval, count, at);
          expect(period.start.getTime()).toBeLessThanOrEqual(at.getTime());
          expect(period.end.getTime()).toBeGreaterThan(at.getTime());
          const next = billingPeriodFor(anchor, interval, count, period.end);
          expect(next.start).toEqual(period.end);
          expect(next.index).toBe(period.index + 1);
          // the start falls on the anchor's day, or the last day of a shorter month
          const day = period.start.getUTCDate();
          expect(day === anchor.getUTCDate() || day < anchor.getUTCDate()).toBe(true);
        },
      ),
    );
  });
});

describe('trials and subscription schedules', () => {
  const started = utc('2026-11-10T09:00:00Z');

  it('computes trial ends in whole days', () => {
    expect(trialEndFor(started, 14)).toEqual(utc('2026-11-24T09:00:00Z'));
    expect(trialEndFor(started, 0)).toEqual(started);
    expect(() => trialEndFor(started, -1)).toThrow(InvalidPeriodError);
    expect(() => trialEndFor(started, 1.5)).toThrow('trial length 1.5 must be a whole number of days');
  });

  it('is in trial until the trial ends, then bills from the trial end', () => {
    const schedule = { startedAt: started, trialEnd: trialEndFor(started, 14), interval: 'month' as const };
    expect(subscriptionPeriodAt(schedule, utc('2026-11-20T00:00:00Z'))).toEqual({
      phase: 'trial',
      start: started,
      end: utc('2026-11-24T09:00:00Z'),
    });
    expect(subscriptionPeriodAt(schedule, utc('2026-11-24T09:00:00Z'))).toEqual({
      phase: 'regular',
      start: utc('2026-11-24T09:00:00Z'),
      end: utc('2026-12-24T09:00:00Z'),
      index: 0,
    });
  });

  it('bills from the start without a trial', () => {
    expect(
      subscriptionPeriodAt(
        { startedAt: started, interval: 'year', trialEnd: null },
        utc('2027-12-01T00:00:00Z'),
      ),
    ).toEqual({
      phase: 'regular',
      start: utc('2027-11-10T09:00:00Z'),
      end: utc('2028-11-10T09:00:00Z'),
      index: 1,
    });
  });

  it('has a stub period up to a later billing anchor', () => {
    const schedule = {
      startedAt: started,
      interval: 'month' as const,
      billingAnchor: utc('2026-12-01T00:00:00Z'),
    };
    expect(subscriptionPeriodAt(schedule, utc('2026-11-15T00:00:00Z'))).toEqual({
      phase: 'stub',
      start: started,
      end: utc('2026-12-01T00:00:00Z'),
    });
    expect(subscriptionPeriodAt(schedule, utc('2027-01-05T00:00:00Z'))).toMatchObject({
      phase: 'regular',
      index: 1,
    });
    expect(
      subscriptionPeriodAt({ ...schedule, intervalCount: 3 }, utc('2027-01-05T00:00:00Z')),
    ).toMatchObject({
      phase: 'regular',
      end: utc('2027-03-01T00:00:00Z'),
    });
  });

  it('refuses inconsistent schedules', () => {
    expect(() =>
      subscriptionPeriodAt({ startedAt: started, interval: 'month' }, utc('2026-01-01T00:00:00Z')),
    ).toThrow(/is before the subscription started/);
    expect(() =>
      subscriptionPeriodAt(
        { startedAt: started, interval: 'month', trialEnd: utc('2026-01-01T00:00:00Z') },
        started,
      ),
    ).toThrow('trialEnd is before startedAt');
    expect(() =>
      subscriptionPeriodAt(
        { startedAt: started, interval: 'month', billingAnchor: utc('2026-11-01T00:00:00Z') },
        started,
      ),
    ).toThrow(/billing anchor 2026-11-01T00:00:00.000Z is before billing starts/);
    expect(() =>
      subscriptionPeriodAt({ startedAt: started, interval: 'month', trialEnd: new Date('x') }, started),
    ).toThrow(InvalidDateError);
  });
});

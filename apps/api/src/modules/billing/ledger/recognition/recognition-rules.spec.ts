import {
  addDays,
  creditFromDeferred,
  creditShares,
  daysBetween,
  daysToRecognize,
  endOfDay,
  rebased,
  recognitionWindow,
  remainderOf,
  type ScheduleState,
} from './recognition-rules';

const yearly = (amount: number): ScheduleState => ({
  amount,
  recognized: 0,
  reduced: 0,
  credited: 0,
  recognizedThrough: null,
  firstDay: '2026-01-15',
  lastDay: '2027-01-14',
  basisStart: '2026-01-15',
  basisAmount: amount,
  basisRecognized: 0,
});

const total = (days: Array<{ amount: number }>) => days.reduce((sum, day) => sum + day.amount, 0);

describe('recognition windows', () => {
  it('spreads a subscription line over the calendar days of its period (a year from 15 January: 365 days)', () => {
    const window = recognitionWindow(
      { method: 'service_period', durationDays: null },
      { periodStart: new Date('2026-01-15T10:00:00Z'), periodEnd: new Date('2027-01-15T10:00:00Z') },
      new Date('2026-01-15T10:00:00Z'),
    );
    expect(window).toMatchObject({ firstDay: '2026-01-15', lastDay: '2027-01-14' });
    expect(daysBetween(window!.firstDay, window!.lastDay)).toBe(365);
  });

  it('spreads an evaluation over its expected duration from the invoice date', () => {
    expect(
      recognitionWindow(
        { method: 'expected_duration', durationDays: 30 },
        {},
        new Date('2026-03-10T08:00:00Z'),
      ),
    ).toMatchObject({ firstDay: '2026-03-10', lastDay: '2026-04-08' });
  });

  it('earns point-in-time kinds, and service-period lines without a period, at once', () => {
    expect(recognitionWindow({ method: 'point_in_time', durationDays: null }, {}, new Date())).toBeNull();
    expect(recognitionWindow({ method: 'service_period', durationDays: null }, {}, new Date())).toBeNull();
  });

  it('keeps a period shorter than a day on its start day', () => {
    expect(
      recognitionWindow(
        { method: 'service_period', durationDays: null },
        { periodStart: new Date('2026-02-01T01:00:00Z'), periodEnd: new Date('2026-02-01T05:00:00Z') },
        new Date('2026-02-01T01:00:00Z'),
      ),
    ).toMatchObject({ firstDay: '2026-02-01', lastDay: '2026-02-01' });
  });
});

describe('days to recognize', () => {
  it('recognizes 17/365 of a yearly plan paid on 15 January by the end of January', () => {
    const january = daysToRecognize(yearly(120_000), '2026-01-31', 'USD');
    expect(january).toHaveLength(17);
    // 120000 × 17 / 365 = 5589.04…
    expect(total(january)).toBe(5589);
  });

  it('lands exactly on the amount on the last day, whether run daily or caught up at once', () => {
    const schedule = yearly(99_999);
    const atOnce = daysToRecognize(schedule, '2027-06-01', 'USD');
    expect(atOnce).toHaveLength(365);
    expect(total(atOnce)).toBe(99_999);

    const daily = { ...schedule };
    let posted = 0;
    for (let day = '2026-01-15'; day <= '2027-01-14'; day = addDays(day, 1)) {
      const [only] = daysToRecognize(daily, day, 'USD');
      posted += only.amount;
      daily.recognized += only.amount;
      daily.recognizedThrough = day;
    }
    expect(posted).toBe(99_999);
    expect(daysToRecognize(daily, '2027-12-31', 'USD')).toEqual([]);
  });

  it('recognizes a negative schedule (a proration credit) the other way', () => {
    const credit = { ...yearly(-3650), firstDay: '2026-07-01', basisStart: '2026-07-01' };
    const days = daysToRecognize(credit, '2026-07-10', 'USD');
    expect(days.every((day) => day.amount <= 0)).toBe(true);
  });

  it('dates a day at its last instant', () => {
    expect(endOfDay('2026-01-31').toISOString()).toBe('2026-01-31T23:59:59.999Z');
  });
});

describe('credits against a deferred line', () => {
  it('takes half of the unrecognized part off deferred revenue for half of the price', () => {
    const evaluation: ScheduleState = {
      ...yearly(10_000),
      firstDay: '2026-03-01',
      lastDay: '2026-03-30',
      basisStart: '2026-03-01',
    };
    const firstTen = daysToRecognize(evaluation, '2026-03-10', 'USD');
    const after = { ...evaluation, recognized: total(firstTen), recognizedThrough: '2026-03-10' };
    expect(remainderOf(after, 'USD')).toBe(6667);
    expect(creditFromDeferred(after, 5000, 'USD')).toBe(3334);

    // The rest re-spreads over the 20 days left and still lands on what remains.
    const credited = { ...after, reduced: 3334, credited: 5000 };
    const next = { ...credited, ...rebased(credited, 'USD') };
    expect(next).toMatchObject({ basisStart: '2026-03-11', basisAmount: 3333 });
    expect(total(daysToRecognize(next, '2026-12-31', 'USD'))).toBe(3333);
  });

  it('takes the whole remainder when the rest of the line is credited', () => {
    const schedule = { ...yearly(10_000), recognized: 4000, reduced: 3000, credited: 5000 };
    expect(creditFromDeferred(schedule, 5000, 'USD')).toBe(3000);
  });

  it("splits a credit note over lines by what each charged, as the note's entry does", () => {
    expect(
      creditShares(
        3000,
        [
          { amount: 10_000, discount: 0 },
          { amount: -500, discount: 0 },
          { amount: 5000, discount: 0 },
        ],
        'USD',
      ),
    ).toEqual([2000, 0, 1000]);
  });

  it('weighs lines by what they earn: tax inside a line is not revenue', () => {
    expect(
      creditShares(
        3000,
        [
          { amount: 12_000, discount: 0, tax: 2000, taxInclusive: true },
          { amount: 5000, discount: 0, tax: 1000, taxInclusive: false },
        ],
        'USD',
      ),
    ).toEqual([2000, 1000]);
  });
});

import { cardFee, defaultDisputeFee, defaultFeeSchedule, percentOfHalfUp, rateAt } from './fees';

describe('cardFee', () => {
  it('charges 2.9 % + 30 on a USD amount, rounding half up', () => {
    expect(cardFee(10_000, { percentBps: 290, fixedMinor: 30 })).toBe(320);
    // 2.9 % of 1050 = 30.45 → 30
    expect(cardFee(1_050, { percentBps: 290, fixedMinor: 30 })).toBe(60);
    // 2.9 % of 50 = 1.45 → 1; of 1550 = 44.95 → 45
    expect(cardFee(50, { percentBps: 290, fixedMinor: 30 })).toBe(31);
    expect(cardFee(1_550, { percentBps: 290, fixedMinor: 30 })).toBe(75);
  });

  it('rounds an exact half up', () => {
    // 2.5 % of 100 = 2.5 → 3; 0.5 % of 100 = 0.5 → 1
    expect(percentOfHalfUp(100, 250)).toBe(3);
    expect(percentOfHalfUp(100, 50)).toBe(1);
    expect(percentOfHalfUp(100, 49)).toBe(0);
  });

  it('stays exact past 2^53', () => {
    expect(percentOfHalfUp(9_000_000_000_000_000, 290)).toBe(261_000_000_000_000);
    // 50 % of 1_000_000_000_000_001 = …000.5 → rounds up
    expect(percentOfHalfUp(1_000_000_000_000_001, 5_000)).toBe(500_000_000_000_001);
  });

  it('costs nothing on a zero amount and refuses negative or fractional input', () => {
    expect(cardFee(0, { percentBps: 290, fixedMinor: 30 })).toBe(0);
    expect(() => cardFee(-1, { percentBps: 290, fixedMinor: 30 })).toThrow(RangeError);
    expect(() => cardFee(10.5, { percentBps: 290, fixedMinor: 30 })).toThrow(RangeError);
  });
});

describe('fee schedule', () => {
  const schedule = defaultFeeSchedule();

  it('prices two-, zero- and three-decimal currencies by default', () => {
    expect(cardFee(9_900, rateAt(schedule, 'usd', 0))).toBe(317);
    expect(cardFee(9_900, rateAt(schedule, 'EUR', 0))).toBe(317);
    // ¥10,000 at 3.6 % + 0
    expect(cardFee(10_000, rateAt(schedule, 'jpy', 0))).toBe(360);
    // 10.000 KWD at 2.9 % + 0.300
    expect(cardFee(10_000, rateAt(schedule, 'kwd', 0))).toBe(590);
    expect(defaultDisputeFee('usd')).toBe(1_500);
    expect(defaultDisputeFee('KWD')).toBe(15_000);
  });

  it('applies a change only to charges created from its start, per currency', () => {
    const changed = [
      ...schedule,
      { currency: 'usd', rate: { percentBps: 340, fixedMinor: 30 }, effectiveFrom: 1_000 },
    ];
    expect(rateAt(changed, 'usd', 999)).toEqual({ percentBps: 290, fixedMinor: 30 });
    expect(rateAt(changed, 'usd', 1_000)).toEqual({ percentBps: 340, fixedMinor: 30 });
    expect(rateAt(changed, 'eur', 2_000)).toEqual({ percentBps: 290, fixedMinor: 30 });
  });

  it('lets the later of two lines with the same start win', () => {
    const changed = [
      ...schedule,
      { currency: 'default', rate: { percentBps: 100, fixedMinor: 0 }, effectiveFrom: 0 },
    ];
    expect(rateAt(changed, 'gbp', 5)).toEqual({ percentBps: 100, fixedMinor: 0 });
  });
});

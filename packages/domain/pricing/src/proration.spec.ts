import fc from 'fast-check';
import {
  CurrencyMismatchError,
  InvalidDateError,
  InvalidPeriodError,
  InvalidRoundingModeError,
  OverflowError,
} from './errors';
import { type Money, money } from './money';
import { prorate, prorateChange } from './proration';
import { ROUNDING_MODES, type RoundingMode } from './rounding';

const usd = (amount: number): Money => money(amount, 'USD');
const november = { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') }; // 30 days

describe('prorateChange', () => {
  it('credits the unused old price and charges the new one by the second', () => {
    const change = prorateChange({
      period: november,
      changeAt: new Date('2026-11-16T00:00:00Z'), // 15 of 30 days left
      oldAmount: usd(4900),
      newAmount: usd(9900),
    });
    expect(change.credit).toEqual({
      kind: 'proration_credit',
      description:
        'Unused time on the previous price from 2026-11-16T00:00:00.000Z to 2026-12-01T00:00:00.000Z',
      amount: usd(-2450),
      start: new Date('2026-11-16T00:00:00Z'),
      end: november.end,
    });
    expect(change.charge).toMatchObject({ kind: 'proration_charge', amount: usd(4950) });
    expect(change.lines).toEqual([change.credit, change.charge]);
    expect(change).toMatchObject({
      net: usd(2500),
      remainingSeconds: 15 * 86400,
      periodSeconds: 30 * 86400,
      rounding: 'half_even',
    });
  });

  it('rounds each line with the stated mode', () => {
    const input = {
      period: november,
      changeAt: new Date('2026-11-21T00:00:00Z'),
      oldAmount: usd(1000),
      newAmount: usd(2000),
    };
    // 10 of 30 days left: 333.33 and 666.67
    expect(prorateChange(input).lines.map((line) => line.amount.amountMinor)).toEqual([-333, 667]);
    expect(
      prorateChange({ ...input, rounding: 'floor' }).lines.map((line) => line.amount.amountMinor),
    ).toEqual([-333, 666]);
    expect(
      prorateChange({ ...input, rounding: 'ceil' }).lines.map((line) => line.amount.amountMinor),
    ).toEqual([-334, 667]);
  });

  it('handles quantity changes and downgrades', () => {
    const seats = prorateChange({
      period: november,
      changeAt: new Date('2026-11-16T00:00:00Z'),
      oldAmount: usd(3 * 1000),
      newAmount: usd(5 * 1000),
    });
    expect(seats.net).toEqual(usd(1000));
    const downgrade = prorateChange({
      period: november,
      changeAt: new Date('2026-11-16T00:00:00Z'),
      oldAmount: usd(9900),
      newAmount: usd(4900),
    });
    expect(downgrade.net).toEqual(usd(-2500));
  });

  it('truncates instants to the second', () => {
    const change = prorateChange({
      period: november,
      changeAt: new Date('2026-11-30T23:59:59.999Z'),
      oldAmount: usd(2592000),
      newAmount: usd(0),
    });
    expect(change.remainingSeconds).toBe(1);
    expect(change.credit.amount).toEqual(usd(-1));
  });

  it('gives a full credit and charge at the period start and nothing at its end', () => {
    expect(
      prorateChange({
        period: november,
        changeAt: november.start,
        oldAmount: usd(4900),
        newAmount: usd(9900),
      }).net,
    ).toEqual(usd(5000));
    const atEnd = prorateChange({
      period: november,
      changeAt: november.end,
      oldAmount: usd(4900),
      newAmount: usd(9900),
    });
    expect(atEnd.lines.map((line) => line.amount.amountMinor)).toEqual([0, 0]);
  });

  it('stays exact for large amounts (BigInt fallback)', () => {
    const change = prorateChange({
      period: november,
      changeAt: new Date('2026-11-16T00:00:00Z'),
      oldAmount: usd(Number.MAX_SAFE_INTEGER),
      newAmount: usd(0),
    });
    expect(change.credit.amount).toEqual(usd(-4503599627370496)); // 4503599627370495.5 → even
  });

  it('refuses bad input', () => {
    const base = {
      period: november,
      changeAt: new Date('2026-11-16T00:00:00Z'),
      oldAmount: usd(4900),
      newAmount: usd(9900),
    };
    expect(() => prorateChange({ ...base, newAmount: money(9900, 'EUR') })).toThrow(CurrencyMismatchError);
    expect(() => prorateChange({ ...base, changeAt: new Date('2026-12-02T00:00:00Z') })).toThrow(
      '2026-12-02T00:00:00.000Z is outside the period 2026-11-01T00:00:00.000Z – 2026-12-01T00:00:00.000Z',
    );
    expect(() => prorateChange({ ...base, changeAt: new Date('2026-10-02T00:00:00Z') })).toThrow(
      InvalidPeriodError,
    );
    expect(() => prorateChange({ ...base, period: { start: november.end, end: november.start } })).toThrow(
      /is empty/,
    );
    expect(() => prorateChange({ ...base, changeAt: new Date('x') })).toThrow(InvalidDateError);
    expect(() => prorateChange({ ...base, period: undefined as never })).toThrow(
      'period start undefined is not a valid date',
    );
    expect(() => prorateChange({ ...base, rounding: 'nearest' as RoundingMode })).toThrow(
      InvalidRoundingModeError,
    );
  });

  it('credit + charge is within one minor unit of (new − old) × remaining / period', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 11 }),
        fc.integer({ min: 0, max: 10 ** 11 }),
        fc.integer({ min: 1, max: 400 * 86400 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom(...ROUNDING_MODES),
        (oldAmount, newAmount, periodSeconds, position, rounding) => {
          const start = new Date('2026-01-01T00:00:00Z');
          const end = new Date(start.getTime() + periodSeconds * 1000);
          const remainingSeconds = Math.floor(periodSeconds * position);
          const changeAt = new Date(end.getTime() - remainingSeconds * 1000);
          const change = prorateChange({
            period: { start, end },
            changeAt,
            oldAmount: usd(oldAmount),
            newAmount: usd(newAmount),
            rounding,
          });
          expect(change.credit.amount.amountMinor + change.charge.amount.amountMinor).toBe(
            change.net.amountMinor,
          );
          expect(change.credit.amount.amountMinor).toBeLessThanOrEqual(0);
          expect(Number.isSafeInteger(change.net.amountMinor)).toBe(true);
          // |net − (new − old) × remaining / period| ≤ 1, in integers
          const error =
            BigInt(change.net.amountMinor) * BigInt(periodSeconds) -
            BigInt(newAmount - oldAmount) * BigInt(remainingSeconds);
          expect(error <= BigInt(periodSeconds) && -error <= BigInt(periodSeconds)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('prorate', () => {
  it('prorates one amount from an instant to the period end', () => {
    expect(prorate(usd(3000), november, new Date('2026-11-21T00:00:00Z'))).toEqual(usd(1000));
    expect(prorate(usd(1000), november, new Date('2026-11-21T00:00:00Z'), 'ceil')).toEqual(usd(334));
    expect(prorate(money(1000, 'JPY'), november, new Date('2026-11-21T00:00:00Z'))).toEqual(
      money(333, 'JPY'),
    );
  });

  it('refuses bad input', () => {
    expect(() => prorate(usd(1), november, new Date('2027-01-01T00:00:00Z'))).toThrow(InvalidPeriodError);
    expect(() => prorate(usd(1), november, november.start, 'x' as RoundingMode)).toThrow(
      InvalidRoundingModeError,
    );
    expect(() => prorate({ amountMinor: 1.5, currency: 'USD' }, november, november.start)).toThrow(
      /not an integer/,
    );
  });

  it('is protected against overflow in the net', () => {
    expect(() =>
      prorateChange({
        period: november,
        changeAt: november.start,
        oldAmount: usd(-Number.MAX_SAFE_INTEGER),
        newAmount: usd(Number.MAX_SAFE_INTEGER),
      }),
    ).toThrow(OverflowError);
  });
});

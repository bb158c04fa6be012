import fc from 'fast-check';
import { allocate, allocateUnits, roundToTotal } from './allocate';
import { InvalidAllocationError, InvalidDecimalError, UnknownCurrencyError } from './errors';
import { type Money, money } from './money';

const usd = (amount: number): Money => money(amount, 'USD');
const amounts = (shares: readonly Money[]): number[] => shares.map((share) => share.amountMinor);

describe('allocate', () => {
  it.each<[number, (number | string)[], number[]]>([
    [100, [1, 1, 1], [34, 33, 33]],
    [100, [1, 1], [50, 50]],
    [5, [1, 1, 1], [2, 2, 1]],
    [1, [1, 1, 1], [1, 0, 0]],
    [100, [80, 20], [80, 20]],
    [999, [90, 10], [899, 100]],
    [1000, [1, 0, 1], [500, 0, 500]],
    [1000, ['0.8', '0.2'], [800, 200]],
    [1001, ['0.7', '0.25', '0.05'], [701, 250, 50]],
    [10, [1, 2, 3, 4], [1, 2, 3, 4]],
    [0, [1, 2], [0, 0]],
    [100, [3], [100]],
  ])('splits %i by %j into %j', (total, ratios, expected) => {
    expect(amounts(allocate(usd(total), ratios))).toEqual(expected);
  });

  it('gives leftover units to the largest remainders, earlier shares first on ties', () => {
    // exact shares 16.67, 33.33, 50 → floors 16, 33, 50 → the one missing cent goes to the first
    expect(amounts(allocate(usd(100), [1, 2, 3]))).toEqual([17, 33, 50]);
    // 10 × 0.3 = 3.33.. ×3 → 3, 3, 3 and one unit left, to the first
    expect(amounts(allocate(usd(10), [1, 1, 1]))).toEqual([4, 3, 3]);
  });

  it('splits negative totals symmetrically (credits)', () => {
    expect(amounts(allocate(usd(-100), [1, 1, 1]))).toEqual([-34, -33, -33]);
  });

  it('keeps the currency and works at the top of the safe range', () => {
    const shares = allocate(money(Number.MAX_SAFE_INTEGER, 'JPY'), [1, 1]);
    expect(shares).toEqual([money(4503599627370496, 'JPY'), money(4503599627370495, 'JPY')]);
    expect(amounts(allocate(usd(100), [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]))).toEqual([50, 50]);
  });

  it('refuses empty, negative, fractional-number and all-zero ratios', () => {
    expect(() => allocate(usd(100), [])).toThrow(InvalidAllocationError);
    expect(() => allocate(usd(100), [0, 0])).toThrow('cannot allocate: all ratios are zero');
    expect(() => allocate(usd(100), [1, -1])).toThrow(
      'ratio -1 at index 1 must be a non-negative safe integer',
    );
    expect(() => allocate(usd(100), [0.5, 0.5])).toThrow(InvalidAllocationError);
    expect(() => allocate(usd(100), ['1', '-0.5'])).toThrow('ratio "-0.5" at index 1 is negative');
    expect(() => allocate(usd(100), ['a'])).toThrow(InvalidDecimalError);
    expect(() => allocate(usd(100), 'abc' as unknown as number[])).toThrow(InvalidAllocationError);
    expect(() => allocate({ amountMinor: 1, currency: 'ZZZ' } as unknown as Money, [1])).toThrow(
      UnknownCurrencyError,
    );
  });

  const ratiosArbitrary = fc
    .array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 20 })
    .filter((ratios) => ratios.some((ratio) => ratio > 0));

  it('always sums to the total, with every share within one unit of its exact value', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), ratiosArbitrary, (total, ratios) => {
        const shares = allocate(usd(total), ratios);
        const ratioSum = BigInt(ratios.reduce((a, b) => a + b, 0));
        expect(shares.reduce((acc, share) => acc + BigInt(share.amountMinor), 0n)).toBe(BigInt(total));
        shares.forEach((share, index) => {
          expect(Number.isSafeInteger(share.amountMinor)).toBe(true);
          // |share − total × ratio / sum| < 1
          const error = BigInt(share.amountMinor) * ratioSum - BigInt(total) * BigInt(ratios[index]);
          expect(error < ratioSum && -error < ratioSum).toBe(true);
          if (ratios[index] === 0) expect(share.amountMinor).toBe(0);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('is symmetric: allocate(−x) = −allocate(x)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), ratiosArbitrary, (total, ratios) => {
        expect(amounts(allocate(usd(-total), ratios))).toEqual(
          amounts(allocate(usd(total), ratios)).map((a) => -a + 0),
        );
      }),
    );
  });
});

describe('roundToTotal', () => {
  it('rounds signed exact values to a given total', () => {
    // exact values −1.5, 2.5, 0.25: floors −2, 2, 0 (sum 0); total 1 → +1 to the largest fraction (0.5, first)
    expect(roundToTotal([-6n, 10n, 1n], 4n, 1n)).toEqual([-1n, 2n, 0n]);
  });

  it('refuses totals no rounding of the values can reach', () => {
    expect(() => roundToTotal([1n, 1n], 2n, 5n)).toThrow(InvalidAllocationError);
    expect(() => roundToTotal([1n, 1n], 2n, -1n)).toThrow(InvalidAllocationError);
  });

  it('allocates bigints beyond the safe range', () => {
    expect(allocateUnits(10n ** 30n, [1n, 1n, 1n])).toEqual([
      333333333333333333333333333334n,
      333333333333333333333333333333n,
      333333333333333333333333333333n,
    ]);
  });
});

import fc from 'fast-check';
import { InvalidFactorError, InvalidRoundingModeError, OverflowError } from './errors';
import {
  DEFAULT_ROUNDING,
  ROUNDING_MODES,
  type RoundingMode,
  assertRoundingMode,
  divideRounded,
  multiplyDivide,
  multiplyDivideBig,
} from './rounding';

/** Reference rounding from the definitions: pick the lower or upper neighbour of the exact quotient. */
function reference(n: number, d: number, mode: RoundingMode): number {
  if (d < 0) {
    n = -n;
    d = -d;
  }
  const lower = Math.floor(n / d); // exact for these small integers
  const twiceDistance = 2 * (n - lower * d); // 2·(x − lower)·d
  if (twiceDistance === 0) return lower;
  const upper = lower + 1;
  const positive = n > 0;
  switch (mode) {
    case 'floor':
      return lower;
    case 'ceil':
      return upper;
    case 'truncate':
      return positive ? lower : upper;
    default: {
      if (twiceDistance < d) return lower;
      if (twiceDistance > d) return upper;
      if (mode === 'half_up') return positive ? upper : lower;
      if (mode === 'half_down') return positive ? lower : upper;
      return lower % 2 === 0 ? lower : upper;
    }
  }
}

describe('divideRounded', () => {
  it('matches the definition of every mode for all small numerators and denominators', () => {
    for (const mode of ROUNDING_MODES) {
      for (let n = -60; n <= 60; n++) {
        for (let d = -8; d <= 8; d++) {
          if (d === 0) continue;
          expect([mode, n, d, Number(divideRounded(BigInt(n), BigInt(d), mode))]).toEqual([
            mode,
            n,
            d,
            reference(n, d, mode) + 0,
          ]);
        }
      }
    }
  });

  it.each<[bigint, bigint, RoundingMode, bigint]>([
    [5n, 2n, 'half_even', 2n],
    [7n, 2n, 'half_even', 4n],
    [-5n, 2n, 'half_even', -2n],
    [-7n, 2n, 'half_even', -4n],
    [5n, 2n, 'half_up', 3n],
    [-5n, 2n, 'half_up', -3n],
    [5n, 2n, 'half_down', 2n],
    [-5n, 2n, 'half_down', -2n],
    [-1n, 3n, 'floor', -1n],
    [1n, 3n, 'floor', 0n],
    [-1n, 3n, 'ceil', 0n],
    [1n, 3n, 'ceil', 1n],
    [-5n, 3n, 'truncate', -1n],
    [5n, -3n, 'truncate', -1n],
    [6n, -3n, 'half_even', -2n],
  ])('%p / %p with %s is %p', (n, d, mode, expected) => {
    expect(divideRounded(n, d, mode)).toBe(expected);
  });

  it('defaults to half-even', () => {
    expect(DEFAULT_ROUNDING).toBe('half_even');
    expect(divideRounded(25n, 10n)).toBe(2n);
    expect(divideRounded(35n, 10n)).toBe(4n);
  });

  it('is exact far beyond 2^53', () => {
    const big = 10n ** 30n + 5n;
    expect(divideRounded(big, 10n, 'half_even')).toBe(10n ** 29n);
    expect(divideRounded(big, 10n, 'half_up')).toBe(10n ** 29n + 1n);
  });

  it('refuses a zero denominator and unknown modes', () => {
    expect(() => divideRounded(1n, 0n, 'floor')).toThrow(InvalidFactorError);
    expect(() => divideRounded(1n, 2n, 'nearest' as RoundingMode)).toThrow(InvalidRoundingModeError);
    expect(() => assertRoundingMode('up')).toThrow(/unknown rounding mode "up"; use one of half_even/);
  });

  it('always lands on a neighbour of the exact quotient, in the direction the mode names', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
        fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).filter((d) => d !== 0n),
        fc.constantFrom(...ROUNDING_MODES),
        (n, d, mode) => {
          const q = divideRounded(n, d, mode);
          const sign = d < 0n ? -1n : 1n;
          const [nn, dd] = [n * sign, d * sign];
          const error = nn - q * dd; // (exact − q)·dd
          expect(error < dd && error > -dd).toBe(true);
          if (mode === 'floor') expect(error >= 0n).toBe(true);
          if (mode === 'ceil') expect(error <= 0n).toBe(true);
          if (mode.startsWith('half')) expect(2n * (error < 0n ? -error : error) <= dd).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('multiplyDivide', () => {
  it('agrees with the BigInt path on safe integers of every size', () => {
    fc.assert(
      fc.property(
        fc.maxSafeInteger().map((n) => n % 10 ** 12),
        fc.integer({ min: -(10 ** 7), max: 10 ** 7 }),
        fc.integer({ min: 1, max: 10 ** 7 }),
        fc.constantFrom(...ROUNDING_MODES),
        (value, multiplier, divisor, mode) => {
          const expected = Number(divideRounded(BigInt(value) * BigInt(multiplier), BigInt(divisor), mode));
          if (Number.isSafeInteger(expected)) {
            expect(multiplyDivide(value, multiplier, divisor, mode, 'test')).toBe(expected);
          } else {
            expect(() => multiplyDivide(value, multiplier, divisor, mode, 'test')).toThrow(OverflowError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('falls back to BigInt when the product is not a safe integer', () => {
    // 9007199254740991 × 3 / 4 = 6755399441055743.25
    expect(multiplyDivide(Number.MAX_SAFE_INTEGER, 3, 4, 'floor', 'test')).toBe(6755399441055743);
    expect(multiplyDivide(Number.MAX_SAFE_INTEGER, -3, 4, 'ceil', 'test')).toBe(-6755399441055743);
  });

  it('never returns negative zero', () => {
    expect(Object.is(multiplyDivide(-1, 1, 3, 'half_even', 'test'), 0)).toBe(true);
    expect(Object.is(multiplyDivide(-3, 1, 3, 'half_even', 'test'), -1)).toBe(true);
    expect(Object.is(multiplyDivide(0, -1, 3, 'ceil', 'test'), 0)).toBe(true);
    expect(Object.is(multiplyDivide(-1, 1, 3, 'ceil', 'test'), 0)).toBe(true);
  });

  it('handles negative divisors', () => {
    expect(multiplyDivide(5, 1, -2, 'half_up', 'test')).toBe(-3);
  });

  it('throws on division by zero and on results beyond the safe range', () => {
    expect(() => multiplyDivide(1, 1, 0, 'floor', 'split')).toThrow(InvalidFactorError);
    expect(() => multiplyDivide(Number.MAX_SAFE_INTEGER, 2, 1, 'floor', 'double it')).toThrow(OverflowError);
    expect(() => multiplyDivide(Number.MAX_SAFE_INTEGER, 2, 1, 'floor', 'double it')).toThrow(
      /^double it: 18014398509481982 overflows the safe integer range/,
    );
  });
});

describe('multiplyDivideBig', () => {
  it('uses the fast path for safe fractions and BigInt for huge ones', () => {
    expect(multiplyDivideBig(1000, 1n, 3n, 'half_even', 'test')).toBe(333);
    expect(multiplyDivideBig(1000, 10n ** 20n, 3n * 10n ** 20n, 'half_even', 'test')).toBe(333);
    expect(() => multiplyDivideBig(1000, 10n ** 20n, 0n, 'half_even', 'test')).toThrow(InvalidFactorError);
    expect(() => multiplyDivideBig(1000, 10n ** 20n, 1n, 'half_even', 'test')).toThrow(OverflowError);
  });
});

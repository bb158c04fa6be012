import {
  addFractions,
  compareFractions,
  divideFractions,
  fraction,
  gcd,
  lcm,
  multiplyFractions,
  overCommonDenominator,
  subtractFractions,
} from './fraction';

describe('fractions', () => {
  it('computes gcd and lcm of signed bigints', () => {
    expect(gcd(12n, 18n)).toBe(6n);
    expect(gcd(-12n, 18n)).toBe(6n);
    expect(gcd(12n, -18n)).toBe(6n);
    expect(gcd(0n, 5n)).toBe(5n);
    expect(lcm(4n, 6n)).toBe(12n);
  });

  it('keeps fractions in lowest terms with a positive denominator', () => {
    expect(fraction(6n, 8n)).toEqual({ numerator: 3n, denominator: 4n });
    expect(fraction(6n, -8n)).toEqual({ numerator: -3n, denominator: 4n });
    expect(fraction(0n, 7n)).toEqual({ numerator: 0n, denominator: 1n });
    expect(fraction(5n)).toEqual({ numerator: 5n, denominator: 1n });
  });

  it('adds, subtracts, multiplies, divides and compares exactly', () => {
    const third = fraction(1n, 3n);
    const half = fraction(1n, 2n);
    expect(addFractions(third, half)).toEqual(fraction(5n, 6n));
    expect(subtractFractions(third, half)).toEqual(fraction(-1n, 6n));
    expect(multiplyFractions(third, half)).toEqual(fraction(1n, 6n));
    expect(divideFractions(third, fraction(-1n, 2n))).toEqual(fraction(-2n, 3n));
    expect(compareFractions(third, half)).toBe(-1);
    expect(compareFractions(half, third)).toBe(1);
    expect(compareFractions(fraction(2n, 4n), half)).toBe(0);
  });

  it('expresses fractions over their least common denominator', () => {
    expect(overCommonDenominator([fraction(1n, 4n), fraction(1n, 6n)])).toEqual({
      numerators: [3n, 2n],
      denominator: 12n,
    });
  });
});

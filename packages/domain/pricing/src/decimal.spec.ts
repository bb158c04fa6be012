import {
  decimalToFraction,
  factorToFraction,
  parseDecimal,
  percentageToFraction,
  sumDecimals,
} from './decimal';
import { InvalidDecimalError, InvalidFactorError } from './errors';

describe('decimal strings', () => {
  it('splits a decimal string without floating point', () => {
    expect(parseDecimal('-12.50', 'x')).toEqual({
      negative: true,
      integerDigits: '12',
      fractionDigits: '50',
    });
    expect(parseDecimal('7', 'x')).toEqual({ negative: false, integerDigits: '7', fractionDigits: '' });
  });

  it.each(['', '1.', '.5', '+1', '1e3', '1,5', ' 1', 'NaN', 'Infinity', '0x10', '--1', '1.2.3'])(
    'refuses %p',
    (value) => {
      expect(() => parseDecimal(value, 'amount')).toThrow(InvalidDecimalError);
    },
  );

  it('refuses non-strings with a message naming the value', () => {
    expect(() => parseDecimal(0.2, 'factor')).toThrow('factor 0.2 is not a decimal number like "19.99"');
  });

  it('turns decimals and percentages into exact fractions', () => {
    expect(decimalToFraction('0.25', 'x')).toEqual({ numerator: 25n, denominator: 100n });
    expect(decimalToFraction('-3', 'x')).toEqual({ numerator: -3n, denominator: 1n });
    expect(percentageToFraction('8.875', 'x')).toEqual({ numerator: 8875n, denominator: 100000n });
  });
});

describe('factorToFraction', () => {
  it('accepts decimal strings, rationals and safe integers', () => {
    expect(factorToFraction('1.5')).toEqual({ numerator: 15n, denominator: 10n });
    expect(factorToFraction({ numerator: 1, denominator: 3 })).toEqual({ numerator: 1n, denominator: 3n });
    expect(factorToFraction({ numerator: 1, denominator: -3 })).toEqual({ numerator: -1n, denominator: 3n });
    expect(factorToFraction(4)).toEqual({ numerator: 4n, denominator: 1n });
  });

  it('refuses floats, zero denominators and other shapes', () => {
    expect(() => factorToFraction(0.2)).toThrow(InvalidFactorError);
    expect(() => factorToFraction(0.2)).toThrow(/pass fractions as a decimal string/);
    expect(() => factorToFraction(Number.NaN)).toThrow(InvalidFactorError);
    expect(() => factorToFraction({ numerator: 1, denominator: 0 })).toThrow(
      'factor 1/0 has a zero denominator',
    );
    expect(() => factorToFraction({ numerator: 0.5, denominator: 2 })).toThrow(InvalidFactorError);
    expect(() => factorToFraction({ numerator: 1, denominator: '2' })).toThrow('factor 1/"2" must have');
    expect(() => factorToFraction(null)).toThrow(InvalidFactorError);
    expect(() => factorToFraction(2n)).toThrow('factor 2n is not a decimal string, a rational or an integer');
  });
});

describe('parsed fraction caches', () => {
  it('keep decimals and percentages apart and still refuse bad strings after a hit', () => {
    expect(percentageToFraction('20', 'x')).toEqual({ numerator: 20n, denominator: 100n });
    expect(decimalToFraction('20', 'x')).toEqual({ numerator: 20n, denominator: 1n });
    expect(() => decimalToFraction('20%', 'x')).toThrow(InvalidDecimalError);
    expect(() => percentageToFraction('20%', 'x')).toThrow(InvalidDecimalError);
    expect(() => decimalToFraction(20, 'rate')).toThrow('rate 20 is not a decimal number like "19.99"');
  });

  it('stay bounded', () => {
    for (let i = 0; i < 1100; i++) expect(decimalToFraction(`${i}.5`, 'x').denominator).toBe(10n);
    expect(decimalToFraction('0.5', 'x')).toEqual({ numerator: 5n, denominator: 10n });
  });
});

describe('sumDecimals', () => {
  it('adds exactly and drops trailing zeros', () => {
    expect(sumDecimals(['4', '4.875'])).toBe('8.875');
    expect(sumDecimals(['0.1', '0.2'])).toBe('0.3');
    expect(sumDecimals(['20.0'])).toBe('20');
    expect(sumDecimals([])).toBe('0');
    expect(sumDecimals(['1.5', '-2'])).toBe('-0.5');
  });

  it('refuses what is not a plain decimal', () => {
    expect(() => sumDecimals(['1e3'])).toThrow();
  });
});

import { CURRENCY_CODES, currencyExponent, getCurrency, isCurrencyCode, parseCurrencyCode } from './currency';
import { PricingError, UnknownCurrencyError } from './errors';

describe('currency table', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['GBP', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['VND', 0],
    ['CLP', 0],
    ['ISK', 0],
    ['KWD', 3],
    ['BHD', 3],
    ['OMR', 3],
    ['JOD', 3],
    ['TND', 3],
    ['CLF', 4],
    ['UYW', 4],
  ])('%s has %i decimals', (code, exponent) => {
    expect(currencyExponent(code)).toBe(exponent);
    expect(getCurrency(code)).toEqual({ code, exponent });
  });

  it('lists every code once, sorted', () => {
    expect(CURRENCY_CODES.length).toBeGreaterThan(150);
    expect([...CURRENCY_CODES].sort()).toEqual(CURRENCY_CODES);
    expect(new Set(CURRENCY_CODES).size).toBe(CURRENCY_CODES.length);
    expect(CURRENCY_CODES.every((code) => /^[A-Z]{3}$/.test(code))).toBe(true);
  });

  it('recognises codes exactly', () => {
    expect(isCurrencyCode('USD')).toBe(true);
    expect(isCurrencyCode('usd')).toBe(false);
    expect(isCurrencyCode('XAU')).toBe(false);
    expect(isCurrencyCode(840)).toBe(false);
  });

  it('parses outside input leniently but never guesses', () => {
    expect(parseCurrencyCode(' usd ')).toBe('USD');
    expect(parseCurrencyCode('jpy')).toBe('JPY');
    expect(() => parseCurrencyCode('dollars')).toThrow(UnknownCurrencyError);
    expect(() => parseCurrencyCode(null)).toThrow(UnknownCurrencyError);
  });

  it('throws a typed error naming the unknown currency', () => {
    const error = captureError(() => getCurrency('XYZ'));
    expect(error).toBeInstanceOf(UnknownCurrencyError);
    expect(error).toBeInstanceOf(PricingError);
    expect(error).toMatchObject({ code: 'UNKNOWN_CURRENCY', name: 'UnknownCurrencyError' });
    expect((error as Error).message).toBe('unknown currency "XYZ": expected an ISO 4217 code such as "USD"');
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

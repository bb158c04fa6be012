import fc from 'fast-check';
import { CURRENCY_CODES, type CurrencyCode } from './currency';
import {
  CurrencyMismatchError,
  InvalidAmountError,
  InvalidDecimalError,
  InvalidFactorError,
  InvalidLocaleError,
  InvalidQuantityError,
  InvalidRoundingModeError,
  OverflowError,
  TooManyDecimalsError,
  UnknownCurrencyError,
} from './errors';
import {
  type Money,
  abs,
  add,
  assertMoney,
  compare,
  divide,
  equals,
  formatMoney,
  greaterThan,
  greaterThanOrEqual,
  isNegative,
  isPositive,
  isZero,
  lessThan,
  lessThanOrEqual,
  max,
  min,
  money,
  moneyFromDecimal,
  multiply,
  multiplyByFactor,
  negate,
  percentageOf,
  subtract,
  sum,
  toDecimalString,
  zero,
} from './money';
import type { RoundingMode } from './rounding';

const usd = (amount: number): Money => money(amount, 'USD');
const MAX = Number.MAX_SAFE_INTEGER;

describe('money()', () => {
  it('builds an amount of minor units in a known currency', () => {
    expect(money(1999, 'USD')).toEqual({ amountMinor: 1999, currency: 'USD' });
    expect(money(-5, 'JPY')).toEqual({ amountMinor: -5, currency: 'JPY' });
    expect(Object.is(money(-0, 'USD').amountMinor, 0)).toBe(true);
  });

  it('accepts bigints and integer strings, as Postgres bigint columns arrive', () => {
    expect(money(1999n, 'USD')).toEqual(usd(1999));
    expect(money('-1999', 'USD')).toEqual(usd(-1999));
    expect(money(String(MAX), 'USD').amountMinor).toBe(MAX);
  });

  it.each<[unknown, RegExp, new (...args: never[]) => Error]>([
    [12.5, /^amount 12.5 is not an integer number of minor units of USD$/, InvalidAmountError],
    [Number.NaN, /^amount NaN is not a finite number of minor units of USD$/, InvalidAmountError],
    [Infinity, /^amount Infinity is not a finite number/, InvalidAmountError],
    [-Infinity, /^amount -Infinity is not a finite number/, InvalidAmountError],
    [MAX + 1, /outside the safe integer range/, OverflowError],
    [2n ** 60n, /^amount 1152921504606846976 of USD is outside the safe integer range/, OverflowError],
    ['19.99', /use moneyFromDecimal/, InvalidAmountError],
    ['1e3', /is not an integer number of minor units/, InvalidAmountError],
    [null, /^amount null is not a number of minor units of USD$/, InvalidAmountError],
  ])('refuses %p', (amount, message, type) => {
    expect(() => money(amount as number, 'USD')).toThrow(type);
    expect(() => money(amount as number, 'USD')).toThrow(message);
  });

  it('refuses unknown currencies', () => {
    expect(() => money(1, 'usd' as CurrencyCode)).toThrow(UnknownCurrencyError);
    expect(() => money(1, 'ABC' as CurrencyCode)).toThrow(UnknownCurrencyError);
  });
});

describe('moneyFromDecimal()', () => {
  it.each<[string, CurrencyCode, number]>([
    ['19.99', 'USD', 1999],
    ['19.9', 'USD', 1990],
    ['19', 'USD', 1900],
    ['0.05', 'USD', 5],
    ['-0.05', 'USD', -5],
    ['-0', 'USD', 0],
    ['007.10', 'EUR', 710],
    ['1000', 'JPY', 1000],
    ['1000.00', 'JPY', 1000],
    ['1.234', 'KWD', 1234],
    ['1.5', 'BHD', 1500],
    ['0.0001', 'CLF', 1],
    ['90071992547409.91', 'USD', MAX],
  ])('%s %s is %i minor units', (value, currency, minor) => {
    expect(moneyFromDecimal(value, currency)).toEqual(money(minor, currency));
  });

  it.each<[string, CurrencyCode]>([
    ['19.999', 'USD'],
    ['0.001', 'EUR'],
    ['5.5', 'JPY'],
    ['1.2345', 'KWD'],
  ])('refuses %s %s: a fraction of a minor unit', (value, currency) => {
    expect(() => moneyFromDecimal(value, currency)).toThrow(TooManyDecimalsError);
  });

  it('explains too many decimals', () => {
    expect(() => moneyFromDecimal('5.5', 'JPY')).toThrow(
      'amount "5.5" has more decimals than JPY allows (0): it is a fraction of a minor unit',
    );
  });

  it('refuses malformed strings, overflow and unknown currencies', () => {
    expect(() => moneyFromDecimal('19,99', 'EUR')).toThrow(InvalidDecimalError);
    expect(() => moneyFromDecimal('', 'EUR')).toThrow(InvalidDecimalError);
    expect(() => moneyFromDecimal(19.99 as unknown as string, 'EUR')).toThrow(InvalidDecimalError);
    expect(() => moneyFromDecimal('90071992547409.92', 'USD')).toThrow(OverflowError);
    expect(() => moneyFromDecimal('1', 'XXX' as CurrencyCode)).toThrow(UnknownCurrencyError);
  });

  it('round-trips with toDecimalString for every amount and exponent', () => {
    fc.assert(
      fc.property(
        fc.maxSafeInteger(),
        fc.constantFrom<CurrencyCode>('USD', 'JPY', 'KWD', 'CLF'),
        (amount, currency) => {
          const value = money(amount, currency);
          expect(moneyFromDecimal(toDecimalString(value), currency)).toEqual(value);
        },
      ),
    );
  });
});

describe('arithmetic', () => {
  it('adds and subtracts in one currency', () => {
    expect(add(usd(1999), usd(1))).toEqual(usd(2000));
    expect(subtract(usd(1999), usd(2000))).toEqual(usd(-1));
    expect(negate(usd(5))).toEqual(usd(-5));
    expect(Object.is(negate(usd(0)).amountMinor, 0)).toBe(true);
    expect(abs(usd(-5))).toEqual(usd(5));
    expect(zero('KWD')).toEqual(money(0, 'KWD'));
  });

  it('throws on mixed currencies, naming both', () => {
    expect(() => add(usd(1), money(1, 'EUR'))).toThrow(CurrencyMismatchError);
    expect(() => add(usd(1), money(1, 'EUR'))).toThrow(
      'currency mismatch in add: USD and EUR cannot be mixed',
    );
    expect(() => subtract(usd(1), money(1, 'EUR'))).toThrow(CurrencyMismatchError);
    expect(() => compare(usd(1), money(1, 'JPY'))).toThrow(CurrencyMismatchError);
  });

  it('throws on overflow instead of losing precision', () => {
    expect(add(usd(MAX - 1), usd(1))).toEqual(usd(MAX));
    expect(() => add(usd(MAX), usd(1))).toThrow(OverflowError);
    expect(() => subtract(usd(-MAX), usd(1))).toThrow(OverflowError);
    expect(() => multiply(usd(MAX), 2)).toThrow(OverflowError);
    expect(() => multiply(usd(2 ** 30), 2 ** 30)).toThrow('1073741824 × 1073741824 overflows');
  });

  it('refuses malformed money passed from outside', () => {
    const bad = { amountMinor: 1.5, currency: 'USD' } as Money;
    expect(() => add(bad, usd(1))).toThrow(InvalidAmountError);
    expect(() => negate({ amountMinor: 1, currency: 'ZZZ' } as unknown as Money)).toThrow(
      UnknownCurrencyError,
    );
    expect(() => isZero(null as unknown as Money)).toThrow('money null is not a Money value');
    expect(() => assertMoney({ amountMinor: 1 }, 'price')).toThrow(
      'price {"amountMinor":1} is not a Money value',
    );
    expect(() => assertMoney({ amount: 1n }, 'price')).toThrow('price [object Object] is not a Money value');
  });

  it('multiplies by integers only', () => {
    expect(multiply(usd(499), 3)).toEqual(usd(1497));
    expect(multiply(usd(499), -1)).toEqual(usd(-499));
    expect(() => multiply(usd(499), 1.5)).toThrow(InvalidQuantityError);
    expect(() => multiply(usd(499), Number.NaN)).toThrow('multiplier NaN is not a finite number');
    expect(() => multiply(usd(499), 2 ** 60)).toThrow(OverflowError);
  });

  it('multiplies by exact factors with the stated rounding', () => {
    expect(multiplyByFactor(usd(1000), '0.2')).toEqual(usd(200));
    expect(multiplyByFactor(usd(1001), '0.5')).toEqual(usd(500)); // 500.5 → half-even
    expect(multiplyByFactor(usd(1003), '0.5')).toEqual(usd(502)); // 501.5 → half-even
    expect(multiplyByFactor(usd(1001), '0.5', 'half_up')).toEqual(usd(501));
    expect(multiplyByFactor(usd(1001), '0.5', 'floor')).toEqual(usd(500));
    expect(multiplyByFactor(usd(1001), '0.5', 'ceil')).toEqual(usd(501));
    expect(multiplyByFactor(usd(-1001), '0.5', 'half_up')).toEqual(usd(-501));
    expect(multiplyByFactor(usd(-1001), '0.5', 'floor')).toEqual(usd(-501));
    expect(multiplyByFactor(usd(100), { numerator: 1, denominator: 3 })).toEqual(usd(33));
    expect(multiplyByFactor(usd(100), { numerator: 2, denominator: 3 })).toEqual(usd(67));
    expect(multiplyByFactor(usd(100), 3)).toEqual(usd(300));
    expect(multiplyByFactor(usd(100), '-1.075')).toEqual(usd(-108)); // -107.5 → half-even
  });

  it('rounds exactly even when amount × numerator exceeds 2^53', () => {
    expect(multiplyByFactor(usd(MAX), '0.5', 'floor')).toEqual(usd(4503599627370495));
    expect(multiplyByFactor(usd(MAX), { numerator: MAX, denominator: MAX })).toEqual(usd(MAX));
    expect(() => multiplyByFactor(usd(MAX), '1.5')).toThrow(OverflowError);
  });

  it('refuses float factors and bad modes', () => {
    expect(() => multiplyByFactor(usd(100), 0.2)).toThrow(InvalidFactorError);
    expect(() => multiplyByFactor(usd(100), '0.2', 'bankers' as RoundingMode)).toThrow(
      InvalidRoundingModeError,
    );
    expect(() => multiplyByFactor(usd(100), { numerator: 1, denominator: 0 })).toThrow(InvalidFactorError);
  });

  it('divides by non-zero integers', () => {
    expect(divide(usd(100), 3)).toEqual(usd(33));
    expect(divide(usd(100), 3, 'ceil')).toEqual(usd(34));
    expect(divide(usd(100), -3)).toEqual(usd(-33));
    expect(() => divide(usd(100), 0)).toThrow('cannot divide 100 USD by zero');
    expect(() => divide(usd(100), 0.5)).toThrow(InvalidQuantityError);
  });

  it('takes percentages exactly', () => {
    expect(percentageOf(usd(29900), '20')).toEqual(usd(5980));
    expect(percentageOf(usd(10000), '8.875')).toEqual(usd(888)); // 887.5 → half-even
    expect(percentageOf(usd(10000), '8.875', 'floor')).toEqual(usd(887));
    expect(() => percentageOf(usd(100), 'twenty')).toThrow(InvalidDecimalError);
    expect(() => percentageOf(usd(100), '20', 'up' as RoundingMode)).toThrow(InvalidRoundingModeError);
  });

  it('never returns a non-integer or unsafe amount', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(10 ** 9), max: 10 ** 9 }),
        fc.integer({ min: -(10 ** 6), max: 10 ** 6 }),
        fc.integer({ min: 1, max: 10 ** 6 }),
        fc.constantFrom<RoundingMode>('half_even', 'half_up', 'half_down', 'floor', 'ceil', 'truncate'),
        (amount, numerator, denominator, mode) => {
          const result = multiplyByFactor(usd(amount), { numerator, denominator }, mode);
          expect(Number.isSafeInteger(result.amountMinor)).toBe(true);
          // |result − amount × numerator / denominator| < 1, checked in integers
          const error = BigInt(result.amountMinor) * BigInt(denominator) - BigInt(amount) * BigInt(numerator);
          expect(error < BigInt(denominator) && -error < BigInt(denominator)).toBe(true);
        },
      ),
    );
  });
});

describe('comparison', () => {
  it('orders amounts of one currency', () => {
    expect(compare(usd(1), usd(2))).toBe(-1);
    expect(compare(usd(2), usd(2))).toBe(0);
    expect(compare(usd(3), usd(2))).toBe(1);
    expect(equals(usd(2), usd(2))).toBe(true);
    expect(lessThan(usd(1), usd(2))).toBe(true);
    expect(lessThanOrEqual(usd(2), usd(2))).toBe(true);
    expect(greaterThan(usd(1), usd(2))).toBe(false);
    expect(greaterThanOrEqual(usd(2), usd(2))).toBe(true);
    expect(min(usd(1), usd(2))).toEqual(usd(1));
    expect(min(usd(2), usd(1))).toEqual(usd(1));
    expect(max(usd(1), usd(2))).toEqual(usd(2));
    expect(max(usd(2), usd(1))).toEqual(usd(2));
    expect(isZero(usd(0))).toBe(true);
    expect(isPositive(usd(1))).toBe(true);
    expect(isNegative(usd(-1))).toBe(true);
    expect(isNegative(usd(0))).toBe(false);
  });

  it('sums lists, empty ones included', () => {
    expect(sum([usd(1), usd(2), usd(3)], 'USD')).toEqual(usd(6));
    expect(sum([], 'JPY')).toEqual(money(0, 'JPY'));
    expect(() => sum([usd(1)], 'EUR')).toThrow(CurrencyMismatchError);
    expect(() => sum([usd(MAX), usd(1)], 'USD')).toThrow(OverflowError);
  });
});

describe('display', () => {
  it.each<[number, CurrencyCode, string]>([
    [1999, 'USD', '19.99'],
    [-5, 'USD', '-0.05'],
    [0, 'USD', '0.00'],
    [1000, 'JPY', '1000'],
    [-1000, 'JPY', '-1000'],
    [1234, 'KWD', '1.234'],
    [1, 'CLF', '0.0001'],
    [MAX, 'USD', '90071992547409.91'],
  ])('toDecimalString(%i %s) is %s', (amount, currency, expected) => {
    expect(toDecimalString(money(amount, currency))).toBe(expected);
  });

  it.each<[number, CurrencyCode, string, string]>([
    [123456, 'USD', 'en-US', '$1,234.56'],
    [-5, 'USD', 'en-US', '-$0.05'],
    [123456, 'EUR', 'de-DE', '1.234,56\u00a0€'],
    [123456, 'EUR', 'fr-FR', '1\u202f234,56\u00a0€'],
    [123456, 'JPY', 'ja-JP', '￥123,456'],
    [1234, 'KWD', 'en-US', 'KWD\u00a01.234'],
    [MAX, 'USD', 'en-US', '$90,071,992,547,409.91'],
  ])('formatMoney(%i %s, %s) is %s', (amount, currency, locale, expected) => {
    expect(formatMoney(money(amount, currency), locale)).toBe(expected);
  });

  it('shows the currency as asked and defaults to en-US', () => {
    expect(formatMoney(usd(1999), 'en-US', { currencyDisplay: 'code' })).toBe('USD\u00a019.99');
    expect(formatMoney(usd(1999), 'en-US', { currencyDisplay: 'name' })).toBe('19.99 US dollars');
    expect(formatMoney(usd(1999))).toBe('$19.99');
  });

  it('keeps formatting right when its bounded formatter cache is recycled', () => {
    for (const currency of CURRENCY_CODES) {
      for (const currencyDisplay of ['code', 'name'] as const) {
        expect(formatMoney(money(100, currency), 'en-US', { currencyDisplay })).toContain('1');
      }
    }
    expect(formatMoney(usd(1999), 'en-US')).toBe('$19.99');
  });

  it('refuses an invalid locale with a typed error', () => {
    expect(() => formatMoney(usd(1), 'not a locale!')).toThrow(InvalidLocaleError);
  });
});

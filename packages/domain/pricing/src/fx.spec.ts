import fc from 'fast-check';
import type { CurrencyCode } from './currency';
import {
  CurrencyMismatchError,
  InvalidDateError,
  InvalidDecimalError,
  InvalidExchangeRateError,
  InvalidRoundingModeError,
  OverflowError,
  UnknownCurrencyError,
} from './errors';
import { type ExchangeRateSnapshot, convert, crossRate, realisedFx } from './fx';
import { money } from './money';
import type { RoundingMode } from './rounding';

const asOf = new Date('2026-11-21T16:00:00Z');
const rate = (from: CurrencyCode, to: CurrencyCode, value: string): ExchangeRateSnapshot => ({
  from,
  to,
  rate: value,
  source: 'ecb',
  asOf,
});

describe('convert', () => {
  it('converts between currencies of different exponents, exactly', () => {
    expect(convert(money(10000, 'USD'), rate('USD', 'JPY', '151.37')).amount).toEqual(money(15137, 'JPY'));
    expect(convert(money(15137, 'JPY'), rate('JPY', 'USD', '0.0066063')).amount).toEqual(money(10000, 'USD'));
    expect(convert(money(10000, 'USD'), rate('USD', 'KWD', '0.30712')).amount).toEqual(money(30712, 'KWD'));
    expect(convert(money(1999, 'EUR'), rate('EUR', 'USD', '1.0850')).amount).toEqual(money(2169, 'USD')); // 2168.915
  });

  it('carries the rate snapshot and the rounding into the result', () => {
    const result = convert(money(1999, 'EUR'), rate('EUR', 'USD', '1.0850'), 'floor');
    expect(result).toEqual({
      original: money(1999, 'EUR'),
      amount: money(2168, 'USD'),
      rateSnapshot: { from: 'EUR', to: 'USD', rate: '1.0850', source: 'ecb', asOf },
      rounding: 'floor',
    });
    expect(result.rateSnapshot.asOf).not.toBe(asOf); // a copy: later changes to the input do not leak in
  });

  it('rounds half-even by default', () => {
    expect(convert(money(5, 'USD'), rate('USD', 'EUR', '0.5')).amount).toEqual(money(2, 'EUR'));
    expect(convert(money(5, 'USD'), rate('USD', 'EUR', '0.5'), 'half_up').amount).toEqual(money(3, 'EUR'));
  });

  it('refuses bad input', () => {
    const usd = money(100, 'USD');
    expect(() => convert(usd, rate('EUR', 'USD', '1.08'))).toThrow(CurrencyMismatchError);
    expect(() => convert(usd, rate('USD', 'EUR', '0'))).toThrow('exchange rate 0 must be positive');
    expect(() => convert(usd, rate('USD', 'EUR', '-1'))).toThrow(InvalidExchangeRateError);
    expect(() => convert(usd, rate('USD', 'EUR', '1,08'))).toThrow(InvalidDecimalError);
    expect(() => convert(usd, { ...rate('USD', 'EUR', '0.9'), source: '' })).toThrow(
      'an exchange rate snapshot needs its source',
    );
    expect(() => convert(usd, { ...rate('USD', 'EUR', '0.9'), asOf: new Date('x') })).toThrow(
      InvalidDateError,
    );
    expect(() => convert(usd, rate('USD', 'XXX' as CurrencyCode, '0.9'))).toThrow(UnknownCurrencyError);
    expect(() => convert(usd, null as unknown as ExchangeRateSnapshot)).toThrow(InvalidExchangeRateError);
    expect(() => convert(usd, rate('USD', 'EUR', '0.9'), 'x' as RoundingMode)).toThrow(
      InvalidRoundingModeError,
    );
    expect(() => convert(money(Number.MAX_SAFE_INTEGER, 'USD'), rate('USD', 'VND', '25000'))).toThrow(
      OverflowError,
    );
  });

  it('is within half a minor unit of the exact conversion and never returns a fraction', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(10 ** 9), max: 10 ** 9 }),
        fc.integer({ min: 1, max: 10 ** 8 }),
        fc.constantFrom<[CurrencyCode, CurrencyCode]>(
          ['USD', 'JPY'],
          ['JPY', 'USD'],
          ['USD', 'KWD'],
          ['KWD', 'JPY'],
          ['EUR', 'USD'],
        ),
        (amount, rateTimes1e4, [from, to]) => {
          const rateString = `${Math.floor(rateTimes1e4 / 10000)}.${String(rateTimes1e4 % 10000).padStart(4, '0')}`;
          const { amount: converted } = convert(money(amount, from), rate(from, to, rateString));
          expect(Number.isSafeInteger(converted.amountMinor)).toBe(true);
          // exact = amount × rate × 10^(to − from); compare 2·|converted − exact| ≤ 1 over a common scale
          const shift =
            ({ USD: 2, EUR: 2, JPY: 0, KWD: 3 } as Record<string, number>)[to] -
            ({ USD: 2, EUR: 2, JPY: 0, KWD: 3 } as Record<string, number>)[from];
          const scale = 10000n * 10n ** BigInt(Math.max(-shift, 0));
          const exactScaled = BigInt(amount) * BigInt(rateTimes1e4) * 10n ** BigInt(Math.max(shift, 0));
          const error = BigInt(converted.amountMinor) * scale - exactScaled;
          expect(2n * (error < 0n ? -error : error) <= scale).toBe(true);
        },
      ),
    );
  });
});

describe('crossRate', () => {
  it('derives a pair from two rates of a common base, rounded to 10 places', () => {
    // ECB: 1 EUR = 1.0832 USD, 1 EUR = 162.45 JPY → 1 USD = 149.9723042836 JPY.
    expect(crossRate('1.0832', '162.45')).toBe('149.9723042836');
    // 1 EUR = 1.0832 USD → 1 USD = 0.9231905465 EUR (base to itself is 1).
    expect(crossRate('1.0832', '1')).toBe('0.9231905465');
    expect(crossRate('2', '3')).toBe('1.5');
    expect(crossRate('3', '1', 4)).toBe('0.3333');
  });

  it('refuses rates that are not positive decimals', () => {
    expect(() => crossRate('0', '1')).toThrow('must be positive');
    expect(() => crossRate('1.2', 'abc')).toThrow();
  });
});

describe('realisedFx', () => {
  it('a EUR charge booked at 1.08 and settled at 1.085: a gain of exactly the difference', () => {
    const result = realisedFx(money(10_000, 'EUR'), rate('EUR', 'USD', '1.08'), money(10_850, 'USD'));
    expect(result.booked).toEqual(money(10_800, 'USD'));
    expect(result.difference).toEqual(money(50, 'USD'));
  });

  it('settled at a worse rate: a loss (negative difference); rounding once, half-even by default', () => {
    // €33.33 × 1.0850 = $36.163... → $36.16 booked; settled $35.99 → −0.17
    const result = realisedFx(money(3_333, 'EUR'), rate('EUR', 'USD', '1.0850'), money(3_599, 'USD'));
    expect(result.booked).toEqual(money(3_616, 'USD'));
    expect(result.difference).toEqual(money(-17, 'USD'));
  });

  it('money out (a refund): booked and settled negative; paying out less than booked is a gain', () => {
    const result = realisedFx(money(-5_000, 'EUR'), rate('EUR', 'USD', '1.1'), money(-5_400, 'USD'));
    expect(result.booked).toEqual(money(-5_500, 'USD'));
    expect(result.difference).toEqual(money(100, 'USD'));
  });

  it('refuses a settled amount in another currency than the rate converts to', () => {
    expect(() => realisedFx(money(100, 'EUR'), rate('EUR', 'USD', '1.1'), money(110, 'GBP'))).toThrow(
      CurrencyMismatchError,
    );
  });

  it('property: booked + difference = settled, always', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: -1e9, max: 1e9 }), (eur, usd) => {
        const result = realisedFx(money(eur, 'EUR'), rate('EUR', 'USD', '1.0873'), money(usd, 'USD'));
        expect(result.booked.amountMinor + result.difference.amountMinor).toBe(usd);
      }),
    );
  });
});

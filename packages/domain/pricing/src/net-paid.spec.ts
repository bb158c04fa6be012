import fc from 'fast-check';
import { CurrencyMismatchError, InvalidAmountError } from './errors';
import { type Money, money } from './money';
import { netOfReturned } from './net-paid';

const usd = (amount: number): Money => money(amount, 'USD');

describe('netOfReturned', () => {
  it('keeps the amount when nothing was returned', () => {
    expect(netOfReturned(usd(2450), usd(4900), usd(0))).toEqual(usd(2450));
  });

  it('scales by the share still paid: half refunded leaves half the unused time', () => {
    expect(netOfReturned(usd(2450), usd(4900), usd(2450))).toEqual(usd(1225));
    expect(netOfReturned(usd(2450), usd(4900), usd(1000))).toEqual(usd(1950));
  });

  it('rounds toward zero, so no credit exceeds what stayed paid', () => {
    // 1000 × 2 / 3 = 666.67 → 666; −1000 × 2 / 3 → −666.
    expect(netOfReturned(usd(1000), usd(3), usd(1))).toEqual(usd(666));
    expect(netOfReturned(usd(-1000), usd(3), usd(1))).toEqual(usd(-666));
  });

  it('is zero once everything (or more) was returned', () => {
    expect(netOfReturned(usd(2450), usd(4900), usd(4900))).toEqual(usd(0));
    expect(netOfReturned(usd(2450), usd(4900), usd(9800))).toEqual(usd(0));
    expect(netOfReturned(usd(-2450), usd(4900), usd(4900))).toEqual(usd(0));
  });

  it('keeps the amount of an invoice that asked for nothing', () => {
    expect(netOfReturned(usd(-1500), usd(-3000), usd(0))).toEqual(usd(-1500));
    expect(netOfReturned(usd(0), usd(0), usd(0))).toEqual(usd(0));
  });

  it('works in zero- and three-decimal currencies', () => {
    expect(netOfReturned(money(5000, 'JPY'), money(10000, 'JPY'), money(2500, 'JPY'))).toEqual(
      money(3750, 'JPY'),
    );
    expect(netOfReturned(money(1001, 'KWD'), money(2000, 'KWD'), money(1000, 'KWD'))).toEqual(
      money(500, 'KWD'),
    );
  });

  it('refuses a negative returned amount, other currencies and non-money', () => {
    expect(() => netOfReturned(usd(100), usd(100), usd(-1))).toThrow(InvalidAmountError);
    expect(() => netOfReturned(usd(100), money(100, 'EUR'), usd(0))).toThrow(CurrencyMismatchError);
    expect(() => netOfReturned(usd(100), usd(100), money(0, 'EUR'))).toThrow(CurrencyMismatchError);
    expect(() => netOfReturned({ amountMinor: 1.5, currency: 'USD' } as Money, usd(1), usd(0))).toThrow(
      InvalidAmountError,
    );
  });

  it('never exceeds the amount nor goes past zero, whatever was returned', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        (amount, paid, returned) => {
          const net = netOfReturned(usd(amount), usd(paid), usd(returned)).amountMinor;
          expect(Math.abs(net)).toBeLessThanOrEqual(Math.abs(amount));
          expect(Math.sign(net) === 0 || Math.sign(net) === Math.sign(amount)).toBe(true);
          // Never more than the exact share still paid.
          expect(Math.abs(net) * paid).toBeLessThanOrEqual(Math.abs(amount) * Math.max(0, paid - returned));
        },
      ),
    );
  });
});

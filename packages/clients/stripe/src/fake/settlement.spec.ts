import { convertStripeAmount, settle } from './settlement';

describe('fake Stripe settlement conversion', () => {
  it('converts exactly and rounds half away from zero once, in Stripe units', () => {
    // €100.00 at 1.0850 → $108.50
    expect(convertStripeAmount(10_000, 'eur', 'usd', '1.0850')).toBe(10_850);
    // €0.01 at 1.05 → 1.05 cents → 1; €0.10 at 1.05 → 10.5 → 11; a refund rounds the same way, negative
    expect(convertStripeAmount(1, 'eur', 'usd', '1.05')).toBe(1);
    expect(convertStripeAmount(10, 'eur', 'usd', '1.05')).toBe(11);
    expect(convertStripeAmount(-10, 'eur', 'usd', '1.05')).toBe(-11);
    // zero-decimal presentment: ¥1,000 at 0.0066 → $6.60
    expect(convertStripeAmount(1_000, 'jpy', 'usd', '0.0066')).toBe(660);
    // into a zero-decimal settlement: $12.34 at 151.37 → ¥1,867.9058 → ¥1,868
    expect(convertStripeAmount(1_234, 'usd', 'jpy', '151.37')).toBe(1_868);
  });

  it('keeps a movement as it is without a settlement currency or in it; refuses a currency without a rate', () => {
    expect(settle(500, 'EUR', null, {})).toEqual({ amount: 500, currency: 'eur', exchangeRate: null });
    expect(settle(500, 'usd', 'usd', {})).toEqual({ amount: 500, currency: 'usd', exchangeRate: null });
    expect(settle(10_000, 'eur', 'usd', { eur: '1.085' })).toEqual({
      amount: 10_850,
      currency: 'usd',
      exchangeRate: 1.085,
    });
    expect(() => settle(100, 'gbp', 'usd', { eur: '1.085' })).toThrow(/no exchange rate for gbp/);
    expect(() => settle(100, 'eur', 'usd', { eur: '-1' })).toThrow(/not a positive decimal/);
  });
});

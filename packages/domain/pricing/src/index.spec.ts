import * as pricing from './index';

describe('public API', () => {
  it('exports every function the billing and payout code calls from one index', () => {
    const functions = [
      'money',
      'moneyFromDecimal',
      'zero',
      'add',
      'subtract',
      'negate',
      'abs',
      'multiply',
      'multiplyByFactor',
      'divide',
      'percentageOf',
      'compare',
      'equals',
      'lessThan',
      'lessThanOrEqual',
      'greaterThan',
      'greaterThanOrEqual',
      'isZero',
      'isPositive',
      'isNegative',
      'min',
      'max',
      'sum',
      'toDecimalString',
      'formatMoney',
      'assertMoney',
      'getCurrency',
      'isCurrencyCode',
      'parseCurrencyCode',
      'currencyExponent',
      'divideRounded',
      'allocate',
      'priceLine',
      'pricePercentageOf',
      'assertPrice',
      'applyCoupon',
      'assertCoupon',
      'addBillingIntervals',
      'billingPeriodFor',
      'trialEndFor',
      'subscriptionPeriodAt',
      'prorate',
      'prorateChange',
      'netOfReturned',
      'computeInvoiceTotals',
      'convert',
      'computePayoutSplit',
      'refundCap',
      'refundableAmount',
      'creditableAmount',
    ];
    for (const name of functions)
      expect([name, typeof (pricing as Record<string, unknown>)[name]]).toEqual([name, 'function']);
  });

  it('exports the typed errors with stable codes', () => {
    const errors: [new (...args: never[]) => pricing.PricingError, string][] = [
      [pricing.InvalidAmountError, 'INVALID_AMOUNT'],
      [pricing.OverflowError, 'OVERFLOW'],
      [pricing.InvalidFactorError, 'INVALID_FACTOR'],
      [pricing.InvalidPriceError, 'INVALID_PRICE'],
    ];
    for (const [ErrorClass, code] of errors) {
      const error = new (ErrorClass as unknown as new (message: string) => pricing.PricingError)('boom');
      expect(error).toBeInstanceOf(pricing.PricingError);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe(code);
    }
    expect(pricing.ROUNDING_MODES).toContain(pricing.DEFAULT_ROUNDING);
    expect(pricing.CURRENCY_CODES).toContain('KWD');
  });
});

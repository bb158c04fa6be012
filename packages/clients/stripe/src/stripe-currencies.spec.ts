import {
  StripeAmountRefused,
  fromStripeAmount,
  stripeAmountProblem,
  stripeCurrencyRule,
  toStripeAmount,
} from './stripe-currencies';

function refusal(convert: () => number): string {
  try {
    convert();
  } catch (error) {
    if (error instanceof StripeAmountRefused) return `${error.problem}: ${error.message}`;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe("Stripe's currency units", () => {
  it('ordinary two-decimal currencies pass unchanged (USD, EUR)', () => {
    expect(toStripeAmount(1_999, 'USD')).toBe(1_999);
    expect(fromStripeAmount(1_999, 'eur')).toBe(1_999);
  });

  it('zero-decimal in both (JPY, KRW, UGX payments): unchanged', () => {
    expect(toStripeAmount(500, 'JPY')).toBe(500);
    expect(toStripeAmount(5_000, 'UGX')).toBe(5_000);
    expect(fromStripeAmount(5_000, 'krw')).toBe(5_000);
  });

  it('MGA: two decimals in ISO 4217, zero-decimal at Stripe', () => {
    expect(toStripeAmount(50_000, 'MGA')).toBe(500);
    expect(fromStripeAmount(500, 'mga')).toBe(50_000);
    expect(refusal(() => toStripeAmount(50_050, 'MGA'))).toBe(
      'not_representable: MGA 500.50 cannot be charged through Stripe: MGA is zero-decimal at Stripe (whole units only)',
    );
  });

  it('ISK: zero-decimal in ISO 4217, two-decimal at Stripe with 00 decimals', () => {
    expect(toStripeAmount(5, 'ISK')).toBe(500);
    expect(fromStripeAmount(500, 'isk')).toBe(5);
    expect(refusal(() => fromStripeAmount(4_010, 'isk'))).toBe(
      'not_representable: Stripe amount ISK 40.10 has a fraction ISO 4217 ISK does not have',
    );
  });

  it('HUF and TWD: two-decimal payments, payouts in whole units only', () => {
    expect(toStripeAmount(10_045, 'HUF')).toBe(10_045);
    expect(toStripeAmount(1_000, 'HUF', 'payout')).toBe(1_000);
    expect(refusal(() => toStripeAmount(1_045, 'HUF', 'payout'))).toBe(
      'not_representable: HUF 10.45 cannot be paid out through Stripe: Stripe pays HUF out in whole units only (divisible by 100)',
    );
    expect(refusal(() => toStripeAmount(1_001, 'TWD', 'payout'))).toContain(
      'Stripe pays TWD out in whole units only',
    );
    expect(fromStripeAmount(1_000, 'twd', 'payout')).toBe(1_000);
  });

  it('UGX: payouts in the two-decimal form of whole shillings', () => {
    expect(toStripeAmount(5, 'UGX', 'payout')).toBe(500);
    expect(fromStripeAmount(500, 'ugx', 'payout')).toBe(5);
  });

  it('three-decimal currencies (BHD, JOD, KWD, OMR, TND): the last digit must be 0', () => {
    for (const code of ['BHD', 'JOD', 'KWD', 'OMR', 'TND']) {
      expect(toStripeAmount(5_120, code)).toBe(5_120);
      expect(refusal(() => toStripeAmount(5_124, code))).toBe(
        `not_representable: ${code} 5.124 cannot be charged through Stripe: Stripe requires the last digit of a ${code} amount to be 0`,
      );
    }
  });

  it('refuses currencies Stripe does not support and amounts that are not integers', () => {
    expect(refusal(() => toStripeAmount(100, 'XXX'))).toBe(
      'unsupported_currency: Stripe does not support the currency XXX',
    );
    expect(refusal(() => toStripeAmount(1.5, 'USD'))).toBe(
      'not_an_integer: amount 1.5 is not a safe integer',
    );
    expect(stripeCurrencyRule('CLF')).toBeNull();
  });

  it("the fake's check gives Stripe's error codes", () => {
    expect(stripeAmountProblem(150, 'isk')?.code).toBe('invalid_charge_amount_no_decimal_compatible');
    expect(stripeAmountProblem(5_124, 'kwd')?.code).toBe('amount_too_precise');
    expect(stripeAmountProblem(1_045, 'huf', 'payout')?.code).toBe(
      'invalid_charge_amount_no_decimal_compatible',
    );
    expect(stripeAmountProblem(1_045, 'huf')).toBeNull();
    expect(stripeAmountProblem(1, 'xts')?.code).toBe('invalid_currency');
  });
});

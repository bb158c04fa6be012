import type { TaxBreakdownEntry } from '@astrix/stripe-client';
import { UnusableTaxAnswerError, decisionFromStripeTax } from './stripe-tax-decision';

const entry = (overrides: Partial<TaxBreakdownEntry>): TaxBreakdownEntry => ({
  amountMinor: 0,
  taxableAmountMinor: 0,
  inclusive: true,
  taxability: 'standard_rated',
  processorTaxability: overrides.taxability ?? 'standard_rated',
  country: 'GB',
  state: null,
  percentage: '20',
  taxType: 'vat',
  ...overrides,
});
const uk = { country: 'GB', region: null, vatId: null };

describe('decisionFromStripeTax', () => {
  it('standard rated: the rate Stripe gives, inclusive as priced, with a stable id', () => {
    expect(decisionFromStripeTax([entry({})], uk, true)).toEqual({
      treatment: 'standard',
      country: 'GB',
      region: null,
      customerVatId: null,
      note: null,
      rate: { id: 'stripe_tax:GB:20:incl', name: 'Stripe Tax GB 20%', percentage: '20', inclusive: true },
    });
  });

  it('state and local sales tax add up, exclusive', () => {
    const decision = decisionFromStripeTax(
      [
        entry({ country: 'US', state: 'NY', percentage: '4' }),
        entry({ country: 'US', state: 'NY', percentage: '4.875' }),
      ],
      { country: 'US', region: 'NY', vatId: null },
      false,
    );
    expect(decision.rate).toMatchObject({
      id: 'stripe_tax:US-NY:8.875:excl',
      percentage: '8.875',
      inclusive: false,
    });
  });

  it('reverse charge and not collecting charge nothing; exempt is a 0 % standard rate', () => {
    const de = { country: 'DE', region: null, vatId: 'DE123456789' };
    expect(
      decisionFromStripeTax([entry({ taxability: 'reverse_charge', percentage: '0' })], de, true),
    ).toMatchObject({
      treatment: 'reverse_charge',
      rate: null,
      customerVatId: 'DE123456789',
      note: expect.stringContaining('Reverse charge'),
    });
    expect(
      decisionFromStripeTax([entry({ taxability: 'not_collecting', percentage: '0' })], uk, true),
    ).toMatchObject({
      treatment: 'not_registered',
      rate: null,
    });
    expect(
      decisionFromStripeTax([entry({ taxability: 'customer_exempt', percentage: '0' })], uk, true).rate
        ?.percentage,
    ).toBe('0');
  });

  it('refuses an answer it cannot read rather than taxing zero', () => {
    expect(() => decisionFromStripeTax([], uk, true)).toThrow(UnusableTaxAnswerError);
    expect(() =>
      decisionFromStripeTax(
        [entry({ taxability: 'other', processorTaxability: 'portion_standard_rated' })],
        uk,
        true,
      ),
    ).toThrow(/portion_standard_rated/);
  });
});

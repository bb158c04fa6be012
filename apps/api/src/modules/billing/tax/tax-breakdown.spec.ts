import type { PriceBreakdown } from '@astrix/contracts';
import { taxBreakdown } from './tax-breakdown';
import type { TaxDecision } from './tax-decision';

const usd = (amount: number) => ({ amount, currency: 'USD' });
const breakdown: PriceBreakdown = {
  subtotal: usd(29_900),
  discount: usd(5_980),
  tax: usd(0),
  total: usd(23_920),
  couponCode: 'WELCOME20',
  lines: [{ description: 'Evaluation', amount: usd(29_900), discount: usd(5_980) }],
};
const decision = (percentage: string, inclusive: boolean): TaxDecision => ({
  treatment: 'standard',
  country: 'GB',
  region: null,
  rate: { id: 'txr_x', name: 'VAT', percentage, inclusive },
  customerVatId: null,
  note: null,
});

describe('a checkout breakdown taxed', () => {
  it('inclusive: the total stays as quoted, the tax is inside it', () => {
    const taxed = taxBreakdown(breakdown, decision('20', true));
    expect(taxed).toMatchObject({ tax: usd(3_987), total: usd(23_920) });
    expect(taxed.taxDetails).toMatchObject({ rateId: 'txr_x', percentage: '20', inclusive: true });
  });

  it('exclusive: the tax is added to the total charged', () => {
    const taxed = taxBreakdown(breakdown, decision('8.875', false));
    expect(taxed).toMatchObject({ tax: usd(2_123), total: usd(23_920 + 2_123) });
  });

  it('no tax: the breakdown keeps its amounts and says why', () => {
    const taxed = taxBreakdown(breakdown, {
      ...decision('0', true),
      treatment: 'not_registered',
      rate: null,
    });
    expect(taxed).toMatchObject({
      tax: usd(0),
      total: usd(23_920),
      taxDetails: { treatment: 'not_registered' },
    });
  });
});

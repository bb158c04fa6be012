import { SELLER_TAX_SETUP } from './seller-registrations';
import { type JurisdictionRate, TaxConfigurationError, decideTax, rateInForce } from './tax-decision';
import { taxDraft } from './tax-lines';

const at = new Date('2026-03-01T00:00:00Z');
const rates: JurisdictionRate[] = [
  {
    id: 'txr_gb',
    country: 'GB',
    region: null,
    name: 'UK VAT',
    percentage: '20',
    inclusive: true,
    validFrom: new Date('2020-01-01Z'),
    validTo: null,
  },
  {
    id: 'txr_de_old',
    country: 'DE',
    region: null,
    name: 'DE USt',
    percentage: '16',
    inclusive: true,
    validFrom: new Date('2020-07-01Z'),
    validTo: new Date('2021-01-01Z'),
  },
  {
    id: 'txr_de',
    country: 'DE',
    region: null,
    name: 'DE USt',
    percentage: '19',
    inclusive: true,
    validFrom: new Date('2021-01-01Z'),
    validTo: null,
  },
  {
    id: 'txr_fr',
    country: 'FR',
    region: null,
    name: 'FR TVA',
    percentage: '20',
    inclusive: true,
    validFrom: new Date('2020-01-01Z'),
    validTo: null,
  },
];

function draft(lines: Array<{ amount: number; discount: number }>, creditApplied = 0) {
  const subtotal = lines.reduce((sum, line) => sum + line.amount, 0);
  const discount = lines.reduce((sum, line) => sum + line.discount, 0);
  const total = subtotal - discount;
  return {
    currency: 'EUR',
    lines,
    subtotal,
    discount,
    total,
    creditApplied,
    amountDue: total - creditApplied,
    creditToBalance: 0,
  };
}

describe('tax decision', () => {
  it('an EU business with a valid VAT id: reverse charge, zero tax, the legend on the document', () => {
    const decision = decideTax(
      { country: 'DE', region: null, vatId: 'DE123456789' },
      SELLER_TAX_SETUP,
      rates,
      at,
    );
    expect(decision).toMatchObject({
      treatment: 'reverse_charge',
      country: 'DE',
      rate: null,
      customerVatId: 'DE123456789',
    });
    expect(decision.note).toContain('Reverse charge');
    const taxed = taxDraft(draft([{ amount: 10_000, discount: 0 }]), decision);
    expect(taxed).toMatchObject({ tax: 0, total: 10_000 });
    expect(taxed.lines[0]).toMatchObject({ tax: 0, taxRateId: null });
  });

  it('a UK consumer: 20% VAT inclusive, the total unchanged and a sixth of it tax', () => {
    const decision = decideTax({ country: 'GB', region: null, vatId: null }, SELLER_TAX_SETUP, rates, at);
    expect(decision).toMatchObject({
      treatment: 'standard',
      rate: { id: 'txr_gb', percentage: '20', inclusive: true },
    });
    const taxed = taxDraft({ ...draft([{ amount: 12_000, discount: 0 }]), currency: 'GBP' }, decision);
    expect(taxed).toMatchObject({ subtotal: 12_000, tax: 2_000, total: 12_000, amountDue: 12_000 });
    expect(taxed.lines[0]).toMatchObject({ tax: 2_000, taxInclusive: true, taxPercentage: '20' });
  });

  it('a UK business is taxed like a consumer: the seller is established in the UK (no domestic reverse charge)', () => {
    const decision = decideTax(
      { country: 'GB', region: null, vatId: 'GB123456789' },
      SELLER_TAX_SETUP,
      rates,
      at,
    );
    expect(decision.treatment).toBe('standard');
  });

  it('an EU consumer pays the rate of their country in force on the day (OSS)', () => {
    expect(
      decideTax({ country: 'DE', region: null, vatId: null }, SELLER_TAX_SETUP, rates, at).rate?.percentage,
    ).toBe('19');
    expect(
      decideTax(
        { country: 'DE', region: null, vatId: null },
        SELLER_TAX_SETUP,
        rates,
        new Date('2020-10-01Z'),
      ).rate?.percentage,
    ).toBe('16');
  });

  it('an EU VAT id in the wrong format is no business: taxed as a consumer', () => {
    const decision = decideTax({ country: 'FR', region: null, vatId: 'FR123' }, SELLER_TAX_SETUP, rates, at);
    expect(decision).toMatchObject({ treatment: 'standard', customerVatId: null });
  });

  it('no country, or a country the seller is not registered in: no tax', () => {
    expect(decideTax(null, SELLER_TAX_SETUP, rates, at).treatment).toBe('no_tax_details');
    expect(
      decideTax({ country: 'US', region: 'NY', vatId: null }, SELLER_TAX_SETUP, rates, at).treatment,
    ).toBe('not_registered');
  });

  it('a registered jurisdiction without a rate in force is a configuration error, never a silent zero', () => {
    expect(() =>
      decideTax({ country: 'IT', region: null, vatId: null }, SELLER_TAX_SETUP, rates, at),
    ).toThrow(TaxConfigurationError);
  });

  it('a region has its own rate before the country-wide one', () => {
    const us = [
      { ...rates[0], id: 'txr_us', country: 'US', region: null, percentage: '0', inclusive: false },
      { ...rates[0], id: 'txr_ny', country: 'US', region: 'NY', percentage: '8.875', inclusive: false },
    ];
    expect(rateInForce(us, 'US', 'NY', at)?.id).toBe('txr_ny');
    expect(rateInForce(us, 'US', 'CA', at)?.id).toBe('txr_us');
  });

  it('exclusive tax is added on top, per line, and negative (credit) lines carry negative tax', () => {
    const decision = {
      treatment: 'standard' as const,
      country: 'US',
      region: 'NY',
      rate: { id: 'txr_ny', name: 'NY sales tax', percentage: '8.875', inclusive: false },
      customerVatId: null,
      note: null,
    };
    const taxed = taxDraft(
      draft([
        { amount: 10_000, discount: 1_000 },
        { amount: -2_000, discount: 0 },
      ]),
      decision,
    );
    expect(taxed.lines.map((line) => line.tax)).toEqual([799, -178]);
    expect(taxed).toMatchObject({ tax: 621, total: 7_000 + 621, amountDue: 7_621 });
  });
});

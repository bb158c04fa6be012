import { InvalidRequestError, ProcessorUnavailableError } from '../port/errors';
import { lineTax } from '../fake/tax-calculations';
import { type Harness, startHarness } from '../testing/harness';

// Stripe Tax through the adapter: the official SDK against the fake's POST /v1/tax/calculations,
// which computes from the account's registrations in Stripe's shape and Stripe's units.

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});
beforeEach(() => {
  harness.fake.controls.updateTaxSettings({
    headOffice: 'GB',
    registrations: [
      { country: 'GB', percentage: '20', taxType: 'vat' },
      { country: 'DE', percentage: '19', taxType: 'vat' },
      { country: 'US', state: 'NY', percentage: '8.875', taxType: 'sales_tax' },
    ],
  });
});
afterEach(() => harness.reset());
afterAll(() => harness.close());

describe('calculateTax', () => {
  it('a UK consumer, VAT inclusive: £120.00 holds £20.00 at 20 %, standard rated', async () => {
    const calculation = await harness.processor.calculateTax({
      currency: 'GBP',
      customer: { country: 'GB', postalCode: 'EC3M 3BY' },
      lines: [{ reference: 'plan', amountMinor: 12_000, taxBehavior: 'inclusive' }],
    });
    expect(calculation).toMatchObject({
      id: expect.stringMatching(/^taxcalc_/),
      currency: 'GBP',
      amountTotalMinor: 12_000,
      taxExclusiveMinor: 0,
      taxInclusiveMinor: 2_000,
      lines: [{ reference: 'plan', amountMinor: 12_000, taxMinor: 2_000, taxBehavior: 'inclusive' }],
    });
    expect(calculation.breakdown).toEqual([
      {
        amountMinor: 2_000,
        taxableAmountMinor: 10_000,
        inclusive: true,
        taxability: 'standard_rated',
        processorTaxability: 'standard_rated',
        country: 'GB',
        state: null,
        percentage: '20',
        taxType: 'vat',
      },
    ]);
  });

  it('US sales tax exclusive by state, per line, rounded half up', async () => {
    const calculation = await harness.processor.calculateTax({
      currency: 'USD',
      customer: { country: 'US', state: 'NY', postalCode: '10001' },
      lines: [
        { reference: 'a', amountMinor: 9_999, taxBehavior: 'exclusive' },
        { reference: 'b', amountMinor: 100, taxBehavior: 'exclusive' },
      ],
    });
    // 99.99 × 8.875 % = 8.8741… → 887; 1.00 × 8.875 % = 0.08875 → 9
    expect(calculation.lines.map((line) => line.taxMinor)).toEqual([887, 9]);
    expect(calculation).toMatchObject({ taxExclusiveMinor: 896, amountTotalMinor: 9_999 + 100 + 896 });
    expect(calculation.breakdown[0]).toMatchObject({
      state: 'NY',
      percentage: '8.875',
      taxType: 'sales_tax',
    });
  });

  it('an EU business with a VAT id is reverse-charged; a country without registration is not collected', async () => {
    const reverse = await harness.processor.calculateTax({
      currency: 'EUR',
      customer: { country: 'DE', taxIds: [{ type: 'eu_vat', value: 'DE123456789' }] },
      lines: [{ reference: 'plan', amountMinor: 10_000, taxBehavior: 'inclusive' }],
    });
    expect(reverse.taxInclusiveMinor).toBe(0);
    expect(reverse.breakdown[0]).toMatchObject({ taxability: 'reverse_charge', percentage: '0' });
    const none = await harness.processor.calculateTax({
      currency: 'USD',
      customer: { country: 'BR' },
      lines: [{ reference: 'plan', amountMinor: 10_000, taxBehavior: 'exclusive' }],
    });
    expect(none.breakdown[0]).toMatchObject({ taxability: 'not_collecting', amountMinor: 0 });
  });

  it("amounts cross in Stripe's units: ISK is two-decimal at Stripe, zero in ISO 4217", async () => {
    harness.fake.controls.updateTaxSettings({ registrations: [{ country: 'IS', percentage: '24' }] });
    const calculation = await harness.processor.calculateTax({
      currency: 'ISK',
      customer: { country: 'IS' },
      lines: [{ reference: 'plan', amountMinor: 12_400, taxBehavior: 'inclusive' }],
    });
    const [request] = harness.fake.controls
      .requestLog()
      .filter((entry) => entry.path === '/v1/tax/calculations');
    expect(request).toBeDefined();
    // ISK 12,400 is 1,240,000 at Stripe; the tax comes back in ISO units: 12,400 − 12,400 / 1.24 = 2,400.
    expect(calculation.lines[0]).toMatchObject({ amountMinor: 12_400, taxMinor: 2_400 });
  });

  it('refuses a calculation without a usable address; a Stripe outage surfaces as unavailable', async () => {
    await expect(
      harness.processor.calculateTax({
        currency: 'USD',
        customer: { country: 'usa' },
        lines: [{ reference: 'plan', amountMinor: 100, taxBehavior: 'exclusive' }],
      }),
    ).rejects.toBeInstanceOf(InvalidRequestError);
    harness.fake.controls.injectFault({
      kind: 'server_error',
      path: '/v1/tax/calculations',
      times: 'always',
    });
    await expect(
      harness.processorWith({ maxRetries: 0 }).calculateTax({
        currency: 'GBP',
        customer: { country: 'GB' },
        lines: [{ reference: 'plan', amountMinor: 100, taxBehavior: 'inclusive' }],
      }),
    ).rejects.toBeInstanceOf(ProcessorUnavailableError);
  });
});

describe('the fake computes tax exactly', () => {
  it('inclusive and exclusive, half up', () => {
    expect(lineTax(12_000, '20', true)).toBe(2_000);
    expect(lineTax(10_000, '19', true)).toBe(1_597); // 10000 − 8403.36… → 8403 → 1597
    expect(lineTax(9_999, '8.875', false)).toBe(887);
    expect(lineTax(0, '20', false)).toBe(0);
  });
});

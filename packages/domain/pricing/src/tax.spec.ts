import fc from 'fast-check';
import type { CurrencyCode } from './currency';
import {
  CurrencyMismatchError,
  InvalidAmountError,
  InvalidDecimalError,
  InvalidRoundingModeError,
  InvalidTaxRateError,
  OverflowError,
  UnknownCurrencyError,
} from './errors';
import { type Money, money } from './money';
import type { RoundingMode } from './rounding';
import { type InvoiceLineInput, type TaxRate, type TaxRounding, computeInvoiceTotals } from './tax';

const usd = (amount: number): Money => money(amount, 'USD');
const salesTax: TaxRate = { id: 'txr_ny', percentage: '8.875', inclusive: false };
const cityTax: TaxRate = { id: 'txr_city', percentage: '0.5', inclusive: false };
const vat: TaxRate = { id: 'txr_de_vat', percentage: '19', inclusive: true };
const reduced: TaxRate = { id: 'txr_de_reduced', percentage: '7', inclusive: true };

describe('computeInvoiceTotals', () => {
  it('adds exclusive tax per line', () => {
    const totals = computeInvoiceTotals(
      [
        { id: 'a', amount: usd(1000), taxRates: [salesTax] }, // 88.75 → 89 (half-even)
        { id: 'b', amount: usd(3000), taxRates: [salesTax] }, // 266.25 → 266
      ],
      { currency: 'USD' },
    );
    expect(totals.lines.map((line) => line.tax.amountMinor)).toEqual([89, 266]);
    expect(totals).toMatchObject({
      subtotal: usd(4000),
      discount: usd(0),
      tax: usd(355),
      exclusiveTax: usd(355),
      inclusiveTax: usd(0),
      totalExcludingTax: usd(4000),
      total: usd(4355),
      creditsApplied: usd(0),
      amountDue: usd(4355),
      creditToBalance: usd(0),
    });
    expect(totals.taxes).toEqual([
      { rateId: 'txr_ny', percentage: '8.875', inclusive: false, taxableAmount: usd(4000), amount: usd(355) },
    ]);
    expect(totals.lines[0]).toEqual({
      id: 'a',
      amount: usd(1000),
      discount: usd(0),
      taxableAmount: usd(1000),
      taxes: [{ rateId: 'txr_ny', percentage: '8.875', inclusive: false, amount: usd(89) }],
      tax: usd(89),
      total: usd(1089),
    });
  });

  it('rounds per invoice once per rate, spreading the rounded total over the lines', () => {
    const lines: InvoiceLineInput[] = [1, 2, 3].map((n) => ({
      id: `l${n}`,
      amount: usd(1000),
      taxRates: [salesTax],
    }));
    const perLine = computeInvoiceTotals(lines, { currency: 'USD', taxRounding: 'per_line' });
    const perInvoice = computeInvoiceTotals(lines, { currency: 'USD', taxRounding: 'per_invoice' });
    expect(perLine.tax).toEqual(usd(267)); // 3 × round(88.75) = 3 × 89
    expect(perInvoice.tax).toEqual(usd(266)); // round(266.25)
    expect(perInvoice.lines.map((line) => line.tax.amountMinor)).toEqual([89, 89, 88]);
  });

  it('extracts inclusive tax from the amount without adding it', () => {
    const totals = computeInvoiceTotals([{ id: 'a', amount: money(11900, 'EUR'), taxRates: [vat] }], {
      currency: 'EUR',
    });
    expect(totals).toMatchObject({
      subtotal: money(11900, 'EUR'),
      tax: money(1900, 'EUR'),
      inclusiveTax: money(1900, 'EUR'),
      totalExcludingTax: money(10000, 'EUR'),
      total: money(11900, 'EUR'),
    });
  });

  it('splits several inclusive rates on one line against their combined rate', () => {
    // 12600 includes 19 % + 7 % = 26 %: net 10000, taxes 1900 and 700
    const totals = computeInvoiceTotals(
      [{ id: 'a', amount: money(12600, 'EUR'), taxRates: [vat, reduced] }],
      { currency: 'EUR' },
    );
    expect(totals.lines[0].taxes.map((tax) => tax.amount.amountMinor)).toEqual([1900, 700]);
  });

  it('applies several exclusive rates each on the taxable amount', () => {
    const totals = computeInvoiceTotals([{ id: 'a', amount: usd(10000), taxRates: [salesTax, cityTax] }], {
      currency: 'USD',
    });
    expect(totals.lines[0].taxes.map((tax) => tax.amount.amountMinor)).toEqual([888, 50]);
    expect(totals.total).toEqual(usd(10938));
  });

  it('taxes the amount after discount', () => {
    const totals = computeInvoiceTotals(
      [{ id: 'a', amount: usd(29900), discount: usd(5980), taxRates: [salesTax] }],
      { currency: 'USD' },
    );
    // 23920 × 8.875 % = 2122.9
    expect(totals).toMatchObject({ discount: usd(5980), tax: usd(2123), total: usd(23920 + 2123) });
  });

  it('applies credits and reports credit invoices', () => {
    const lines: InvoiceLineInput[] = [{ id: 'a', amount: usd(5000) }];
    expect(computeInvoiceTotals(lines, { currency: 'USD', credits: usd(1200) })).toMatchObject({
      creditsApplied: usd(1200),
      amountDue: usd(3800),
    });
    expect(computeInvoiceTotals(lines, { currency: 'USD', credits: usd(9000) })).toMatchObject({
      creditsApplied: usd(5000),
      amountDue: usd(0),
    });
    const creditInvoice = computeInvoiceTotals(
      [
        { id: 'c', amount: usd(-2450) },
        { id: 'd', amount: usd(450) },
      ],
      {
        currency: 'USD',
        credits: usd(100),
      },
    );
    expect(creditInvoice).toMatchObject({
      total: usd(-2000),
      creditsApplied: usd(0),
      amountDue: usd(0),
      creditToBalance: usd(2000),
    });
  });

  it('taxes negative (credit) lines negatively, per line and per invoice', () => {
    const lines: InvoiceLineInput[] = [
      { id: 'credit', amount: usd(-2450), taxRates: [salesTax] }, // −217.4375
      { id: 'charge', amount: usd(4950), taxRates: [salesTax] }, // 439.3125
    ];
    expect(
      computeInvoiceTotals(lines, { currency: 'USD' }).lines.map((line) => line.tax.amountMinor),
    ).toEqual([-217, 439]);
    const perInvoice = computeInvoiceTotals(lines, { currency: 'USD', taxRounding: 'per_invoice' });
    expect(perInvoice.tax).toEqual(usd(222)); // round(221.875)
    expect(perInvoice.lines.map((line) => line.tax.amountMinor)).toEqual([-217, 439]);
  });

  it('handles an empty invoice and lines without rates', () => {
    expect(computeInvoiceTotals([], { currency: 'JPY' })).toMatchObject({
      total: money(0, 'JPY'),
      taxes: [],
    });
    expect(computeInvoiceTotals([{ id: 'a', amount: usd(100) }], { currency: 'USD' }).tax).toEqual(usd(0));
  });

  it('refuses bad input', () => {
    const line = (overrides: Partial<InvoiceLineInput> = {}): InvoiceLineInput => ({
      id: 'a',
      amount: usd(100),
      ...overrides,
    });
    const run =
      (lines: unknown[], options = {}) =>
      () =>
        computeInvoiceTotals(lines as InvoiceLineInput[], { currency: 'USD', ...options });
    expect(run([line({ amount: money(100, 'EUR') })])).toThrow(CurrencyMismatchError);
    expect(run([line({ discount: money(1, 'EUR') })])).toThrow(CurrencyMismatchError);
    expect(run([line({ discount: usd(101) })])).toThrow(
      'line a discount 101 must be between 0 and the line amount 100',
    );
    expect(run([line({ amount: usd(-100), discount: usd(1) })])).toThrow(InvalidAmountError);
    expect(run([line({ discount: usd(-1) })])).toThrow(InvalidAmountError);
    expect(run([line({ taxRates: [vat, salesTax] })])).toThrow(
      'line a mixes inclusive and exclusive tax rates',
    );
    expect(run([line({ taxRates: [{ ...salesTax, percentage: '-1' }] })])).toThrow(
      'tax rate txr_ny percentage -1 is negative',
    );
    expect(run([line({ taxRates: [{ ...salesTax, percentage: '8,875' }] })])).toThrow(InvalidDecimalError);
    expect(run([line({ taxRates: [{ ...salesTax, id: '' }] })])).toThrow(InvalidTaxRateError);
    expect(run([line({ taxRates: [null as unknown as TaxRate] })])).toThrow(InvalidTaxRateError);
    expect(run([line({ taxRates: [{ ...salesTax, inclusive: 'no' as unknown as boolean }] })])).toThrow(
      'tax rate txr_ny inclusive "no" must be a boolean',
    );
    expect(run([line({ taxRates: 'vat' as unknown as TaxRate[] })])).toThrow(
      'line a taxRates must be a list',
    );
    expect(
      run([line({ taxRates: [salesTax] }), line({ id: 'b', taxRates: [{ ...salesTax, percentage: '9' }] })]),
    ).toThrow('tax rate txr_ny is used with different percentages or inclusiveness');
    expect(run([null])).toThrow('invoice line null is not an object');
    expect(run([line()], { credits: usd(-1) })).toThrow('credits -1 USD must be zero or more');
    expect(run([line()], { credits: money(1, 'EUR') })).toThrow(CurrencyMismatchError);
    expect(run([line()], { taxRounding: 'per_rate' as TaxRounding })).toThrow(InvalidTaxRateError);
    expect(run([line()], { rounding: 'x' as RoundingMode })).toThrow(InvalidRoundingModeError);
    expect(run([line()], { currency: 'XX' as CurrencyCode })).toThrow(UnknownCurrencyError);
    expect(run([line({ amount: usd(Number.MAX_SAFE_INTEGER) }), line({ id: 'b' })])).toThrow(OverflowError);
    expect(() => computeInvoiceTotals('lines' as unknown as InvoiceLineInput[], { currency: 'USD' })).toThrow(
      InvalidAmountError,
    );
  });
});

describe('computeInvoiceTotals properties', () => {
  const rate = fc.record({
    id: fc.constantFrom('r1', 'r2', 'r3'),
    basisPoints: fc.integer({ min: 0, max: 3000 }),
  });
  const lineArbitrary = fc
    .record({
      amount: fc.integer({ min: -1_000_000, max: 100_000_000 }),
      discountShare: fc.integer({ min: 0, max: 100 }),
      inclusive: fc.boolean(),
      rates: fc.uniqueArray(rate, { selector: (r) => r.id, maxLength: 3 }),
    })
    .map(({ amount, discountShare, inclusive, rates }): InvoiceLineInput => ({
      id: 'line',
      amount: usd(amount),
      discount: usd(amount > 0 ? Math.floor((amount * discountShare) / 100) : 0),
      // a rate id keeps one meaning across lines: its percentage and inclusiveness derive from the id
      taxRates: rates.map(({ id }) => ({
        id: `${id}${inclusive ? 'i' : 'e'}`,
        percentage: { r1: '8.875', r2: '19', r3: '0.5' }[id as 'r1' | 'r2' | 'r3'],
        inclusive,
      })),
    }));

  it.each<TaxRounding>(['per_line', 'per_invoice'])(
    'totals equal the sum of the lines (%s)',
    (taxRounding) => {
      fc.assert(
        fc.property(
          fc.array(lineArbitrary, { maxLength: 15 }),
          fc.integer({ min: 0, max: 10 ** 9 }),
          (lines, credits) => {
            const totals = computeInvoiceTotals(lines, {
              currency: 'USD',
              taxRounding,
              credits: usd(credits),
            });
            const sumOf = (pick: (line: (typeof totals.lines)[number]) => Money) =>
              totals.lines.reduce((acc, line) => acc + pick(line).amountMinor, 0);
            expect(totals.subtotal.amountMinor).toBe(sumOf((line) => line.amount));
            expect(totals.discount.amountMinor).toBe(sumOf((line) => line.discount));
            expect(totals.tax.amountMinor).toBe(sumOf((line) => line.tax));
            expect(totals.total.amountMinor).toBe(sumOf((line) => line.total));
            expect(totals.tax.amountMinor).toBe(
              totals.taxes.reduce((acc, tax) => acc + tax.amount.amountMinor, 0),
            );
            expect(totals.total.amountMinor).toBe(
              totals.subtotal.amountMinor - totals.discount.amountMinor + totals.exclusiveTax.amountMinor,
            );
            expect(totals.amountDue.amountMinor + totals.creditsApplied.amountMinor).toBe(
              Math.max(totals.total.amountMinor, 0),
            );
            for (const line of totals.lines) {
              expect(line.tax.amountMinor).toBe(
                line.taxes.reduce((acc, tax) => acc + tax.amount.amountMinor, 0),
              );
              for (const tax of line.taxes) expect(Number.isSafeInteger(tax.amount.amountMinor)).toBe(true);
            }
          },
        ),
        { numRuns: 300 },
      );
    },
  );

  it('per-invoice rounding keeps each rate total within one unit of the exact total', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 20 }),
        (amounts) => {
          const totals = computeInvoiceTotals(
            amounts.map((amount, index) => ({
              id: String(index),
              amount: usd(amount),
              taxRates: [salesTax],
            })),
            { currency: 'USD', taxRounding: 'per_invoice' },
          );
          const exactTimes1e5 = BigInt(amounts.reduce((a, b) => a + b, 0)) * 8875n; // × 100000
          const error = BigInt(totals.tax.amountMinor) * 100000n - exactTimes1e5;
          expect(error <= 50000n && -error <= 50000n).toBe(true);
        },
      ),
    );
  });
});

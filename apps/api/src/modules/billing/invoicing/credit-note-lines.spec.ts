import { type CreditableLine, creditNoteLines } from './credit-note-lines';

const line = (overrides: Partial<CreditableLine>): CreditableLine => ({
  position: 1,
  description: 'Plan',
  amount: 12_000,
  discount: 0,
  tax: 2_000,
  taxInclusive: true,
  taxRateId: 'txr_gb',
  taxPercentage: '20',
  ...overrides,
});

describe('credit note lines', () => {
  it('half of a UK invoice with 20% VAT inclusive gives back half of its VAT', () => {
    expect(creditNoteLines(6_000, 'GBP', [line({})])).toEqual({
      lines: [
        {
          position: 1,
          invoiceLinePosition: 1,
          description: 'Plan',
          amount: 6_000,
          tax: 1_000,
          taxRateId: 'txr_gb',
          taxPercentage: '20',
          taxInclusive: true,
        },
      ],
      tax: 1_000,
    });
  });

  it('splits over lines by what each charged (exclusive tax included), skipping credit lines', () => {
    const result = creditNoteLines(5_000, 'USD', [
      line({ position: 1, amount: 10_000, tax: 888, taxInclusive: false, taxPercentage: '8.875' }),
      line({ position: 2, amount: -2_000, tax: -178, taxInclusive: false, taxPercentage: '8.875' }),
      line({ position: 3, amount: 5_000, discount: 5_000, tax: 0, taxInclusive: false }),
    ]);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toMatchObject({ invoiceLinePosition: 1, amount: 5_000, tax: 408 });
    expect(result.tax).toBe(408);
  });

  it('an untaxed invoice gives untaxed lines', () => {
    const result = creditNoteLines(1_000, 'USD', [
      line({ tax: 0, taxRateId: null, taxPercentage: null, taxInclusive: false }),
    ]);
    expect(result).toMatchObject({ tax: 0, lines: [{ amount: 1_000, tax: 0 }] });
  });
});

import type { PriceBreakdown } from '@astrix/contracts';
import { documentSeries, formatDocumentNumber } from './document-numbers.service';
import { buildReceipt, InvoiceIntegrityError } from './receipt-lines';

function breakdown(
  currency: string,
  lines: Array<{ amount: number; discount?: number; description?: string }>,
  tax = 0,
): PriceBreakdown {
  const subtotal = lines.reduce((total, line) => total + line.amount, 0);
  const discount = lines.reduce((total, line) => total + (line.discount ?? 0), 0);
  return {
    subtotal: { amount: subtotal, currency },
    discount: { amount: discount, currency },
    tax: { amount: tax, currency },
    total: { amount: subtotal - discount + tax, currency },
    couponCode: discount > 0 ? 'WELCOME20' : null,
    lines: lines.map((line, index) => ({
      description: line.description ?? `Item ${index + 1}`,
      amount: { amount: line.amount, currency },
      discount: { amount: line.discount ?? 0, currency },
    })),
  };
}

const expecting = (chargedAmount: number, chargedDiscount = 0, chargedCurrency = 'USD') => ({
  chargedAmount,
  chargedCurrency,
  chargedDiscount,
  fallbackDescription: '50k Evaluation',
});

describe('buildReceipt', () => {
  it('turns a discounted breakdown into quantity-1 lines whose totals are the charge', () => {
    const receipt = buildReceipt(
      breakdown('USD', [{ amount: 29900, discount: 5980, description: '50k Evaluation' }]),
      expecting(23920, 5980),
    );
    expect(receipt).toEqual({
      currency: 'USD',
      subtotal: 29900,
      discount: 5980,
      tax: 0,
      total: 23920,
      lines: [
        {
          description: '50k Evaluation',
          quantity: 1,
          unitAmount: 29900,
          amount: 29900,
          discount: 5980,
          tax: 0,
        },
      ],
    });
  });

  it('spreads exclusive tax over the lines by taxable amount, losing no minor unit', () => {
    const receipt = buildReceipt(
      breakdown('USD', [{ amount: 10000 }, { amount: 10000, discount: 5000 }, { amount: 1 }], 1001),
      expecting(16002, 5000),
    );
    expect(receipt.lines.map((line) => line.tax)).toEqual([667, 334, 0]);
    expect(receipt.lines.reduce((total, line) => total + line.tax, 0)).toBe(receipt.tax);
    expect(receipt.total).toBe(receipt.subtotal - receipt.discount + receipt.tax);
  });

  it('describes a breakdown without lines as one line of the product', () => {
    const receipt = buildReceipt(
      { ...breakdown('JPY', [{ amount: 45000 }]), lines: [] },
      expecting(45000, 0, 'JPY'),
    );
    expect(receipt.lines).toEqual([
      expect.objectContaining({ description: '50k Evaluation', amount: 45000, unitAmount: 45000 }),
    ]);
  });

  it.each([
    ['a total different from the amount charged', breakdown('USD', [{ amount: 29900 }]), expecting(25000)],
    [
      'a discount different from the charge',
      breakdown('USD', [{ amount: 29900, discount: 100 }]),
      expecting(29800),
    ],
    [
      'lines that do not add up to the subtotal',
      { ...breakdown('USD', [{ amount: 29900 }]), subtotal: { amount: 30000, currency: 'USD' } },
      expecting(29900),
    ],
    [
      'a total that is not subtotal - discount + tax',
      { ...breakdown('USD', [{ amount: 29900 }], 100), total: { amount: 29900, currency: 'USD' } },
      expecting(29900),
    ],
    ['a line in another currency', breakdown('EUR', [{ amount: 29900 }]), expecting(29900)],
    ['tax on nothing taxable', breakdown('USD', [{ amount: 100, discount: 100 }], 5), expecting(5, 100)],
  ])('refuses %s', (_case, input, expected) => {
    expect(() => buildReceipt(input, expected)).toThrow(InvoiceIntegrityError);
  });

  it('refuses a discount larger than its line (a pricing error, not a silent negative line)', () => {
    expect(() =>
      buildReceipt(breakdown('USD', [{ amount: 100, discount: 200 }]), expecting(-100, 200)),
    ).toThrow(/discount/);
  });
});

describe('document numbers', () => {
  it('formats invoice and credit note numbers per UTC year', () => {
    const lateOnNewYearsEve = new Date('2026-12-31T23:30:00-02:00'); // already 2027 in UTC
    expect(documentSeries('invoice', lateOnNewYearsEve)).toBe('invoice-2027');
    expect(formatDocumentNumber('invoice', lateOnNewYearsEve, 1)).toBe('AST-2027-000001');
    expect(documentSeries('credit-note', new Date('2026-06-01T00:00:00Z'))).toBe('credit-note-2026');
    expect(formatDocumentNumber('credit-note', new Date('2026-06-01T00:00:00Z'), 42)).toBe(
      'AST-CN-2026-000042',
    );
    expect(formatDocumentNumber('invoice', new Date('2026-06-01T00:00:00Z'), 1234567)).toBe(
      'AST-2026-1234567',
    );
  });

  it('refuses sequences that cannot come from a series', () => {
    expect(() => formatDocumentNumber('invoice', new Date(), 0)).toThrow(/positive integer/);
  });
});

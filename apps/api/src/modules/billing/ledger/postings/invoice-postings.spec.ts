import { journalImbalances } from '@astrix/pricing';
import type { JournalEntryDraft } from '../journal.service';
import {
  creditNoteIssuedEntry,
  invoiceFinalizedEntry,
  type InvoiceLineForPosting,
  invoiceWriteOffRecoveredEntry,
  invoiceWrittenOffEntry,
  lineRevenueKind,
  type ProductKindOf,
} from './invoice-postings';

const kindOf: ProductKindOf = (productId) =>
  productId === 'prd_eval' ? 'evaluation' : productId === 'prd_plan' ? 'subscription' : null;

const invoice = {
  id: 'inv_1',
  customerId: 'cust_1',
  currency: 'USD',
  discount: 0,
  tax: 0,
  total: 0,
  issuedAt: new Date('2026-11-02T10:00:00Z'),
};

/** Lines as [account, debit, credit, productKind], zero lines dropped as the journal drops them. */
const lines = (draft: JournalEntryDraft) =>
  draft.lines
    .filter((line) => (line.debit ?? 0) !== 0 || (line.credit ?? 0) !== 0)
    .map((line) => [line.account, line.debit ?? 0, line.credit ?? 0, line.productKind ?? null]);

const balanced = (draft: JournalEntryDraft) =>
  journalImbalances(
    draft.lines.map((line) => ({ ...line, debit: line.debit ?? 0, credit: line.credit ?? 0 })),
  );

describe('invoiceFinalizedEntry', () => {
  it('posts a discounted checkout receipt: receivable and discount against revenue of the product kind', () => {
    const draft = invoiceFinalizedEntry(
      { ...invoice, discount: 2980, total: 11920 },
      [{ kind: 'purchase', productId: 'prd_eval', amount: 14900, discount: 2980 }],
      kindOf,
    );
    expect(draft).toMatchObject({
      sourceType: 'invoice',
      sourceId: 'inv_1',
      event: 'invoice.finalized',
      customerId: 'cust_1',
      occurredAt: invoice.issuedAt,
    });
    expect(lines(draft)).toEqual([
      ['accounts_receivable', 11920, 0, null],
      ['revenue_evaluation', 0, 14900, 'evaluation'],
      ['discounts', 2980, 0, 'evaluation'],
    ]);
    expect(balanced(draft)).toEqual([]);
  });

  it('credits deferred revenue the net of a line earned over time, and revenue for the others', () => {
    const plan: InvoiceLineForPosting = {
      kind: 'plan',
      productId: 'prd_plan',
      amount: 120_000,
      discount: 20_000,
    };
    const reset: InvoiceLineForPosting = { kind: 'purchase', productId: null, amount: 5000, discount: 0 };
    const draft = invoiceFinalizedEntry(
      { ...invoice, discount: 20_000, total: 105_000 },
      [plan, reset],
      kindOf,
      (line) => line === plan,
    );
    expect(lines(draft)).toEqual([
      ['accounts_receivable', 105_000, 0, null],
      ['deferred_revenue', 0, 100_000, 'subscription'],
      ['revenue_add_on', 0, 5000, 'add_on'],
    ]);
    expect(balanced(draft)).toEqual([]);
  });

  it('debits revenue for a proration credit line and credits the receivable for a negative total', () => {
    const draft = invoiceFinalizedEntry(
      { ...invoice, total: -1500 },
      [
        { kind: 'proration_credit', productId: 'prd_plan', amount: -4000, discount: 0 },
        { kind: 'proration_charge', productId: 'prd_plan', amount: 2500, discount: 0 },
      ],
      kindOf,
    );
    expect(lines(draft)).toEqual([
      ['accounts_receivable', 0, 1500, null],
      ['revenue_subscription', 4000, 0, 'subscription'],
      ['revenue_subscription', 0, 2500, 'subscription'],
    ]);
    expect(balanced(draft)).toEqual([]);
  });

  it('books usage lines as usage revenue and tax as payable', () => {
    const draft = invoiceFinalizedEntry(
      { ...invoice, tax: 100, total: 3100 },
      [
        { kind: 'plan', productId: 'prd_plan', amount: 2000, discount: 0 },
        { kind: 'usage', productId: 'prd_plan', amount: 1000, discount: 0 },
      ],
      kindOf,
    );
    expect(lines(draft)).toEqual([
      ['accounts_receivable', 3100, 0, null],
      ['revenue_subscription', 0, 2000, 'subscription'],
      ['revenue_usage', 0, 1000, 'usage'],
      ['tax_payable', 0, 100, null],
    ]);
    expect(balanced(draft)).toEqual([]);
  });
});

describe('lineRevenueKind', () => {
  const line = (overrides: Partial<InvoiceLineForPosting>): InvoiceLineForPosting => ({
    kind: 'purchase',
    productId: null,
    amount: 1,
    discount: 0,
    ...overrides,
  });
  it('falls back by line kind when the catalog does not know the product', () => {
    expect(lineRevenueKind(line({ kind: 'plan', productId: 'prd_gone' }), kindOf)).toBe('subscription');
    expect(lineRevenueKind(line({ kind: 'purchase', productId: null }), kindOf)).toBe('add_on');
    expect(lineRevenueKind(line({ kind: 'usage', productId: 'prd_eval' }), kindOf)).toBe('usage');
    expect(lineRevenueKind(line({ productId: 'prd_eval' }), kindOf)).toBe('evaluation');
  });
});

describe('write-offs', () => {
  it('writes what was due off to bad debt, and takes it back when paid late', () => {
    const at = new Date('2026-12-01T00:00:00Z');
    const off = invoiceWrittenOffEntry(invoice, 2500, at);
    expect(off).toMatchObject({ event: 'invoice.written_off', occurredAt: at });
    expect(lines(off)).toEqual([
      ['bad_debt', 2500, 0, null],
      ['accounts_receivable', 0, 2500, null],
    ]);
    const back = invoiceWriteOffRecoveredEntry(invoice, 2500, at);
    expect(back.event).toBe('invoice.write_off_recovered');
    expect(lines(back)).toEqual([
      ['accounts_receivable', 2500, 0, null],
      ['bad_debt', 0, 2500, null],
    ]);
  });
});

describe('creditNoteIssuedEntry', () => {
  const note = {
    id: 'cn_1',
    invoiceId: 'inv_1',
    refundId: 'ref_1',
    amount: 1000,
    currency: 'USD',
    issuedAt: new Date('2026-11-03T00:00:00Z'),
  };

  it('splits the refunds line over the kinds of what the invoice charged', () => {
    const draft = creditNoteIssuedEntry(
      note,
      { customerId: 'cust_1' },
      [
        { kind: 'purchase', productId: 'prd_eval', amount: 4000, discount: 1000 },
        { kind: 'plan', productId: 'prd_plan', amount: 1000, discount: 0 },
        { kind: 'proration_credit', productId: 'prd_plan', amount: -500, discount: 0 },
      ],
      kindOf,
    );
    expect(draft).toMatchObject({
      sourceType: 'credit_note',
      sourceId: 'cn_1',
      event: 'credit_note.issued',
      customerId: 'cust_1',
    });
    expect(lines(draft)).toEqual([
      ['refunds', 750, 0, 'evaluation'],
      ['refunds', 250, 0, 'subscription'],
      ['accounts_receivable', 0, 1000, null],
    ]);
    expect(balanced(draft)).toEqual([]);
  });

  it('leaves the kind unassigned when no line charged anything', () => {
    const draft = creditNoteIssuedEntry({ ...note, refundId: null }, { customerId: 'cust_1' }, [], kindOf);
    expect(lines(draft)).toEqual([
      ['refunds', 1000, 0, null],
      ['accounts_receivable', 0, 1000, null],
    ]);
  });
});

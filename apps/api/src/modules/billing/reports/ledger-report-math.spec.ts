import { accountBalance, type AccountHeading, statementLineKind, trialBalanceOf } from './ledger-report-math';

const HEADINGS = new Map<string, AccountHeading>(
  (
    [
      ['processor_clearing', 'Processor clearing', 'asset', 'debit'],
      ['accounts_receivable', 'Accounts receivable', 'asset', 'debit'],
      ['customer_credit', 'Customer credit balances', 'liability', 'credit'],
      ['revenue_evaluation', 'Revenue, evaluation', 'income', 'credit'],
      ['discounts', 'Discounts', 'contra_income', 'debit'],
    ] as const
  ).map(([code, name, type, normalSide]) => [code, { code, name, type, normalSide }]),
);

describe('trialBalanceOf', () => {
  it('puts each net balance in its column, orders by the chart, and totals per currency', () => {
    const result = trialBalanceOf(
      [
        { account: 'revenue_evaluation', currency: 'USD', debits: '0', credits: '10000' },
        { account: 'discounts', currency: 'USD', debits: '1000', credits: '0' },
        { account: 'accounts_receivable', currency: 'USD', debits: '9000', credits: '9000' },
        { account: 'processor_clearing', currency: 'USD', debits: '9000', credits: '0' },
        { account: 'processor_clearing', currency: 'EUR', debits: '500', credits: '0' },
        { account: 'customer_credit', currency: 'EUR', debits: '0', credits: '500' },
      ],
      HEADINGS,
    );
    expect(
      result.rows.map((row) => [row.account, row.currency, row.debitBalance, row.creditBalance, row.balance]),
    ).toEqual([
      ['processor_clearing', 'EUR', 500, 0, 500],
      ['processor_clearing', 'USD', 9000, 0, 9000],
      ['accounts_receivable', 'USD', 0, 0, 0],
      ['customer_credit', 'EUR', 0, 500, 500],
      ['revenue_evaluation', 'USD', 0, 10000, 10000],
      ['discounts', 'USD', 1000, 0, 1000],
    ]);
    expect(result.totals).toEqual([
      { currency: 'EUR', debits: 500, credits: 500, debitBalance: 500, creditBalance: 500, balanced: true },
      {
        currency: 'USD',
        debits: 19000,
        credits: 19000,
        debitBalance: 10000,
        creditBalance: 10000,
        balanced: true,
      },
    ]);
    expect(result.balanced).toBe(true);
  });

  it('says unbalanced when a currency does not add up (the other currencies still balance)', () => {
    const result = trialBalanceOf(
      [
        { account: 'processor_clearing', currency: 'USD', debits: '100', credits: '0' },
        { account: 'revenue_evaluation', currency: 'USD', debits: '0', credits: '99' },
        { account: 'processor_clearing', currency: 'JPY', debits: '50', credits: '0' },
        { account: 'revenue_evaluation', currency: 'JPY', debits: '0', credits: '50' },
      ],
      HEADINGS,
    );
    expect(result.totals.map((total) => [total.currency, total.balanced])).toEqual([
      ['JPY', true],
      ['USD', false],
    ]);
    expect(result.balanced).toBe(false);
  });

  it('shows a balance on the wrong side as negative on the normal side', () => {
    const result = trialBalanceOf(
      [{ account: 'accounts_receivable', currency: 'USD', debits: '100', credits: '250' }],
      HEADINGS,
    );
    expect(result.rows[0]).toMatchObject({ balance: -150, debitBalance: 0, creditBalance: 150 });
  });

  it('keeps an account missing from the chart, named by its code, last', () => {
    const result = trialBalanceOf(
      [
        { account: 'mystery', currency: 'USD', debits: '0', credits: '5' },
        { account: 'processor_clearing', currency: 'USD', debits: '5', credits: '0' },
      ],
      HEADINGS,
    );
    expect(result.rows.map((row) => [row.account, row.name, row.type])).toEqual([
      ['processor_clearing', 'Processor clearing', 'asset'],
      ['mystery', 'mystery', 'unknown'],
    ]);
  });

  it('refuses sums that are not amounts of the currency', () => {
    expect(() =>
      trialBalanceOf([{ account: 'discounts', currency: 'USD', debits: '1.5', credits: '0' }], HEADINGS),
    ).toThrow();
  });
});

describe('accountBalance', () => {
  it('signs the balance by the normal side', () => {
    expect(accountBalance({ account: 'x', currency: 'USD', debits: '300', credits: '100' }, 'debit')).toEqual(
      {
        currency: 'USD',
        debits: 300,
        credits: 100,
        balance: 200,
      },
    );
    expect(
      accountBalance({ account: 'x', currency: 'USD', debits: '300', credits: '100' }, 'credit').balance,
    ).toBe(-200);
  });
});

describe('statementLineKind', () => {
  it.each([
    ['invoice', 'invoice.finalized', false, 'billed'],
    ['invoice', 'invoice.voided', true, 'voided'],
    ['invoice', 'invoice.voided', false, 'voided'],
    ['invoice', 'invoice.written_off', false, 'written_off'],
    ['invoice', 'invoice.write_off_recovered', false, 'adjustment'],
    ['customer_balance_transaction', 'balance.debited', false, 'adjustment'],
    ['refund', 'refund.reversed', false, 'reversed'],
    ['charge', 'charge.succeeded', false, 'paid'],
    ['charge', 'charge.reversed', true, 'reversed'],
    ['credit_note', 'credit_note.issued', false, 'credited'],
    ['customer_balance_transaction', 'balance.credited', false, 'credited'],
    ['customer_balance_transaction', 'balance.applied', false, 'credit_applied'],
    ['customer_balance_transaction', 'balance.restored', false, 'credit_restored'],
    ['refund', 'refund.settled', false, 'refunded'],
    ['dispute', 'dispute.opened', false, 'disputed'],
    ['journal_entry', 'manual.adjustment', false, 'adjustment'],
  ] as const)('%s %s (reversal: %s) is %s', (sourceType, event, reversal, kind) => {
    expect(statementLineKind(sourceType, event, reversal)).toBe(kind);
  });
});

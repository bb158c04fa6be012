import { exportLine, journalExportCsv, monthRange, type JournalLineRow } from './journal-export';

const row: JournalLineRow = {
  occurredAt: new Date('2026-01-15T10:00:00Z'),
  entryId: 'je_1',
  account: 'accounts_receivable',
  accountName: 'Accounts receivable',
  debit: 10_000,
  credit: 0,
  currency: 'EUR',
  sourceType: 'invoice',
  sourceId: 'inv_1',
  event: 'invoice.finalized',
  customerId: 'cust_1',
  productKind: null,
  memo: 'a "quoted", memo',
  snapshot: {
    reportingCurrency: 'USD',
    rate: '1.0832',
    source: 'ecb',
    asOf: new Date('2026-01-15T00:00:00Z'),
  },
};

describe('journal export', () => {
  it('converts a line with its own FX snapshot, the rate of its day', () => {
    expect(exportLine(row)).toMatchObject({
      date: '2026-01-15',
      debit: 10_000,
      credit: 0,
      currency: 'EUR',
      reportingCurrency: 'USD',
      fxRate: '1.0832',
      fxSource: 'ecb',
      fxAsOf: '2026-01-15',
      reportingDebit: 10_832,
      reportingCredit: 0,
    });
  });

  it('leaves the reporting amounts empty for a line without a snapshot, and says so', () => {
    expect(exportLine({ ...row, snapshot: null })).toMatchObject({
      reportingCurrency: 'USD',
      fxRate: null,
      fxSource: 'none',
      reportingDebit: null,
      reportingCredit: null,
    });
  });

  it('writes decimals of each currency and quotes what needs quoting', () => {
    const csv = journalExportCsv([exportLine(row), exportLine({ ...row, snapshot: null })])
      .trim()
      .split('\n');
    expect(csv[0]).toBe(
      'date,occurred_at,entry_id,account,account_name,debit,credit,currency,reporting_currency,fx_rate,fx_source,fx_as_of,reporting_debit,reporting_credit,source_type,source_id,event,customer_id,product_kind,memo',
    );
    expect(csv[1]).toBe(
      '2026-01-15,2026-01-15T10:00:00.000Z,je_1,accounts_receivable,Accounts receivable,100.00,0.00,EUR,USD,1.0832,ecb,2026-01-15,108.32,0.00,invoice,inv_1,invoice.finalized,cust_1,,"a ""quoted"", memo"',
    );
    expect(csv[2]).toContain(',EUR,USD,,none,,,,invoice,');
  });

  it('bounds a month in UTC and refuses what is not one', () => {
    expect(monthRange('2026-12')).toEqual({
      from: new Date('2026-12-01T00:00:00Z'),
      to: new Date('2027-01-01T00:00:00Z'),
    });
    expect(() => monthRange('2026-13')).toThrow('month must be YYYY-MM');
  });
});

import {
  entryWithoutSource,
  ledgerUnbalanced,
  moneyRowWithoutEntry,
  trialBalanceUnbalanced,
} from './ledger-findings';

const rule = { sourceType: 'charge' as const, event: 'charge.succeeded', describe: 'charge' };

describe('ledger findings', () => {
  it('names an unbalanced entry, its source event and both totals', () => {
    expect(
      ledgerUnbalanced({
        entryId: 'je_1',
        sourceType: 'invoice',
        sourceId: 'inv_1',
        event: 'invoice.finalized',
        currency: 'USD',
        debits: 10000,
        credits: 9000,
      }),
    ).toEqual({
      kind: 'ledger_unbalanced',
      subject: 'je_1',
      ids: ['je_1', 'inv_1'],
      amount: 1000,
      currency: 'USD',
      message:
        'journal entry je_1 (invoice.finalized of invoice inv_1) does not balance in USD: debits USD 100.00, credits USD 90.00',
    });
  });

  it('names an entry without lines', () => {
    expect(
      ledgerUnbalanced({
        entryId: 'je_2',
        sourceType: 'charge',
        sourceId: 'chg_1',
        event: 'charge.succeeded',
        currency: null,
        debits: 0,
        credits: 0,
      }).message,
    ).toBe('journal entry je_2 (charge.succeeded of charge chg_1) has no lines');
  });

  it('names the currency in which the whole ledger does not balance', () => {
    expect(trialBalanceUnbalanced('JPY', 500, 400)).toMatchObject({
      subject: 'ledger:JPY',
      amount: 100,
      message: 'the ledger does not balance in JPY: debits JPY 500, credits JPY 400',
    });
  });

  it('names a money row and the entry it lacks', () => {
    expect(
      moneyRowWithoutEntry(rule, { id: 'chg_9', customerId: 'cust_1', currency: 'USD', amount: 4200 }),
    ).toEqual({
      kind: 'money_row_without_entry',
      subject: 'chg_9',
      ids: ['chg_9', 'cust_1'],
      amount: 4200,
      currency: 'USD',
      message: 'charge chg_9 (USD 42.00) has no charge.succeeded journal entry',
    });
  });

  it('names an entry and the source row it lacks', () => {
    expect(
      entryWithoutSource(
        { sourceType: 'invoice', event: 'invoice.voided', describe: 'voided invoice' },
        { entryId: 'je_3', sourceId: 'inv_7', currency: 'EUR', amount: 1500 },
      ),
    ).toEqual({
      kind: 'entry_without_source',
      subject: 'je_3',
      ids: ['je_3', 'inv_7'],
      amount: 1500,
      currency: 'EUR',
      message:
        'journal entry je_3 posts invoice.voided of invoice inv_7 (EUR 15.00), but there is no voided invoice inv_7',
    });
  });
});

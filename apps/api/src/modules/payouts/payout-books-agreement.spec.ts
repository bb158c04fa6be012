import type { LedgerAccountTotals } from '../billing';
import { payoutLedgerDisagreements } from './payout-books-agreement';

describe('payouts ledger against the journal', () => {
  const journal = (
    rows: Array<[LedgerAccountTotals['account'], number, number]>,
    currency = 'USD',
  ): LedgerAccountTotals[] =>
    rows.map(([account, debits, credits]) => ({ account, currency, debits, credits }));

  it('agrees when reservations, releases and payments were all posted', () => {
    // Reserved 100 + 50 + 30, the 30 released, the 100 paid: 50 still owed.
    const ledger = [{ currency: 'USD', reserved: 180, released: 30, paid: 100 }];
    const booked = journal([
      ['trader_payouts_expense', 180, 30],
      ['trader_payouts_payable', 130, 180],
      ['trader_payouts_clearing', 0, 100],
    ]);
    expect(payoutLedgerDisagreements(ledger, booked)).toEqual([]);
  });

  it('names each figure a missed posting moves, per currency', () => {
    // The journal missed the payment of 100.
    const ledger = [{ currency: 'USD', reserved: 100, released: 0, paid: 100 }];
    const booked = journal([
      ['trader_payouts_expense', 100, 0],
      ['trader_payouts_payable', 0, 100],
    ]);
    expect(payoutLedgerDisagreements(ledger, booked)).toEqual([
      { currency: 'USD', figure: 'owed', payouts: 0, journal: 100, difference: 100 },
      { currency: 'USD', figure: 'paid', payouts: 100, journal: 0, difference: 100 },
    ]);
  });

  it('finds journal entries payouts has no record of, in another currency', () => {
    const booked = journal(
      [
        ['trader_payouts_expense', 500, 0],
        ['trader_payouts_payable', 0, 500],
      ],
      'EUR',
    );
    expect(payoutLedgerDisagreements([], booked)).toEqual([
      { currency: 'EUR', figure: 'owed', payouts: 0, journal: 500, difference: 500 },
      { currency: 'EUR', figure: 'expense', payouts: 0, journal: 500, difference: 500 },
    ]);
  });
});

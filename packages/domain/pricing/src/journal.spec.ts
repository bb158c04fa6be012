import fc from 'fast-check';
import { InvalidAmountError } from './errors';
import { assertBalancedJournal, journalImbalances, journalTotals, normalBalance } from './journal';

const line = (account: string, currency: string, debit: number, credit: number) => ({
  account,
  currency,
  debit,
  credit,
});

describe('journal balance', () => {
  it('totals debits and credits per currency', () => {
    const lines = [line('ar', 'USD', 1000, 0), line('revenue', 'USD', 0, 1000), line('ar', 'EUR', 5, 0)];
    expect(journalTotals(lines)).toEqual([
      { currency: 'USD', debits: 1000, credits: 1000 },
      { currency: 'EUR', debits: 5, credits: 0 },
    ]);
    expect(journalImbalances(lines)).toEqual([{ currency: 'EUR', debits: 5, credits: 0 }]);
  });

  it('accepts a balanced entry and names the currency of an unbalanced one', () => {
    expect(() =>
      assertBalancedJournal([
        line('ar', 'USD', 1190, 0),
        line('discounts', 'USD', 300, 0),
        line('rev', 'USD', 0, 1490),
      ]),
    ).not.toThrow();
    expect(() => assertBalancedJournal([line('ar', 'USD', 100, 0), line('rev', 'USD', 0, 99)])).toThrow(
      /USD debits 100 ≠ credits 99/,
    );
  });

  it('does not let two currencies offset each other', () => {
    expect(() => assertBalancedJournal([line('ar', 'USD', 100, 0), line('rev', 'EUR', 0, 100)])).toThrow(
      InvalidAmountError,
    );
  });

  it('refuses negative, fractional, two-sided and empty lines', () => {
    expect(() => assertBalancedJournal([line('a', 'USD', -5, 0), line('b', 'USD', 0, -5)])).toThrow(
      /negative/,
    );
    expect(() => assertBalancedJournal([line('a', 'USD', 1.5, 0), line('b', 'USD', 0, 1.5)])).toThrow(
      /integer/,
    );
    expect(() => assertBalancedJournal([line('a', 'USD', 5, 5)])).toThrow(/both debits and credits/);
    expect(() => assertBalancedJournal([line('a', 'USD', 0, 0)])).toThrow(/moves no money/);
    expect(() => assertBalancedJournal([line('a', 'XXX', 1, 0), line('b', 'XXX', 0, 1)])).toThrow();
  });

  it('reads a balance on the account’s normal side', () => {
    expect(normalBalance(700, 200, 'debit')).toBe(500);
    expect(normalBalance(700, 200, 'credit')).toBe(-500);
  });

  it('balances any entry built by mirroring its debits', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 10_000_000 }), { minLength: 1, maxLength: 12 }), (amounts) => {
        const debits = amounts.map((amount, index) => line(`d${index}`, 'JPY', amount + 1, 0));
        const total = debits.reduce((sum, debit) => sum + debit.debit, 0);
        expect(() => assertBalancedJournal([...debits, line('c', 'JPY', 0, total)])).not.toThrow();
        expect(journalImbalances([...debits, line('c', 'JPY', 0, total + 1)])).toHaveLength(1);
      }),
    );
  });
});

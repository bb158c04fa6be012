import { closeCurrencies, isClosed } from './month-close';

describe('month close', () => {
  it('adds deferred and recognized up to what was invoiced net of credits, per currency', () => {
    expect(
      closeCurrencies([
        { currency: 'USD', invoiced: 120_000, credited: 3334, recognized: 10_000, deferred: 106_666 },
        { currency: 'EUR', invoiced: 5000, credited: 0, recognized: 1000, deferred: 3999 },
      ]),
    ).toEqual([
      {
        currency: 'USD',
        invoicedNetOfCredits: 116_666,
        recognized: 10_000,
        deferred: 106_666,
        balanced: true,
      },
      { currency: 'EUR', invoicedNetOfCredits: 5000, recognized: 1000, deferred: 3999, balanced: false },
    ]);
  });

  it('closes only with a balanced trial balance, balanced currencies, the run caught up and no finding', () => {
    const base = {
      month: '2026-01',
      at: '2026-02-01T00:00:00.000Z',
      trialBalanceBalanced: true,
      currencies: [],
      schedulesBehind: 0,
      findings: [],
      exportLines: 10,
    };
    expect(isClosed(base)).toBe(true);
    expect(isClosed({ ...base, trialBalanceBalanced: false })).toBe(false);
    expect(isClosed({ ...base, schedulesBehind: 2 })).toBe(false);
  });
});

import { randomUUID } from 'node:crypto';
import type {
  AccountBalanceView,
  CustomerStatementView,
  RevenueReport,
  TrialBalanceView,
} from '@astrix/contracts';
import { BillingTestApp, purchase, startBillingTestApp } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { eventually } from '../support/test-app';

const FINANCE = { sub: 'staff_finance', roles: ['finance'] };
const DAY_MS = 86_400_000;

/**
 * The reports over entries the live paths posted: a purchase on the fake Stripe and a partial
 * refund. The trial balance balances, the revenue report equals the ledger's revenue and refunds
 * accounts, and the customer's statement tells the story and ends settled.
 */
describe('ledger reports over live postings', () => {
  let t: BillingTestApp;
  beforeAll(async () => {
    t = await startBillingTestApp();
  });
  afterAll(() => t.close());

  const get = <T>(url: string) =>
    t.inject({ method: 'GET', url, headers: t.as(FINANCE) }).then((response) => {
      if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
      return response.json<T>();
    });

  it('a purchase and a partial refund: balanced, revenue as the ledger says, statement settled', async () => {
    const { charge } = await purchase(
      t,
      { sub: 'user_reports_live', email: 'reports.live@example.com' },
      'evaluation-25k',
    );
    const refund = await t.inject({
      method: 'POST',
      url: `/v1/admin/charges/${String(charge.id)}/refunds`,
      headers: { ...t.as(FINANCE), 'idempotency-key': randomUUID() },
      payload: { amount: 1000, reason: 'requested_by_customer' },
    });
    expect(refund.statusCode).toBe(201);
    await t.fake.flushWebhooks();
    await eventually(async () => {
      const [row] = await t.dataSource.query('SELECT status FROM billing.refunds WHERE id = $1', [
        refund.json().id,
      ]);
      return row?.status === 'succeeded' ? row : null;
    }, 20_000);

    const trialBalance = await get<TrialBalanceView>('/v1/admin/ledger/trial-balance');
    expect(trialBalance.balanced).toBe(true);
    expect(trialBalance.totals.map((total) => total.currency)).toEqual(['USD']);

    const from = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
    const to = new Date(Date.now() + 2 * DAY_MS).toISOString().slice(0, 10);
    const revenue = await get<RevenueReport>(`/v1/admin/reports/revenue?from=${from}&to=${to}&groupBy=month`);
    const balance = async (account: string) =>
      (await get<AccountBalanceView>(`/v1/admin/ledger/accounts/${account}?currency=USD`)).balances[0]
        ?.balance ?? 0;
    const [usd] = revenue.totals;
    expect(usd).toMatchObject({
      currency: 'USD',
      charges: 1,
      gross: await balance('revenue_evaluation'),
      discounts: await balance('discounts'),
      // An evaluation is earned over its expected duration (recognition policy) and nothing is
      // recognized yet: the refund came off deferred revenue, not revenue.
      refunds: 0,
    });
    expect(usd.refunds).toBe(await balance('refunds'));
    expect(usd.net).toBe(0);
    expect(await balance('deferred_revenue')).toBe(Number(charge.amount) - 1000);

    const statement = await get<CustomerStatementView>(
      `/v1/admin/ledger/customers/${String(charge.customer_id)}/statement`,
    );
    // The receipt is issued when the payment is recorded, a moment after Stripe took it: order by
    // business time may put `paid` first; the story and the end are the same.
    const byKind = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
    expect(statement.data.map((line) => [line.kind, line.debit, line.credit]).sort(byKind)).toEqual([
      ['billed', Number(charge.amount), 0],
      ['credited', 0, 1000],
      ['paid', 0, Number(charge.amount)],
      ['refunded', 1000, 0],
    ]);
    expect(statement.data.at(-1)?.balance).toBe(0);
    expect(statement.currencies).toEqual([
      expect.objectContaining({ currency: 'USD', openingBalance: 0, closingBalance: 0, closingCredit: 0 }),
    ]);
    await expectBooksClean(t.app);
  });
});

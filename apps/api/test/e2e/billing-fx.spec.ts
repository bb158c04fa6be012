import type { InvoiceView } from '@astrix/contracts';
import { expectBooksClean } from '../support/books';
import { eventually } from '../support/test-app';
import { type SubscriptionTestApp, startSubscriptionTestApp } from '../support/subscriptions';

const FINANCE = { sub: 'staff_finance', roles: ['finance'] };

describe('currencies (issue #20): FX rates, snapshots on invoices and journal lines, reporting currency', () => {
  let t: SubscriptionTestApp;
  let planId: string;
  let invoiceId: string;
  let subscriptionId: string;

  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-03-02T09:00:00Z');
    const product = await t.inject({
      method: 'POST',
      url: '/v1/admin/products',
      headers: t.as({ sub: 'staff_admin', roles: ['admin'] }),
      payload: {
        kind: 'subscription',
        name: 'FX Plan',
        attributes: { trialDays: 0 },
        prices: [{ currency: 'EUR', unitAmount: 10_000, recurring: { interval: 'month' } }],
      },
    });
    expect(product.statusCode).toBe(201);
    planId = (product.json() as { id: string }).id;
  });
  afterAll(() => t.close());

  const invoiceView = async (): Promise<InvoiceView> => {
    const response = await t.inject({
      method: 'GET',
      url: `/v1/billing/invoices/${invoiceId}`,
      headers: t.trader('user_fx'),
    });
    expect(response.statusCode).toBe(200);
    return response.json() as InvoiceView;
  };

  it('imports ECB-style daily rates, all or nothing, audited', async () => {
    const bad = await t.inject({
      method: 'POST',
      url: '/v1/admin/fx-rates/import',
      headers: t.as(FINANCE),
      payload: { csv: 'Date,USD,GBP,\n2026-03-02,1.10,0.85,\n2026-03-01,abc,0.85,\n' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toBe('line 3, column 2 (USD): abc is not a positive decimal rate');
    expect(await t.dataSource.query('SELECT 1 FROM billing.fx_rates')).toEqual([]);

    const imported = await t.inject({
      method: 'POST',
      url: '/v1/admin/fx-rates/import',
      headers: t.as(FINANCE),
      payload: { csv: 'Date,USD,GBP,JPY,\n2026-03-02,1.10,0.85,N/A,\n' },
    });
    expect(imported.statusCode).toBe(200);
    expect(imported.json()).toEqual({ rates: 2, days: 1 });
    const audit = await t.dataSource.query(
      `SELECT action FROM platform.audit_log WHERE resource_type = 'fx_rate'`,
    );
    expect(audit).toEqual([{ action: 'fx_rates.imported' }]);
  });

  it('an EUR invoice keeps the FX snapshot of its finalization day', async () => {
    await t.addCard('user_fx');
    const subscribed = await t.subscribe('user_fx', { productId: planId, currency: 'EUR' });
    expect(subscribed.statusCode).toBe(201);
    subscriptionId = (subscribed.json() as { id: string }).id;
    const [row] = await eventually(async () => {
      const rows = await t.invoicesOf(subscriptionId);
      return rows[0]?.status === 'paid' ? rows : undefined;
    });
    invoiceId = row.id;
    expect((await invoiceView()).reporting).toEqual({
      currency: 'USD',
      total: 11_000,
      tax: 0,
      rate: '1.10',
      source: 'ecb',
      asOf: '2026-03-02T00:00:00.000Z',
    });
    const lines = (await t.dataSource.query(
      `SELECT DISTINCT l.currency, l.reporting_currency, l.fx_rate, l.fx_source FROM billing.journal_lines l
         JOIN billing.journal_entries e ON e.id = l.entry_id
        WHERE e.source_type = 'invoice' AND e.source_id = $1`,
      [invoiceId],
    )) as unknown[];
    expect(lines).toEqual([
      { currency: 'EUR', reporting_currency: 'USD', fx_rate: '1.10', fx_source: 'ecb' },
    ]);
  });

  it("reported in USD later, it uses the snapshot rate of its finalization day, not today's", async () => {
    t.setNow('2026-03-20T09:00:00Z');
    const today = await t.inject({
      method: 'PUT',
      url: '/v1/admin/fx-rates',
      headers: t.as(FINANCE),
      payload: { day: '2026-03-20', base: 'EUR', quote: 'USD', rate: '1.25' },
    });
    expect(today.statusCode).toBe(200);
    // A correction of the finalization day's rate does not rewrite the invoice either.
    const corrected = await t.inject({
      method: 'PUT',
      url: '/v1/admin/fx-rates',
      headers: t.as(FINANCE),
      payload: { day: '2026-03-02', base: 'EUR', quote: 'USD', rate: '1.11' },
    });
    expect(corrected.statusCode).toBe(200);
    expect((await invoiceView()).reporting).toMatchObject({ total: 11_000, rate: '1.10' });
    // The tax report in the reporting currency converts at the same snapshot.
    const report = await t.inject({
      method: 'GET',
      url: '/v1/admin/reports/tax?from=2026-03-01&to=2026-04-01',
      headers: t.as(FINANCE),
    });
    expect(report.json().reporting).toEqual({
      currency: 'USD',
      taxableAmount: 11_000,
      tax: 0,
      unconverted: 0,
    });
    const rates = await t.inject({
      method: 'GET',
      url: '/v1/admin/fx-rates?day=2026-03-20',
      headers: t.as(FINANCE),
    });
    expect(rates.json()).toEqual([
      expect.objectContaining({ base: 'EUR', quote: 'USD', rate: '1.25', source: 'admin' }),
    ]);
  });

  it('refuses a rate that is not a positive decimal, and a billing currency switch while a subscription runs', async () => {
    const bad = await t.inject({
      method: 'PUT',
      url: '/v1/admin/fx-rates',
      headers: t.as(FINANCE),
      payload: { day: '2026-03-20', base: 'EUR', quote: 'USD', rate: '-1' },
    });
    expect(bad.statusCode).toBe(400);
    const euro = await t.inject({
      method: 'PUT',
      url: '/v1/billing/tax-details',
      headers: t.trader('user_fx'),
      payload: { country: 'IE', billingCurrency: 'EUR' },
    });
    expect(euro.statusCode).toBe(200);
    const switched = await t.inject({
      method: 'PUT',
      url: '/v1/billing/tax-details',
      headers: t.trader('user_fx'),
      payload: { country: 'IE', billingCurrency: 'GBP' },
    });
    expect(switched.statusCode).toBe(409);
    expect(switched.json().error.message).toContain('never switches currency mid-period');
    await expectBooksClean(t.app);
  });
});

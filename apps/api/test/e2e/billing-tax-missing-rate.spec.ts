import { MetricsRegistry } from '../../src/platform/metrics/metrics-registry';
import { productBySlug } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { type SubscriptionTestApp, startSubscriptionTestApp } from '../support/subscriptions';

const FINANCE = { sub: 'staff_finance', roles: ['finance'] };

/**
 * Issue #20 defect: the seller is registered in a jurisdiction (France, under the EU OSS scheme) but
 * billing.tax_rates has no French rate. Checkout used to answer 500; it must refuse precisely, and a
 * renewal in the billing run must be held with a named reason, never issued with a wrong tax.
 */
describe('tax: a registered jurisdiction without a rate in force (issue #20 defect)', () => {
  let t: SubscriptionTestApp;
  let planId: string;

  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-03-02T09:00:00Z');
    planId = await t.createPlan({ name: 'Missing Rate Plan', unitAmount: 5_000, interval: 'month' });
    const created = await t.inject({
      method: 'POST',
      url: '/v1/admin/tax-rates',
      headers: t.as(FINANCE),
      payload: { country: 'GB', name: 'UK VAT', percentage: '20', inclusive: true, validFrom: '2011-01-04' },
    });
    expect(created.statusCode).toBe(201);
  });
  afterAll(() => t.close());

  async function setCountry(user: string, country: string): Promise<void> {
    const set = await t.inject({
      method: 'PUT',
      url: '/v1/billing/tax-details',
      headers: t.trader(user),
      payload: { country },
    });
    expect(set.statusCode).toBe(200);
  }

  it('checkout answers 422 TAX_RATE_MISSING in the error envelope, naming the jurisdiction, and records nothing', async () => {
    await t.addCard('user_fr_checkout');
    await setCountry('user_fr_checkout', 'FR');
    const productId = (await productBySlug(t, 'evaluation-25k')).id;
    const response = await t.inject({
      method: 'POST',
      url: '/v1/billing/checkout-sessions',
      headers: t.trader('user_fr_checkout'),
      payload: { productId, currency: 'USD' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatchObject({
      code: 'TAX_RATE_MISSING',
      message: expect.stringContaining('FR'),
    });
    expect(response.json().error.requestId).toEqual(expect.any(String));
    const sessions = (await t.dataSource.query(
      `SELECT s.id FROM billing.checkout_sessions s JOIN billing.customers c ON c.id = s.customer_id
        WHERE c.user_id = 'user_fr_checkout'`,
    )) as unknown[];
    expect(sessions).toEqual([]);
  });

  it('a subscription bought through the API is refused the same way (no invoice, no subscription)', async () => {
    await t.addCard('user_fr_subscribe');
    await setCountry('user_fr_subscribe', 'FR');
    const response = await t.inject({
      method: 'POST',
      url: '/v1/billing/subscriptions',
      headers: { ...t.trader('user_fr_subscribe'), 'idempotency-key': 'sub-fr-1' },
      payload: { productId: planId, currency: 'USD' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().error.code).toBe('TAX_RATE_MISSING');
    const rows = (await t.dataSource.query(
      `SELECT s.id FROM billing.subscriptions s JOIN billing.customers c ON c.id = s.customer_id
        WHERE c.user_id = 'user_fr_subscribe'`,
    )) as unknown[];
    expect(rows).toEqual([]);
  });

  it('the billing run holds the renewal with the reason and counts it, invoices the others, and issues it once the rate exists', async () => {
    // Two customers subscribe in the UK; one then moves to France, where no rate is in force.
    await t.addCard('user_moves_fr');
    await setCountry('user_moves_fr', 'GB');
    const moving = await t.subscribe('user_moves_fr', { productId: planId, currency: 'USD' });
    expect(moving.statusCode).toBe(201);
    const movingId = (moving.json() as { id: string }).id;
    await t.addCard('user_stays_gb');
    await setCountry('user_stays_gb', 'GB');
    const staying = await t.subscribe('user_stays_gb', { productId: planId, currency: 'USD' });
    expect(staying.statusCode).toBe(201);
    const stayingId = (staying.json() as { id: string }).id;
    await t.paidInvoicesOf(movingId, 1);
    await t.paidInvoicesOf(stayingId, 1);
    await setCountry('user_moves_fr', 'FR');

    const run = await t.runBillingAt('2026-04-03T09:00:00Z');
    expect(run.status).toBe('completed');
    expect(run.progress.failed).toBe(1);
    expect(run.failures).toEqual([
      { subscriptionId: movingId, error: expect.stringMatching(/^TAX_RATE_MISSING: .*FR/) },
    ]);
    // Held: no second invoice, the period not advanced; the other customer renewed with UK VAT.
    expect(await t.invoicesOf(movingId)).toHaveLength(1);
    const [held] = (await t.dataSource.query(
      'SELECT current_period_end FROM billing.subscriptions WHERE id = $1',
      [movingId],
    )) as Array<{ current_period_end: Date }>;
    expect(held.current_period_end.toISOString()).toBe('2026-04-02T09:00:00.000Z');
    expect(await t.invoicesOf(stayingId)).toHaveLength(2);
    const metrics = await t.app.get(MetricsRegistry).registry.metrics();
    expect(metrics).toMatch(/astrix_tax_rate_missing_total\{country="FR"\} [1-9]/);

    // Finance adds the rate; the next run issues the held renewal, taxed at it.
    const added = await t.inject({
      method: 'POST',
      url: '/v1/admin/tax-rates',
      headers: t.as(FINANCE),
      payload: { country: 'FR', name: 'FR TVA', percentage: '20', inclusive: true, validFrom: '2026-01-01' },
    });
    expect(added.statusCode).toBe(201);
    const rerun = await t.runBilling();
    expect(rerun.progress.failed).toBe(0);
    const invoices = await t.invoicesOf(movingId);
    expect(invoices).toHaveLength(2);
    const [renewal] = (await t.dataSource.query(
      `SELECT tax_country, tax::int AS tax, total::int AS total FROM billing.invoices
        WHERE subscription_id = $1 ORDER BY issued_at DESC LIMIT 1`,
      [movingId],
    )) as Array<{ tax_country: string; tax: number; total: number }>;
    expect(renewal).toMatchObject({ tax_country: 'FR', total: 5_000, tax: 833 });
    await expectBooksClean(t.app);
  });
});

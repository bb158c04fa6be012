import type { InvoiceView } from '@astrix/contracts';
import { createFakeStripeServer, type FakeStripeServer } from '@astrix/stripe-client';
import { CatalogService } from '../../src/modules/billing/catalog/catalog.service';
import { BillingRuns } from '../../src/modules/billing/subscriptions/billing-runs.service';
import { validateEnvironment } from '../../src/platform/config/environment';
import { productBySlug, stripeSessionIdOf } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { eventually, startTestApp, type TestApp } from '../support/test-app';

/**
 * Issue #20: TAX_ENGINE=stripe in live mode. The app holds a real Stripe key and the official SDK
 * talks to "Stripe" at STRIPE_API_URL (here the fake Stripe, registered for UK VAT at 20 %). A
 * checkout by a UK customer is taxed by a Stripe Tax calculation: the tax shows per line on the
 * receipt and in tax_payable. When Stripe Tax fails, checkout answers 503, never zero tax.
 */
describe('tax through Stripe Tax (TAX_ENGINE=stripe, live mode)', () => {
  const webhookSecret = 'whsec_stripe_tax_engine_test';
  let stripe: FakeStripeServer;
  let t: TestApp;
  let productId: string;

  beforeAll(async () => {
    stripe = await createFakeStripeServer({
      webhookSecret,
      tax: { headOffice: 'GB', registrations: [{ country: 'GB', percentage: '20', taxType: 'vat' }] },
    });
    t = await startTestApp({
      workers: true,
      env: {
        STRIPE_SECRET_KEY: 'sk_test_stripe_tax_engine',
        STRIPE_WEBHOOK_SECRET: webhookSecret,
        STRIPE_API_URL: stripe.url,
        TAX_ENGINE: 'stripe',
      },
    });
    await t.app.listen(0, '127.0.0.1');
    stripe.controls.setWebhookEndpoint(`${await t.app.getUrl()}/webhooks/stripe`, webhookSecret);
    await t.app.get(CatalogService).seedDemoCatalog();
    productId = (await productBySlug(t, 'evaluation-25k')).id;
  });
  afterAll(async () => {
    await t.close();
    await stripe.close();
  });

  const trader = (sub: string) => t.as({ sub, email: `${sub}@example.com` });
  const checkout = (sub: string) =>
    t.inject({
      method: 'POST',
      url: '/v1/billing/checkout-sessions',
      headers: trader(sub),
      payload: { productId, currency: 'USD' },
    });

  /** A customer with UK tax details (the first, untaxed checkout creates the customer). */
  async function ukCustomer(sub: string): Promise<void> {
    expect((await checkout(sub)).statusCode).toBe(201);
    const set = await t.inject({
      method: 'PUT',
      url: '/v1/billing/tax-details',
      headers: trader(sub),
      payload: { country: 'GB', postalCode: 'EC3M 3BY' },
    });
    expect(set.statusCode).toBe(200);
  }

  const calculations = () =>
    stripe.controls.requestLog().filter((entry) => entry.path === '/v1/tax/calculations');

  it('the sandbox refuses TAX_ENGINE=stripe at start, naming the variable', () => {
    expect(() => validateEnvironment({ NODE_ENV: 'test', TAX_ENGINE: 'stripe' })).toThrow(
      /TAX_ENGINE=stripe needs STRIPE_SECRET_KEY/,
    );
    expect(() => validateEnvironment({ NODE_ENV: 'test', TAX_ENGINE: 'avalara' })).toThrow(
      /TAX_ENGINE must be one of rate-table, stripe/,
    );
  });

  it('a UK checkout is taxed by a Stripe Tax calculation: 20 % inclusive per line, in tax_payable', async () => {
    await ukCustomer('user_stax_uk');
    const before = calculations().length;
    const session = await checkout('user_stax_uk');
    expect(session.statusCode).toBe(201);
    expect(calculations().length).toBe(before + 1);
    const breakdown = session.json<{ breakdown: { total: { amount: number }; tax?: { amount: number } } }>()
      .breakdown;
    const total = breakdown.total.amount;

    const paid = await fetch(
      `${stripe.url}/sandbox/checkout-sessions/${await stripeSessionIdOf(t, session.json<{ id: string }>().id)}/pay`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ card: '4242424242424242' }),
      },
    );
    expect(paid.status).toBeLessThan(400);
    await stripe.flushWebhooks();
    const receipt = await eventually(async () => {
      const [row] = (await t.dataSource.query(
        `SELECT i.id FROM billing.invoices i JOIN billing.charges c ON c.id = i.charge_id
          WHERE c.checkout_session_id = $1`,
        [session.json<{ id: string }>().id],
      )) as Array<{ id: string }>;
      return row;
    }, 20_000);
    const view = await t.inject({
      method: 'GET',
      url: `/v1/billing/invoices/${receipt.id}`,
      headers: trader('user_stax_uk'),
    });
    expect(view.statusCode).toBe(200);
    const invoice = view.json<InvoiceView>();
    // Inclusive 20 %: the price is the total and holds a sixth of it as VAT.
    expect(invoice).toMatchObject({ total, tax: Math.round(total / 6) });
    expect(invoice.taxDetails).toMatchObject({ treatment: 'standard', country: 'GB' });
    expect(invoice.lines[0]).toMatchObject({
      tax: { amount: Math.round(total / 6), currency: 'USD' },
      taxRate: { percentage: '20', inclusive: true },
    });
    const [line] = (await t.dataSource.query(
      'SELECT tax_rate_id FROM billing.invoice_lines WHERE invoice_id = $1',
      [receipt.id],
    )) as Array<{ tax_rate_id: string }>;
    expect(line.tax_rate_id).toBe('stripe_tax:GB:20:incl');
    const [payable] = (await t.dataSource.query(
      `SELECT COALESCE(sum(credit - debit), 0)::int AS balance FROM billing.journal_lines
        WHERE account = 'tax_payable' AND currency = 'USD'`,
    )) as Array<{ balance: number }>;
    expect(payable.balance).toBe(Math.round(total / 6));
    await expectBooksClean(t.app);
  });

  it('a customer outside the registrations is not taxed (not_registered), as Stripe says', async () => {
    const sub = 'user_stax_br';
    expect((await checkout(sub)).statusCode).toBe(201);
    await t.inject({
      method: 'PUT',
      url: '/v1/billing/tax-details',
      headers: trader(sub),
      payload: { country: 'BR' },
    });
    const session = await checkout(sub);
    expect(session.statusCode).toBe(201);
    const breakdown = session.json<{ breakdown: Record<string, unknown> }>().breakdown;
    expect(JSON.stringify(breakdown)).toContain('not_registered');
  });

  it('Stripe Tax failing is a 503 in the error envelope, and no checkout is opened, never zero tax', async () => {
    await ukCustomer('user_stax_down');
    const sessionsBefore = (await t.dataSource.query(
      `SELECT count(*)::int AS n FROM billing.checkout_sessions s JOIN billing.customers c ON c.id = s.customer_id
        WHERE c.user_id = 'user_stax_down'`,
    )) as Array<{ n: number }>;
    stripe.controls.injectFault({ kind: 'server_error', path: '/v1/tax/calculations', times: 'always' });
    try {
      const response = await checkout('user_stax_down');
      expect(response.statusCode).toBe(503);
      expect(response.json().error).toMatchObject({
        code: 'TAX_ENGINE_UNAVAILABLE',
        message: expect.stringContaining('Stripe Tax did not answer'),
      });
    } finally {
      stripe.controls.clearFaults();
    }
    const sessionsAfter = (await t.dataSource.query(
      `SELECT count(*)::int AS n FROM billing.checkout_sessions s JOIN billing.customers c ON c.id = s.customer_id
        WHERE c.user_id = 'user_stax_down'`,
    )) as Array<{ n: number }>;
    expect(sessionsAfter[0].n).toBe(sessionsBefore[0].n);
    // Once Stripe Tax answers again, the same checkout goes through, taxed.
    expect((await checkout('user_stax_down')).statusCode).toBe(201);
  });

  it('a renewal whose Stripe Tax call fails is held by the billing run with the reason, then issued taxed', async () => {
    const sub = 'user_stax_sub';
    // A card saved through Stripe.js (this creates the customer), then UK tax details.
    const setup = await t.inject({
      method: 'POST',
      url: '/v1/billing/payment-methods/setup-intent',
      headers: trader(sub),
      payload: {},
    });
    expect(setup.statusCode).toBe(201);
    const intent = setup.json<{ id: string; clientSecret: string }>();
    const confirmed = await fetch(`${stripe.url}/v1/setup_intents/${intent.id}/confirm`, {
      method: 'POST',
      headers: { authorization: 'Bearer pk_test_stax', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ payment_method: 'pm_card_visa', client_secret: intent.clientSecret }),
    });
    expect(confirmed.status).toBe(200);
    await stripe.flushWebhooks();
    await eventually(async () => {
      const cards = await t.inject({
        method: 'GET',
        url: '/v1/billing/payment-methods',
        headers: trader(sub),
      });
      return cards.json<Array<{ isDefault: boolean }>>().some((card) => card.isDefault);
    }, 20_000);
    const set = await t.inject({
      method: 'PUT',
      url: '/v1/billing/tax-details',
      headers: trader(sub),
      payload: { country: 'GB' },
    });
    expect(set.statusCode).toBe(200);
    const plan = await t.inject({
      method: 'POST',
      url: '/v1/admin/products',
      headers: t.as({ sub: 'staff_stax_admin', roles: ['admin'] }),
      payload: {
        kind: 'subscription',
        name: 'Stripe Tax Plan',
        attributes: { trialDays: 0 },
        prices: [{ currency: 'USD', unitAmount: 12_000, recurring: { interval: 'month' } }],
      },
    });
    expect(plan.statusCode).toBe(201);
    const subscribed = await t.inject({
      method: 'POST',
      url: '/v1/billing/subscriptions',
      headers: trader(sub),
      payload: { productId: plan.json<{ id: string }>().id, currency: 'USD' },
    });
    expect(subscribed.statusCode).toBe(201);
    const subscriptionId = subscribed.json<{ id: string }>().id;
    const invoices = () =>
      t.dataSource.query(
        'SELECT tax::int AS tax, total::int AS total FROM billing.invoices WHERE subscription_id = $1 ORDER BY issued_at',
        [subscriptionId],
      ) as Promise<Array<{ tax: number; total: number }>>;
    expect(await invoices()).toEqual([{ tax: 2_000, total: 12_000 }]);

    const runs = t.app.get(BillingRuns);
    const system = { actor: { kind: 'system', name: 'test' }, requestId: null } as const;
    const asOf = new Date(Date.now() + 40 * 86_400_000);
    stripe.controls.injectFault({ kind: 'server_error', path: '/v1/tax/calculations', times: 'always' });
    let held;
    try {
      held = await runs.execute((await runs.create('manual', system, asOf)).id);
    } finally {
      stripe.controls.clearFaults();
    }
    expect(held.failures).toEqual([
      {
        subscriptionId,
        error: expect.stringMatching(/^TAX_ENGINE_UNAVAILABLE: .*Stripe Tax did not answer/),
      },
    ]);
    expect(await invoices()).toHaveLength(1);

    const rerun = await runs.execute((await runs.create('manual', system, asOf)).id);
    expect(rerun.progress.failed).toBe(0);
    expect(await invoices()).toEqual([
      { tax: 2_000, total: 12_000 },
      { tax: 2_000, total: 12_000 },
    ]);
  });
});

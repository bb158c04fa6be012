import { Clock } from '../../src/platform/clock';
import { BillingRuns } from '../../src/modules/billing/subscriptions/billing-runs.service';
import { InvoiceCollection } from '../../src/modules/billing/collection/invoice-collection.service';
import { BillingTestApp, productBySlug, startBillingTestApp } from '../support/billing';
import { eventually } from '../support/test-app';
import { expectBooksClean } from '../support/books';

const ADMIN = { sub: 'staff_admin', roles: ['admin'] };
const SYSTEM = { actor: { kind: 'system', name: 'test' }, requestId: null } as const;

describe('subscriptions: scheduled changes, per-plan dunning to the end, cards and portal', () => {
  let t: BillingTestApp;
  let now: Date;

  beforeAll(async () => {
    t = await startBillingTestApp();
    now = new Date('2026-09-01T00:00:00Z');
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now.getTime()));
  });
  afterAll(() => t.close());

  const as = (sub: string) => t.as({ sub, email: `${sub}@example.com` });
  const runBilling = async () => {
    const runs = t.app.get(BillingRuns);
    return runs.execute((await runs.create('manual', SYSTEM, now)).id);
  };
  async function addCard(sub: string) {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/billing/payment-methods/setup-intent',
      headers: as(sub),
      payload: { paymentMethodId: 'pm_card_visa' },
    });
    expect(response.statusCode).toBe(201);
  }
  async function subscribe(sub: string, productId: string, extra: Record<string, unknown> = {}) {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/billing/subscriptions',
      headers: as(sub),
      payload: { productId, currency: 'USD', trialDays: 0, ...extra },
    });
    expect(response.statusCode).toBe(201);
    return response.json() as { id: string; currentPeriodEnd: string; status: string };
  }

  it('applies a downgrade scheduled for the period end at renewal, and the renewal bills the new plan', async () => {
    const user = 'user_scheduled';
    now = new Date('2026-09-01T00:00:00Z');
    await addCard(user);
    const elite = (await productBySlug(t, 'elite-monthly')).id;
    const pro = (await productBySlug(t, 'pro-monthly')).id;
    const sub = await subscribe(user, elite, { quantity: 3 });
    now = new Date('2026-09-10T00:00:00Z');
    const scheduled = await t.inject({
      method: 'POST',
      url: `/v1/billing/subscriptions/${sub.id}/change-plan`,
      headers: as(user),
      payload: { productId: pro, quantity: 2 },
    });
    expect(scheduled.json()).toMatchObject({
      productId: elite,
      quantity: 3,
      scheduledChange: { productId: pro, quantity: 2, effectiveAt: '2026-10-01T00:00:00.000Z' },
    });
    // Nothing is invoiced for a scheduled downgrade.
    const invoicesBefore = await t.dataSource.query(
      `SELECT id FROM billing.invoices WHERE subscription_id = $1`,
      [sub.id],
    );
    expect(invoicesBefore).toHaveLength(1);
    const preview = await t.inject({
      method: 'GET',
      url: `/v1/billing/subscriptions/${sub.id}/upcoming-invoice`,
      headers: as(user),
    });
    expect(preview.json()).toMatchObject({ total: 9800, lines: [{ kind: 'plan', quantity: 2 }] });

    now = new Date('2026-10-01T01:00:00Z');
    await runBilling();
    const after = await t.inject({
      method: 'GET',
      url: `/v1/billing/subscriptions/${sub.id}`,
      headers: as(user),
    });
    expect(after.json()).toMatchObject({ productId: pro, quantity: 2, scheduledChange: null });
    const [renewal] = await t.dataSource.query(
      `SELECT total FROM billing.invoices WHERE subscription_id = $1 AND billing_reason = 'subscription_cycle'`,
      [sub.id],
    );
    expect(renewal.total).toBe('9800');
    const changes = (await t.outbox('billing.subscription.updated'))
      .filter((event) => event.subject === sub.id)
      .map((event) => event.envelope.data.change);
    expect(changes).toEqual(['created', 'status_changed', 'change_scheduled', 'plan_changed']);
  });

  it("runs a plan's own dunning schedule to the end: past_due, then paused and written off", async () => {
    const created = await t.inject({
      method: 'POST',
      url: '/v1/admin/products',
      headers: t.as(ADMIN),
      payload: {
        name: 'Desk Feed',
        kind: 'subscription',
        attributes: { dunning: { retryDays: [2], finalAction: 'pause', pastDueAfterAttempts: 2 } },
        prices: [{ currency: 'USD', unitAmount: 1500, recurring: { interval: 'month' } }],
      },
    });
    expect(created.statusCode).toBe(201);
    const user = 'user_dunning_plan';
    now = new Date('2026-09-01T00:00:00Z');
    await addCard(user);
    const sub = await subscribe(user, created.json().id);
    expect(sub.status).toBe('active');

    t.fake.controls.declineNextPayments({ count: 2, declineCode: 'expired_card' });
    now = new Date('2026-10-01T01:00:00Z');
    await runBilling();
    const invoiceId = await eventually(async () => {
      const [row] = await t.dataSource.query(
        `SELECT invoice_id FROM billing.dunning_cases WHERE subscription_id = $1`,
        [sub.id],
      );
      return row?.invoice_id as string | undefined;
    });
    const status = async () =>
      (await t.dataSource.query(`SELECT status FROM billing.subscriptions WHERE id = $1`, [sub.id]))[0]
        .status;
    // One failure is below this plan's past_due threshold of two.
    expect(await status()).toBe('active');
    const [first] = await t.dataSource.query(`SELECT * FROM billing.dunning_cases WHERE invoice_id = $1`, [
      invoiceId,
    ]);
    expect(first.policy).toEqual({ retryDays: [2], finalAction: 'pause', pastDueAfterAttempts: 2 });
    expect(new Date(first.next_attempt_at).toISOString()).toBe('2026-10-03T01:00:00.000Z');

    // Not yet due: nothing happens.
    now = new Date('2026-10-02T00:00:00Z');
    expect(await t.app.get(InvoiceCollection).collectDueRetries()).toBe(0);
    now = new Date('2026-10-03T01:00:00Z');
    expect(await t.app.get(InvoiceCollection).collectDueRetries()).toBe(1);
    const [last] = await t.dataSource.query(`SELECT * FROM billing.dunning_cases WHERE invoice_id = $1`, [
      invoiceId,
    ]);
    expect(last).toMatchObject({ status: 'exhausted', failed_attempts: 2, next_attempt_at: null });
    expect(await status()).toBe('paused');
    const [invoice] = await t.dataSource.query(`SELECT status FROM billing.invoices WHERE id = $1`, [
      invoiceId,
    ]);
    expect(invoice.status).toBe('uncollectible');
    const changes = (await t.outbox('billing.subscription.updated'))
      .filter((event) => event.subject === sub.id)
      .map((event) => `${event.envelope.data.from}->${event.envelope.data.to}`);
    expect(changes).toEqual(['null->incomplete', 'incomplete->active', 'active->paused']);
    // A paused subscription is not renewed; resuming starts and bills a fresh period.
    now = new Date('2026-11-05T00:00:00Z');
    await runBilling();
    const resumed = await t.inject({
      method: 'POST',
      url: `/v1/billing/subscriptions/${sub.id}/resume`,
      headers: as(user),
    });
    expect(resumed.json()).toMatchObject({
      status: 'active',
      currentPeriodStart: '2026-11-05T00:00:00.000Z',
      currentPeriodEnd: '2026-12-05T00:00:00.000Z',
    });
    const invoices = await t.dataSource.query(
      `SELECT status, total FROM billing.invoices WHERE subscription_id = $1 ORDER BY issued_at`,
      [sub.id],
    );
    expect(invoices.map((row: { status: string }) => row.status)).toEqual(['paid', 'uncollectible', 'paid']);
  });

  it('removes a saved card, clears it as default, and opens the billing portal', async () => {
    const user = 'user_cards';
    await addCard(user);
    const [card] = (
      await t.inject({ method: 'GET', url: '/v1/billing/payment-methods', headers: as(user) })
    ).json() as Array<{ id: string; isDefault: boolean; last4: string }>;
    expect(card).toMatchObject({ isDefault: true, last4: '4242' });
    const removed = await t.inject({
      method: 'DELETE',
      url: `/v1/billing/payment-methods/${card.id}`,
      headers: as(user),
    });
    expect(removed.statusCode).toBe(204);
    expect(
      (await t.inject({ method: 'GET', url: '/v1/billing/payment-methods', headers: as(user) })).json(),
    ).toEqual([]);
    const [customer] = await t.dataSource.query(
      `SELECT default_payment_method_id FROM billing.customers WHERE user_id = $1`,
      [user],
    );
    expect(customer.default_payment_method_id).toBeNull();
    const portal = await t.inject({
      method: 'POST',
      url: '/v1/billing/portal-sessions',
      headers: as(user),
      payload: { returnUrl: 'https://app.example.com/billing' },
    });
    expect(portal.statusCode).toBe(201);
    expect(portal.json().url).toMatch(/^http/);
    const badUrl = await t.inject({
      method: 'POST',
      url: '/v1/billing/portal-sessions',
      headers: as(user),
      payload: { returnUrl: 'javascript:alert(1)' },
    });
    expect(badUrl.statusCode).toBe(400);
    expect(
      (await t.inject({ method: 'DELETE', url: '/v1/billing/payment-methods/not-a-card', headers: as(user) }))
        .statusCode,
    ).toBe(404);
  });

  it('records a failed 3-D Secure confirmation once and withdraws the confirmation link', async () => {
    const user = 'user_sca_fails';
    const headers = as(user);
    const setup = await t.inject({
      method: 'POST',
      url: '/v1/billing/payment-methods/setup-intent',
      headers,
      payload: { paymentMethodId: 'pm_card_threeDSecure2Required' },
    });
    t.fake.controls.authenticate(setup.json().id, true);
    const [card] = (await t.inject({ method: 'GET', url: '/v1/billing/payment-methods', headers })).json();
    await t.inject({ method: 'POST', url: `/v1/billing/payment-methods/${card.id}/default`, headers });
    const sub = await subscribe(user, (await productBySlug(t, 'pro-monthly')).id);
    expect(sub.status).toBe('incomplete');
    const [invoice] = await t.dataSource.query(`SELECT * FROM billing.invoices WHERE subscription_id = $1`, [
      sub.id,
    ]);
    expect(invoice.action_url).not.toBeNull();
    await t.fake.flushWebhooks();

    t.fake.controls.authenticate(invoice.payment_intent_id, false);
    await t.fake.flushWebhooks();
    await eventually(async () => {
      const [row] = await t.dataSource.query(`SELECT action_url FROM billing.invoices WHERE id = $1`, [
        invoice.id,
      ]);
      return row.action_url === null;
    });
    const failures = (await t.outbox('billing.invoice.payment_failed')).filter(
      (event) => event.subject === invoice.id,
    );
    expect(failures.map((event) => event.envelope.data.attempt)).toEqual([1]);
    const [row] = await t.dataSource.query(`SELECT status FROM billing.subscriptions WHERE id = $1`, [
      sub.id,
    ]);
    expect(row.status).toBe('incomplete');
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

import { InvoiceCollection } from '../../src/modules/billing/collection/invoice-collection.service';
import { productBySlug } from '../support/billing';
import { startSubscriptionTestApp, SubscriptionTestApp } from '../support/subscriptions';
import { eventually } from '../support/test-app';
import { expectBooksClean } from '../support/books';

const STAFF = { sub: 'staff_finance', roles: ['finance'] };

describe('subscriptions (e2e, sandbox Stripe, controllable clock)', () => {
  let t: SubscriptionTestApp;
  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-01-31T12:00:00Z');
  });
  afterAll(() => t.close());

  const setNow = (iso: string) => t.setNow(iso);
  const as = (sub: string) => t.trader(sub);
  const addCard = (sub: string, token?: string) => t.addCard(sub, token);
  const runBilling = () => t.runBilling();
  const invoicesOf = (subscriptionId: string) => t.invoicesOf(subscriptionId);
  async function subscribe(sub: string, slug: string, extra: Record<string, unknown> = {}) {
    const productId = (await productBySlug(t, slug)).id;
    return t.subscribe(sub, { productId, currency: 'USD', ...extra });
  }

  async function linesOf(
    invoiceId: string,
  ): Promise<Array<{ kind: string; amount: string; quantity: number }>> {
    return t.dataSource.query(
      'SELECT kind, amount, quantity FROM billing.invoice_lines WHERE invoice_id = $1 ORDER BY position',
      [invoiceId],
    );
  }

  async function subscription(sub: string, id: string): Promise<Record<string, unknown>> {
    const response = await t.inject({
      method: 'GET',
      url: `/v1/billing/subscriptions/${id}`,
      headers: as(sub),
    });
    expect(response.statusCode).toBe(200);
    return response.json();
  }

  it('trial → first invoice paid → upgrade with proration → failed renewal → dunning → new card → paid → canceled at period end', async () => {
    const user = 'user_journey';
    setNow('2026-01-31T12:00:00Z');
    const card = await addCard(user);
    expect(card.status).toBe('succeeded');

    const created = await subscribe(user, 'pro-monthly');
    expect(created.statusCode).toBe(201);
    const sub = created.json();
    expect(sub).toMatchObject({
      status: 'trialing',
      trialEnd: '2026-02-07T12:00:00.000Z',
      currentPeriodEnd: '2026-02-07T12:00:00.000Z',
      unitAmount: { amount: 4900, currency: 'USD' },
    });
    expect(await invoicesOf(sub.id)).toEqual([]);

    // Trial ends: the first period is invoiced (after the hour late usage may still arrive) and collected.
    setNow('2026-02-07T13:00:00Z');
    const firstRun = await runBilling();
    expect(firstRun).toMatchObject({
      status: 'completed',
      progress: { invoicesCreated: 1, failed: 0, remaining: 0 },
    });
    const [first] = await eventually(async () => {
      const rows = await invoicesOf(sub.id);
      return rows[0]?.status === 'paid' ? rows : undefined;
    });
    expect(first).toMatchObject({ billing_reason: 'subscription_cycle', total: '4900' });
    expect(first.period_start?.toISOString()).toBe('2026-02-07T12:00:00.000Z');
    expect(first.period_end?.toISOString()).toBe('2026-03-07T12:00:00.000Z');
    expect(await subscription(user, sub.id)).toMatchObject({ status: 'active' });

    // Upgrade halfway through the 28-day period: credit half of Pro, charge half of Elite.
    setNow('2026-02-21T12:00:00Z');
    const elite = await productBySlug(t, 'elite-monthly');
    const preview = await t.inject({
      method: 'GET',
      url: `/v1/billing/subscriptions/${sub.id}/upcoming-invoice`,
      headers: as(user),
    });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toMatchObject({ total: 4900, periodStart: '2026-03-07T12:00:00.000Z' });
    const upgraded = await t.inject({
      method: 'POST',
      url: `/v1/billing/subscriptions/${sub.id}/change-plan`,
      headers: as(user),
      payload: { productId: elite.id },
    });
    expect(upgraded.statusCode).toBe(200);
    expect(upgraded.json()).toMatchObject({ productId: elite.id, status: 'active' });
    const afterUpgrade = await invoicesOf(sub.id);
    const proration = afterUpgrade[1];
    expect(proration).toMatchObject({ billing_reason: 'subscription_update', total: '2500', status: 'paid' });
    expect(await linesOf(proration.id)).toEqual([
      { kind: 'proration_credit', amount: '-2450', quantity: 1 },
      { kind: 'proration_charge', amount: '4950', quantity: 1 },
    ]);

    // Renewal at the new price fails twice; dunning makes the subscription past_due and retries.
    t.fake.controls.declineNextPayments({ count: 2, declineCode: 'insufficient_funds' });
    setNow('2026-03-07T13:00:00Z');
    await runBilling();
    const dunning = await eventually(async () => {
      const [row] = await t.dataSource.query(
        `SELECT d.* FROM billing.dunning_cases d JOIN billing.invoices i ON i.id = d.invoice_id WHERE i.subscription_id = $1`,
        [sub.id],
      );
      return row?.failed_attempts === 1 ? row : undefined;
    });
    expect(dunning).toMatchObject({ status: 'active', last_failure_code: 'insufficient_funds' });
    expect(new Date(dunning.next_attempt_at).toISOString()).toBe('2026-03-08T13:00:00.000Z');
    expect(await subscription(user, sub.id)).toMatchObject({ status: 'past_due' });
    const renewal = (await invoicesOf(sub.id))[2];
    expect(renewal).toMatchObject({ total: '9900', status: 'open' });

    const staffView = await t.inject({
      method: 'GET',
      url: `/v1/admin/invoices/${renewal.id}/dunning`,
      headers: t.as(STAFF),
    });
    expect(staffView.json()).toMatchObject({ status: 'active', failedAttempts: 1, retryDays: [1, 3, 5, 7] });

    setNow('2026-03-08T13:00:01Z');
    expect(await t.app.get(InvoiceCollection).collectDueRetries()).toBe(1);
    const [afterRetry] = await t.dataSource.query(
      'SELECT * FROM billing.dunning_cases WHERE invoice_id = $1',
      [renewal.id],
    );
    expect(afterRetry.failed_attempts).toBe(2);
    expect(new Date(afterRetry.next_attempt_at).toISOString()).toBe('2026-03-10T13:00:00.000Z');

    // A new card retries at once and recovers.
    await addCard(user);
    const methods = await t.inject({ method: 'GET', url: '/v1/billing/payment-methods', headers: as(user) });
    const fresh = (methods.json() as Array<{ id: string; isDefault: boolean }>).find(
      (method) => !method.isDefault,
    );
    expect(fresh).toBeDefined();
    const made = await t.inject({
      method: 'POST',
      url: `/v1/billing/payment-methods/${fresh?.id}/default`,
      headers: as(user),
    });
    expect(made.statusCode).toBe(200);
    expect((await invoicesOf(sub.id))[2]).toMatchObject({ status: 'paid' });
    expect(await subscription(user, sub.id)).toMatchObject({ status: 'active' });
    const [recovered] = await t.dataSource.query(
      'SELECT status FROM billing.dunning_cases WHERE invoice_id = $1',
      [renewal.id],
    );
    expect(recovered.status).toBe('recovered');

    // Canceled at period end: the period ends without an invoice, and nothing follows.
    setNow('2026-03-20T12:00:00Z');
    const canceled = await t.inject({
      method: 'POST',
      url: `/v1/billing/subscriptions/${sub.id}/cancel`,
      headers: as(user),
      payload: {},
    });
    expect(canceled.json()).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
    setNow('2026-04-07T13:00:00Z');
    await runBilling();
    setNow('2026-06-07T12:00:00Z');
    await runBilling();
    expect(await subscription(user, sub.id)).toMatchObject({
      status: 'canceled',
      endedAt: '2026-04-07T12:00:00.000Z',
    });
    expect(await invoicesOf(sub.id)).toHaveLength(3);

    const events = await t.outbox('billing.subscription.updated');
    const changes = events
      .filter((event) => event.subject === sub.id)
      .map((event) => `${event.envelope.data.change}:${event.envelope.data.to}`);
    expect(changes).toEqual([
      'created:trialing',
      'status_changed:active',
      'plan_changed:active',
      'status_changed:past_due',
      'status_changed:active',
      'cancel_scheduled:active',
      'status_changed:canceled',
    ]);
    const paymentFailed = (await t.outbox('billing.invoice.payment_failed')).filter(
      (event) => event.subject === renewal.id,
    );
    expect(paymentFailed.map((event) => event.envelope.data.attempt)).toEqual([1, 2]);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

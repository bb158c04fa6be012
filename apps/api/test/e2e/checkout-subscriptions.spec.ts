import { addBillingIntervals } from '@astrix/pricing';
import { payWithCard, productBySlug, chargeOf } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { startSubscriptionTestApp, SubscriptionTestApp } from '../support/subscriptions';
import { eventually, issueApiKey } from '../support/test-app';

const ADMIN = { sub: 'staff_checkout_subscriptions', roles: ['admin'] };

// The processor keeps real time: a checkout page must expire 30 minutes to 24 hours from its real
// now, and ours closes 31 minutes after our clock's now. So each test starts our clock at the real
// now (a clock set once when the file loaded drifts past that minute on a busy machine).
const realNow = (): Date => new Date(Math.floor(Date.now() / 1000) * 1000);
let start = realNow();
const month = (count: number): Date => addBillingIntervals(start, 'month', count);
const after = (at: Date, minutes: number): string => new Date(at.getTime() + minutes * 60_000).toISOString();

/**
 * Issue 17, "subscriptions sold at checkout": a subscription product bought through a checkout
 * session must become a real subscription (the card saved, the first period paid by the checkout
 * payment, renewed by the billing run), not a one-time payment that leaks every later period.
 */
describe('subscriptions sold at checkout (e2e, sandbox Stripe, controllable clock)', () => {
  let t: SubscriptionTestApp;
  beforeAll(async () => {
    t = await startSubscriptionTestApp(start.toISOString());
  });
  afterAll(() => t.close());

  async function checkout(sub: string, productId: string): Promise<string> {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/billing/checkout-sessions',
      headers: t.trader(sub),
      payload: { productId, currency: 'USD' },
    });
    expect(response.statusCode).toBe(201);
    return response.json().id as string;
  }

  async function buy(sub: string, productId: string): Promise<{ sessionId: string; chargeId: string }> {
    const sessionId = await checkout(sub, productId);
    expect((await payWithCard(t, sessionId, '4242424242424242')).status).toBe(200);
    await t.fake.flushWebhooks();
    const charge = await chargeOf(t, sessionId);
    return { sessionId, chargeId: charge.id as string };
  }

  const subscriptionsOf = async (sub: string): Promise<Array<Record<string, unknown>>> => {
    const response = await t.inject({
      method: 'GET',
      url: '/v1/billing/subscriptions',
      headers: t.trader(sub),
    });
    expect(response.statusCode).toBe(200);
    return response.json().data;
  };

  const chargesOf = (userId: string): Promise<Array<{ id: string; amount: string; invoice_id: string }>> =>
    t.dataSource.query('SELECT id, amount, invoice_id FROM billing.charges WHERE user_id = $1 ORDER BY id', [
      userId,
    ]);

  it('leak: the demo Pro subscription bought through checkout leaves no subscription row and never renews', async () => {
    const user = 'user_checkout_pro';
    start = realNow();
    t.setNow(start.toISOString());
    const pro = await productBySlug(t, 'pro-monthly');
    const { chargeId } = await buy(user, pro.id);

    // A real subscription, active and paid for its first period by the checkout payment.
    const [subscription] = await eventually(async () => {
      const list = await subscriptionsOf(user);
      return list.length > 0 ? list : undefined;
    });
    expect(subscription).toMatchObject({
      productId: pro.id,
      status: 'active',
      currentPeriodStart: start.toISOString(),
      currentPeriodEnd: month(1).toISOString(),
      unitAmount: { amount: 4900, currency: 'USD' },
    });
    const subscriptionId = subscription.id as string;

    // The checkout's receipt is the first period's invoice: one invoice, one charge, no double charge.
    const [first] = await t.paidInvoicesOf(subscriptionId, 1);
    expect(first).toMatchObject({
      billing_reason: 'subscription_create',
      total: '4900',
      amount_paid: '4900',
      period_start: start,
      period_end: month(1),
    });
    expect(subscription.latestInvoiceId).toBe(first.id);
    expect(await chargesOf(user)).toEqual([{ id: chargeId, amount: '4900', invoice_id: first.id }]);
    const [completed] = (await t.outbox('billing.payment.completed')).filter(
      (event) => event.subject === chargeId,
    );
    expect(completed.envelope.data).toMatchObject({ paidFor: 'purchase', subscriptionId });

    // The subscription grants the plan's features: the trading platform's check allows them.
    const checkKey = await issueApiKey(t, 'trading-platform', ['entitlements:read']);
    const entitlement = await t.inject({
      method: 'POST',
      url: '/v1/entitlements/check',
      headers: { authorization: `Bearer ${checkKey}` },
      payload: { customerId: subscription.customerId, featureId: 'advanced-analytics' },
    });
    expect(entitlement.statusCode).toBe(200);
    expect(entitlement.json()).toMatchObject({ allowed: true });

    // The card used at checkout is kept for renewals: the billing run charges it for the next period.
    const run = await t.runBillingAt(after(month(1), 90));
    expect(run.status).toBe('completed');
    const [, renewal] = await t.paidInvoicesOf(subscriptionId, 2);
    expect(renewal).toMatchObject({
      billing_reason: 'subscription_cycle',
      total: '4900',
      amount_paid: '4900',
      period_start: month(1),
      period_end: month(2),
    });
    const charges = await eventually(async () => {
      const rows = await chargesOf(user);
      return rows.length === 2 ? rows : undefined;
    });
    expect(charges.map((charge) => charge.invoice_id).sort()).toEqual([first.id, renewal.id].sort());
    const renewalEvents = (await t.outbox('billing.payment.completed')).filter(
      (event) => event.envelope.data.invoiceId === renewal.id,
    );
    expect(renewalEvents).toHaveLength(1);
    expect(renewalEvents[0].envelope.data).toMatchObject({ paidFor: 'invoice', subscriptionId });

    // A second checkout of the same plan while the first is live is refused before Stripe is called.
    const again = await t.inject({
      method: 'POST',
      url: '/v1/billing/checkout-sessions',
      headers: t.trader(user),
      payload: { productId: pro.id, currency: 'USD' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toContain(subscriptionId);
    await expectBooksClean(t.app);
  });

  it('leak: a subscription with account terms bought at checkout provisions one account, which real renewals keep, suspend while unpaid and reinstate when paid', async () => {
    const user = 'user_checkout_account';
    start = realNow();
    t.setNow(start.toISOString());
    const created = await t.inject({
      method: 'POST',
      url: '/v1/admin/products',
      headers: t.as(ADMIN),
      payload: {
        kind: 'subscription',
        name: 'Evaluation club 25K',
        attributes: {
          accountSize: 25000,
          phases: 1,
          profitTargetPercent: ['8'],
          maxDailyLossPercent: '5',
          maxTotalLossPercent: '10',
          minTradingDays: 3,
        },
        prices: [{ currency: 'USD', unitAmount: 9900, recurring: { interval: 'month' } }],
      },
    });
    expect(created.statusCode).toBe(201);
    const productId = created.json().id as string;
    const { chargeId } = await buy(user, productId);

    const [subscription] = await eventually(async () => {
      const list = await subscriptionsOf(user);
      return list.length > 0 ? list : undefined;
    });
    expect(subscription).toMatchObject({ productId, status: 'active' });
    const subscriptionId = subscription.id as string;
    const accounts = async (): Promise<Array<Record<string, unknown>>> =>
      (await t.inject({ method: 'GET', url: '/v1/accounts?limit=100', headers: t.trader(user) })).json().data;
    const accountWith = (id: string | null, status: string) =>
      eventually(async () =>
        (await accounts()).find((account) => (id === null || account.id === id) && account.status === status),
      );
    const account = await accountWith(null, 'active');
    expect(account).toMatchObject({ chargeId, kind: 'evaluation', productId, size: 25000 });
    const [row] = await t.dataSource.query('SELECT subscription_id FROM accounts.accounts WHERE id = $1', [
      account.id,
    ]);
    expect(row.subscription_id).toBe(subscriptionId);

    // A one-off evaluation of the same trader is not tied to the subscription; support suspends it.
    const oneOff = await buy(user, (await productBySlug(t, 'evaluation-50k')).id);
    const oneOffAccount = await eventually(async () =>
      (await accounts()).find((item) => item.chargeId === oneOff.chargeId && item.status === 'active'),
    );
    const bySupport = await t.inject({
      method: 'POST',
      url: `/v1/admin/accounts/${oneOffAccount.id}/suspend`,
      headers: t.as({ sub: 'staff_support', roles: ['support'] }),
      payload: { reason: 'investigating' },
    });
    expect(bySupport.json().status).toBe('suspended');

    // A real renewal, paid by the saved card, keeps the account: nothing else is provisioned.
    await t.runBillingAt(after(month(1), 90));
    const [, firstRenewal] = await t.paidInvoicesOf(subscriptionId, 2);
    const renewalPaid = await eventually(async () =>
      (await t.outbox('billing.payment.completed')).find(
        (event) => event.envelope.data.invoiceId === firstRenewal.id,
      ),
    );
    expect(renewalPaid.envelope.data).toMatchObject({ paidFor: 'invoice', subscriptionId, productId });
    expect((await accounts()).map((item) => [item.id, item.status]).sort()).toEqual(
      [
        [account.id, 'active'],
        [oneOffAccount.id, 'suspended'],
      ].sort(),
    );

    // The trader removes the saved card: the next renewal fails (billing.payment.failed), the
    // subscription goes past due and its account, only its own, is suspended.
    const [card] = (
      await t.inject({ method: 'GET', url: '/v1/billing/payment-methods', headers: t.trader(user) })
    ).json() as Array<{ id: string; isDefault: boolean }>;
    expect(card.isDefault).toBe(true);
    const removed = await t.inject({
      method: 'DELETE',
      url: `/v1/billing/payment-methods/${card.id}`,
      headers: t.trader(user),
    });
    expect(removed.statusCode).toBe(204);
    await t.runBillingAt(after(month(2), 90));
    const [, , secondRenewal] = await eventually(async () => {
      const rows = await t.invoicesOf(subscriptionId);
      return rows.length === 3 ? rows : undefined;
    });
    expect(secondRenewal.status).toBe('open');
    const failed = await eventually(async () =>
      (await t.outbox('billing.payment.failed')).find(
        (event) => event.envelope.data.invoiceId === secondRenewal.id,
      ),
    );
    expect(failed.envelope.data).toMatchObject({ paidFor: 'invoice', subscriptionId, attempt: 1 });
    await eventually(async () => {
      const [current] = await subscriptionsOf(user);
      return current.status === 'past_due' ? current : undefined;
    });
    const suspended = await accountWith(account.id as string, 'suspended');
    expect(suspended.id).toBe(account.id);

    // A new card pays the open renewal: the subscription is active and its account trades again; the
    // account support suspended stays suspended.
    await t.addCard(user);
    await eventually(async () => {
      const [current] = await subscriptionsOf(user);
      return current.status === 'active' ? current : undefined;
    });
    await accountWith(account.id as string, 'active');
    expect((await accounts()).find((item) => item.id === oneOffAccount.id)?.status).toBe('suspended');

    // Canceling the subscription suspends its account.
    const canceled = await t.inject({
      method: 'POST',
      url: `/v1/billing/subscriptions/${subscriptionId}/cancel`,
      headers: t.trader(user),
      payload: { atPeriodEnd: false },
    });
    expect(canceled.statusCode).toBe(200);
    await accountWith(account.id as string, 'suspended');
    await expectBooksClean(t.app);
  });

  it('two checkouts of one plan racing: one page opens, the other is refused, so two payments cannot start two subscriptions', async () => {
    const user = 'user_checkout_race';
    start = realNow();
    t.setNow(start.toISOString());
    const pro = await productBySlug(t, 'pro-monthly');
    const open = () =>
      t.inject({
        method: 'POST',
        url: '/v1/billing/checkout-sessions',
        headers: t.trader(user),
        payload: { productId: pro.id, currency: 'USD' },
      });
    const responses = await Promise.all([open(), open(), open()]);
    expect(responses.map((response) => response.statusCode).sort()).toEqual([201, 409, 409]);
    const refused = responses.filter((response) => response.statusCode === 409);
    for (const response of refused) {
      expect(response.json().error).toMatchObject({ code: 'CHECKOUT_IN_PROGRESS' });
    }
    const sessions: unknown[] = await t.dataSource.query(
      `SELECT id FROM billing.checkout_sessions WHERE user_id = $1`,
      [user],
    );
    expect(sessions).toHaveLength(1);
  });
});

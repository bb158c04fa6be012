import { productBySlug } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { startSubscriptionTestApp, SubscriptionTestApp } from '../support/subscriptions';
import { issueApiKey } from '../support/test-app';
import { ADMIN, createFeature, grantToPlan } from '../support/usage';

/**
 * Issue 17, trials: the trial is the plan's (staff may grant another, audited), one per customer and
 * plan family, a plan may require a card first, and usage beyond the allowance during a trial is
 * refused or billed as the plan says, never free by accident.
 */
describe('subscription trials (e2e, controllable clock)', () => {
  let t: SubscriptionTestApp;
  let pro: string;
  let checkKey: string;
  let usageKey: string;
  let sequence = 0;

  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-05-01T00:00:00Z');
    pro = (await productBySlug(t, 'pro-monthly')).id; // a 7-day trial
    checkKey = await issueApiKey(t, 'trading-platform', ['entitlements:read']);
    usageKey = await issueApiKey(t, 'trading-platform-usage', ['usage:write']);
    await createFeature(t, { id: 'trial-calls', name: 'Trial calls', kind: 'metered' });
  });
  afterAll(() => t.close());
  beforeEach(() => t.setNow('2026-05-01T00:00:00Z'));

  /** A plan created by an admin with these attributes (trial settings among them). */
  async function createPlan(name: string, attributes: Record<string, unknown>): Promise<string> {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/admin/products',
      headers: t.as(ADMIN),
      payload: {
        kind: 'subscription',
        name,
        attributes,
        prices: [{ currency: 'USD', unitAmount: 2000, recurring: { interval: 'month' } }],
      },
    });
    expect({ status: response.statusCode, body: response.json() }).toMatchObject({ status: 201 });
    return response.json().id;
  }
  const subscriptionsOf = async (user: string): Promise<number> => {
    const [{ count }] = await t.dataSource.query(
      'SELECT count(*)::int AS count FROM billing.subscriptions WHERE user_id = $1',
      [user],
    );
    return count;
  };
  const cancelNow = async (user: string, id: string) => {
    const response = await t.inject({
      method: 'POST',
      url: `/v1/billing/subscriptions/${id}/cancel`,
      headers: t.trader(user),
      payload: { atPeriodEnd: false },
    });
    expect(response.statusCode).toBe(200);
  };
  const use = async (user: string, featureId: string, quantity: number) => {
    sequence += 1;
    const response = await t.inject({
      method: 'POST',
      url: '/v1/usage/events',
      headers: { authorization: `Bearer ${usageKey}` },
      payload: {
        customerId: user,
        featureId,
        quantity,
        timestamp: '2026-05-01T00:00:00.000Z',
        idempotencyKey: `trial-${sequence}`,
      },
    });
    expect(response.statusCode).toBe(201);
  };
  const check = async (user: string, featureId: string, quantity: number) => {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/entitlements/check',
      headers: { authorization: `Bearer ${checkKey}` },
      payload: { customerId: user, featureId, quantity },
    });
    expect(response.statusCode).toBe(200);
    return response.json();
  };

  it("trial leak: a trader's trialDays longer than the plan's is refused (422, nothing created); the plan's own is fine", async () => {
    const user = 'user_trial_365';
    const long = await t.subscribe(user, { productId: pro, currency: 'USD', trialDays: 365 });
    expect(long.statusCode).toBe(422);
    expect(long.json().error).toMatchObject({
      code: 'UNPROCESSABLE',
      details: [expect.objectContaining({ field: 'trialDays' })],
    });
    expect(long.json().error.message).toContain("the plan's trial is 7 days");
    expect(await subscriptionsOf(user)).toBe(0);

    const planTrial = await t.subscribe(user, { productId: pro, currency: 'USD' });
    expect(planTrial.statusCode).toBe(201);
    expect(planTrial.json()).toMatchObject({ status: 'trialing', trialEnd: '2026-05-08T00:00:00.000Z' });
  });

  it('trial leak: cancel and subscribe again gives no second trial in the plan family', async () => {
    const user = 'user_trial_again';
    await t.addCard(user);
    const first = await t.subscribe(user, { productId: pro, currency: 'USD' });
    expect(first.json()).toMatchObject({ status: 'trialing' });
    await cancelNow(user, first.json().id);

    const again = await t.subscribe(user, { productId: pro, currency: 'USD' });
    expect(again.statusCode).toBe(201);
    // No second trial: the card is charged for the first period at once.
    expect(again.json()).toMatchObject({ status: 'active', trialEnd: null });
    const [invoice] = await t.paidInvoicesOf(again.json().id, 1);
    expect(invoice).toMatchObject({ billing_reason: 'subscription_create', total: '4900' });

    // A trader without a card who already had the trial needs one now.
    const noCard = 'user_trial_again_no_card';
    const trial = await t.subscribe(noCard, { productId: pro, currency: 'USD' });
    expect(trial.json()).toMatchObject({ status: 'trialing' });
    await cancelNow(noCard, trial.json().id);
    const refused = await t.subscribe(noCard, { productId: pro, currency: 'USD' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.message).toContain('payment method');
    expect(await subscriptionsOf(noCard)).toBe(1);
  });

  it('one trial per plan family across plans; a plan may allow a trial every time', async () => {
    const monthly = await createPlan('Analytics monthly', { trialDays: 14, trialFamily: 'analytics' });
    const yearly = await createPlan('Analytics plus', { trialDays: 14, trialFamily: 'analytics' });
    const everyTime = await createPlan('Demo plan', { trialDays: 3, trialOncePerCustomer: false });
    const user = 'user_trial_family';
    await t.addCard(user);
    const first = await t.subscribe(user, { productId: monthly, currency: 'USD' });
    expect(first.json()).toMatchObject({ status: 'trialing' });
    await cancelNow(user, first.json().id);
    const other = await t.subscribe(user, { productId: yearly, currency: 'USD' });
    expect(other.json()).toMatchObject({ status: 'active', trialEnd: null });
    await t.paidInvoicesOf(other.json().id, 1);

    for (let round = 0; round < 2; round += 1) {
      const demo = await t.subscribe(user, { productId: everyTime, currency: 'USD' });
      expect(demo.json()).toMatchObject({ status: 'trialing' });
      await cancelNow(user, demo.json().id);
    }
  });

  it('racing subscribes to plans of one family give one trial (the others need a card)', async () => {
    const plans = await Promise.all(
      ['A', 'B', 'C', 'D'].map((letter) =>
        createPlan(`Racing ${letter}`, { trialDays: 14, trialFamily: 'racing' }),
      ),
    );
    const user = 'user_trial_race';
    // The customer exists already (an earlier trial of another family), so the subscribes race at once.
    const warmup = await t.subscribe(user, { productId: pro, currency: 'USD' });
    expect(warmup.json()).toMatchObject({ status: 'trialing' });
    const responses = await Promise.all(
      [...plans, ...plans].map((productId) => t.subscribe(user, { productId, currency: 'USD' })),
    );
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.every((status) => [201, 409, 422].includes(status))).toBe(true);
    const rows = await t.dataSource.query(
      `SELECT status, trial_family FROM billing.subscriptions WHERE user_id = $1 AND trial_family = 'racing'`,
      [user],
    );
    expect(rows).toEqual([{ status: 'trialing', trial_family: 'racing' }]);
  });

  it('a plan may require a payment method before its trial', async () => {
    const carded = await createPlan('Carded trial', { trialDays: 14, trialRequiresPaymentMethod: true });
    const user = 'user_trial_carded';
    const refused = await t.subscribe(user, { productId: carded, currency: 'USD' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.message).toContain('payment method');
    expect(await subscriptionsOf(user)).toBe(0);
    await t.addCard(user);
    const ok = await t.subscribe(user, { productId: carded, currency: 'USD' });
    expect(ok.json()).toMatchObject({ status: 'trialing', trialEnd: '2026-05-15T00:00:00.000Z' });
  });

  it('trial leak: usage beyond the allowance during a trial is refused by default (the trial is not billed)', async () => {
    // pro-monthly: a 7-day trial, 10,000 market data calls included, more billed per 1,000 when paying.
    const user = 'user_trial_overage_refused';
    const trial = await t.subscribe(user, { productId: pro, currency: 'USD' });
    expect(trial.json()).toMatchObject({ status: 'trialing' });
    await use(user, 'market-data-api-calls', 10_000);
    expect(await check(user, 'market-data-api-calls', 1_000_000)).toMatchObject({
      allowed: false,
      reason: 'limit_reached',
      limit: 10_000,
      used: 10_000,
    });
    expect(await check(user, 'market-data-api-calls', 0)).toMatchObject({ allowed: true, reason: 'granted' });
  });

  it('a plan may bill usage beyond the allowance during its trial: the first invoice charges it', async () => {
    const billing = await createPlan('Metered, trial overage billed', { trialDays: 7, trialOverage: 'bill' });
    await grantToPlan(t, billing, 'trial-calls', {
      limit: 100,
      prices: [{ currency: 'USD', model: 'per_unit', unitAmount: 2 }],
    });
    const billedUser = 'user_trial_overage_billed';
    await t.addCard(billedUser);
    const billed = await t.subscribe(billedUser, { productId: billing, currency: 'USD' });
    expect(billed.json()).toMatchObject({ status: 'trialing' });
    await use(billedUser, 'trial-calls', 100);
    expect(await check(billedUser, 'trial-calls', 50)).toMatchObject({ allowed: true, reason: 'overage' });
    await use(billedUser, 'trial-calls', 50);

    // At the trial's end the first invoice bills the period ahead and the trial's 50 calls of overage.
    // (the run invoices a period once the late-usage grace after its end has passed)
    await t.runBillingAt('2026-05-09T00:00:00Z');
    const [invoice] = await t.paidInvoicesOf(billed.json().id, 1);
    expect(invoice).toMatchObject({ billing_reason: 'subscription_cycle', total: '2100' });
    const lines = await t.dataSource.query(
      'SELECT kind, amount FROM billing.invoice_lines WHERE invoice_id = $1 ORDER BY position',
      [invoice.id],
    );
    expect(lines).toEqual([
      { kind: 'plan', amount: '2000' },
      { kind: 'usage', amount: '100' },
    ]);
  });

  it('staff grant a different trial through the admin API (audited, named); traders cannot', async () => {
    const user = 'user_trial_granted';
    const created = await t.subscribe(user, { productId: pro, currency: 'USD' });
    const id = created.json().id as string;
    const grant = (headers: Record<string, string>, payload: Record<string, unknown>) =>
      t.inject({ method: 'POST', url: `/v1/admin/subscriptions/${id}/trial`, headers, payload });

    expect((await grant(t.trader(user), { trialDays: 60, reason: 'mine' })).statusCode).toBe(403);
    const staff = t.as({ sub: 'staff_trials', roles: ['support'] });
    for (const bad of [{ trialDays: 0, reason: 'x' }, { trialDays: 30 }, { trialDays: 366, reason: 'x' }]) {
      const response = await grant(staff, bad);
      expect({ bad, status: response.statusCode }).toEqual({ bad, status: 400 });
    }
    const granted = await grant(staff, { trialDays: 30, reason: 'Partner programme' });
    expect(granted.statusCode).toBe(200);
    expect(granted.json()).toMatchObject({
      status: 'trialing',
      trialEnd: '2026-05-31T00:00:00.000Z',
      currentPeriodEnd: '2026-05-31T00:00:00.000Z',
    });
    const [audit] = await t.dataSource.query(
      `SELECT actor_id, action, after FROM platform.audit_log WHERE resource_id = $1 AND action = 'subscription.trial_granted'`,
      [id],
    );
    expect(audit).toMatchObject({ actor_id: 'staff_trials' });
    expect(JSON.stringify(audit.after)).toContain('Partner programme');

    // Not once the trial has ended.
    const active = await t.subscribe('user_trial_granted_active', {
      productId: pro,
      currency: 'USD',
      trialDays: 0,
    });
    expect(active.statusCode).toBe(422); // no card: a trial of 0 days needs one
    await t.addCard('user_trial_granted_active');
    const paying = await t.subscribe('user_trial_granted_active', {
      productId: pro,
      currency: 'USD',
      trialDays: 0,
    });
    const late = await t.inject({
      method: 'POST',
      url: `/v1/admin/subscriptions/${paying.json().id}/trial`,
      headers: staff,
      payload: { trialDays: 30, reason: 'too late' },
    });
    expect(late.statusCode).toBe(409);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

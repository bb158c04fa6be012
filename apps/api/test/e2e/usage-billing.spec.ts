import { BillingRuns } from '../../src/modules/billing/subscriptions/billing-runs.service';
import { Clock } from '../../src/platform/clock';
import { BillingTestApp, productBySlug, startBillingTestApp } from '../support/billing';
import { eventually, issueApiKey } from '../support/test-app';
import { ADMIN } from '../support/usage';
import { expectBooksClean } from '../support/books';

const SYSTEM = { actor: { kind: 'system', name: 'test' }, requestId: null } as const;

/** Usage invoiced in arrears by the real billing run: a plan with graduated usage tiers above an allowance. */
describe('usage on subscription invoices (e2e, sandbox Stripe, controllable clock)', () => {
  let t: BillingTestApp;
  let now: Date;
  let usageKey: string;
  let checkKey: string;

  beforeAll(async () => {
    t = await startBillingTestApp();
    now = new Date('2026-03-01T09:00:00Z');
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now.getTime()));
    usageKey = await issueApiKey(t, 'market-data', ['usage:write']);
    checkKey = await issueApiKey(t, 'market-data-checks', ['entitlements:read']);
  });
  afterAll(() => t.close());

  const as = (sub: string) => t.as({ sub, email: `${sub}@example.com` });
  const runBilling = async () => {
    const runs = t.app.get(BillingRuns);
    const run = await runs.create('manual', SYSTEM, now);
    return runs.execute(run.id);
  };
  let sequence = 0;
  const use = async (user: string, quantity: number, timestamp: string) => {
    sequence += 1;
    const response = await t.inject({
      method: 'POST',
      url: '/v1/usage/events',
      headers: { authorization: `Bearer ${usageKey}` },
      payload: {
        customerId: user,
        featureId: 'market-data-api-calls',
        quantity,
        timestamp,
        idempotencyKey: `md-${sequence}`,
      },
    });
    expect(response.statusCode).toBe(201);
  };

  it('invoices the period: the plan fee in advance, and usage above the allowance through graduated tiers', async () => {
    const plan = await productBySlug(t, 'pro-monthly');
    // The demo seed gives pro-monthly 10,000 calls a month; staff price the overage in tiers.
    const priced = await t.inject({
      method: 'PUT',
      url: `/v1/admin/plans/${plan.id}/features/market-data-api-calls`,
      headers: t.as(ADMIN),
      payload: {
        limit: 10_000,
        prices: [
          {
            currency: 'USD',
            model: 'graduated',
            tiers: [
              { upTo: 5_000, unitAmount: 2 },
              { upTo: 20_000, unitAmount: 1 },
              { upTo: null, unitAmount: 0, flatAmount: 5_000 },
            ],
          },
        ],
      },
    });
    expect(priced.statusCode).toBe(200);

    const user = 'user_usage_billing';
    const card = await t.inject({
      method: 'POST',
      url: '/v1/billing/payment-methods/setup-intent',
      headers: as(user),
      payload: { paymentMethodId: 'pm_card_visa' },
    });
    expect(card.statusCode).toBe(201);
    const created = await t.inject({
      method: 'POST',
      url: '/v1/billing/subscriptions',
      headers: as(user),
      payload: { productId: plan.id, currency: 'USD' },
    });
    expect(created.statusCode).toBe(201);
    const subscription = created.json();
    const trialEnd = new Date(subscription.currentPeriodEnd as string);

    // Usage during the trial is not invoiced (the trial period closes without usage lines).
    now = new Date('2026-03-02T10:00:00Z');
    await use(user, 50_000, now.toISOString());

    // Periods are invoiced once the hour of grace for late usage has passed.
    now = new Date(trialEnd.getTime() + 3_600_000);
    await runBilling();
    await eventually(async () => {
      const [row] = await t.dataSource.query(
        `SELECT status FROM billing.invoices WHERE subscription_id = $1 AND status = 'paid'`,
        [subscription.id],
      );
      return row;
    });
    const [{ current_period_start: start, current_period_end: end }] = await t.dataSource.query(
      'SELECT current_period_start, current_period_end FROM billing.subscriptions WHERE id = $1',
      [subscription.id],
    );
    const check = async () =>
      (
        await t.inject({
          method: 'POST',
          url: '/v1/entitlements/check',
          headers: { authorization: `Bearer ${checkKey}` },
          payload: { customerId: user, featureId: 'market-data-api-calls', quantity: 1 },
        })
      ).json();

    now = new Date(start.getTime() + 3_600_000);
    await use(user, 9_000, now.toISOString());
    expect(await check()).toMatchObject({
      allowed: true,
      reason: 'granted',
      used: 9_000,
      remaining: 1_000,
      limit: 10_000,
    });
    now = new Date(start.getTime() + 2 * 3_600_000);
    await use(user, 18_500, now.toISOString());
    expect(await check()).toMatchObject({ allowed: true, reason: 'overage', used: 27_500, remaining: 0 });

    now = new Date(end.getTime() + 3_600_000);
    await runBilling();
    const invoice = await eventually(async () => {
      const [row] = await t.dataSource.query(
        `SELECT * FROM billing.invoices WHERE subscription_id = $1 AND period_start = $2`,
        [subscription.id, end],
      );
      return row as { id: string; total: string } | undefined;
    });
    const lines = await t.dataSource.query(
      `SELECT kind, description, quantity, amount FROM billing.invoice_lines WHERE invoice_id = $1 ORDER BY position`,
      [invoice.id],
    );
    // 27,500 calls, 10,000 included: 17,500 billed = 5,000 × $0.02 + 12,500 × $0.01 = $100 + $125.
    const usageLine = lines.find((line: { description: string }) =>
      line.description.startsWith('Market data API calls'),
    );
    expect(usageLine).toMatchObject({
      description: 'Market data API calls: 27500 calls, 10000 included, 17500 billed',
      quantity: 17_500,
      amount: '22500',
    });
    expect(Number(invoice.total)).toBe(4900 + 22500);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

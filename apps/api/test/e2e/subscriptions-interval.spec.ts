import { productBySlug } from '../support/billing';
import { startSubscriptionTestApp, SubscriptionTestApp } from '../support/subscriptions';
import { expectBooksClean } from '../support/books';

describe('subscriptions switching billing interval (e2e, controllable clock)', () => {
  let t: SubscriptionTestApp;
  let monthly: string;
  let yearly: string;

  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-04-01T00:00:00Z');
    monthly = (await productBySlug(t, 'pro-monthly')).id;
    yearly = await t.createPlan({
      name: 'Astrix Pro yearly',
      unitAmount: 49000,
      interval: 'year',
      trialDays: 7,
    });
  });
  afterAll(() => t.close());

  async function subscribe(sub: string, productId: string, trialDays: number): Promise<string> {
    await t.addCard(sub);
    const created = await t.subscribe(sub, { productId, currency: 'USD', trialDays });
    expect(created.statusCode).toBe(201);
    return created.json().id;
  }
  const changePlan = (sub: string, id: string, payload: Record<string, unknown>) =>
    t.inject({
      method: 'POST',
      url: `/v1/billing/subscriptions/${id}/change-plan`,
      headers: t.trader(sub),
      payload,
    });
  const linesOf = (invoiceId: string): Promise<Array<{ kind: string; amount: string }>> =>
    t.dataSource.query(
      'SELECT kind, amount FROM billing.invoice_lines WHERE invoice_id = $1 ORDER BY position',
      [invoiceId],
    );

  it('monthly → yearly mid-period: credits the unused month, bills a year from now, renews a year later', async () => {
    const user = 'user_to_yearly';
    t.setNow('2026-04-01T00:00:00Z');
    const id = await subscribe(user, monthly, 0);

    t.setNow('2026-04-16T00:00:00Z');
    const changed = await changePlan(user, id, { productId: yearly });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({
      status: 'active',
      productId: yearly,
      interval: 'year',
      currentPeriodStart: '2026-04-16T00:00:00.000Z',
      currentPeriodEnd: '2027-04-16T00:00:00.000Z',
    });
    const [, switched] = await t.paidInvoicesOf(id, 2);
    expect(switched).toMatchObject({ billing_reason: 'subscription_update', total: '46550' });
    expect(await linesOf(switched.id)).toEqual([
      { kind: 'proration_credit', amount: '-2450' },
      { kind: 'plan', amount: '49000' },
    ]);

    // The old monthly boundary is no longer one: nothing is due until the year ends.
    await t.runBillingAt('2026-05-01T01:30:00Z');
    expect(await t.paidInvoicesOf(id, 2)).toHaveLength(2);
    await t.runBillingAt('2027-04-16T01:30:00Z');
    const renewal = (await t.paidInvoicesOf(id, 3))[2];
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', total: '49000' });
    expect(renewal.period_end.toISOString()).toBe('2028-04-16T00:00:00.000Z');
  });

  it('yearly → monthly: the unused year goes to the balance, which pays the following months', async () => {
    const user = 'user_to_monthly';
    t.setNow('2026-04-01T00:00:00Z');
    const id = await subscribe(user, yearly, 0);

    // 183 of 365 days used: 182 / 365 of 490.00 back, 49.00 for the new month.
    t.setNow('2026-10-01T00:00:00Z');
    const changed = await changePlan(user, id, { productId: monthly });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ interval: 'month', currentPeriodEnd: '2026-11-01T00:00:00.000Z' });
    const [, switched] = await t.paidInvoicesOf(id, 2);
    expect(await linesOf(switched.id)).toEqual([
      { kind: 'proration_credit', amount: '-24433' },
      { kind: 'plan', amount: '4900' },
    ]);
    expect(switched).toMatchObject({ total: '-19533', amount_due: '0' });

    await t.runBillingAt('2026-11-01T01:30:00Z');
    const november = (await t.paidInvoicesOf(id, 3))[2];
    expect(november).toMatchObject({ total: '4900', credit_applied: '4900', amount_due: '0' });
    const [{ amount }] = await t.dataSource.query(
      `SELECT b.balance AS amount FROM billing.customer_balances b JOIN billing.subscriptions s ON s.customer_id = b.customer_id
        WHERE s.id = $1`,
      [id],
    );
    expect(amount).toBe(String(19533 - 4900));
  });

  it('with a coupon: credits what the discounted month cost and discounts the new year', async () => {
    await t.createCoupon({ code: 'HALFYEAR', kind: 'percent_off', percentOff: '50', duration: 'forever' });
    const user = 'user_to_yearly_coupon';
    t.setNow('2026-04-01T00:00:00Z');
    await t.addCard(user);
    const created = await t.subscribe(user, {
      productId: monthly,
      currency: 'USD',
      trialDays: 0,
      couponCode: 'HALFYEAR',
    });
    const id = created.json().id as string;
    t.setNow('2026-04-16T00:00:00Z');
    expect((await changePlan(user, id, { productId: yearly })).statusCode).toBe(200);
    const [first, switched] = await t.paidInvoicesOf(id, 2);
    expect(first).toMatchObject({ total: '2450' });
    // Half of the 24.50 paid back; the year at half price.
    expect(await linesOf(switched.id)).toEqual([
      { kind: 'proration_credit', amount: '-1225' },
      { kind: 'plan', amount: '49000' },
    ]);
    expect(switched).toMatchObject({ discount: '24500', total: String(49000 - 24500 - 1225) });
  });

  it('during a trial only the plan changes; the first invoice after it bills the new interval', async () => {
    const user = 'user_trial_to_yearly';
    t.setNow('2026-04-01T00:00:00Z');
    const id = await subscribe(user, monthly, 7);
    const changed = await changePlan(user, id, { productId: yearly });
    expect(changed.json()).toMatchObject({
      status: 'trialing',
      interval: 'year',
      currentPeriodEnd: '2026-04-08T00:00:00.000Z',
    });
    await t.runBillingAt('2026-04-08T01:30:00Z');
    const [first] = await t.paidInvoicesOf(id, 1);
    expect(first).toMatchObject({ total: '49000' });
    expect(first.period_end.toISOString()).toBe('2027-04-08T00:00:00.000Z');
  });

  it('refuses to schedule an interval change for period end, and a past-due switch, changing nothing', async () => {
    const user = 'user_interval_refused';
    t.setNow('2026-04-01T00:00:00Z');
    const id = await subscribe(user, monthly, 0);
    const scheduled = await changePlan(user, id, { productId: yearly, when: 'period_end' });
    expect(scheduled.statusCode).toBe(422);
    expect(scheduled.json().error.details).toEqual([
      { field: 'when', message: 'must be now (or omitted) when the billing interval changes' },
    ]);
    await t.dataSource.query(`UPDATE billing.subscriptions SET status = 'past_due' WHERE id = $1`, [id]);
    const pastDue = await changePlan(user, id, { productId: yearly });
    expect(pastDue.statusCode).toBe(409);
    const [row] = await t.dataSource.query(
      'SELECT interval, product_id, scheduled_change FROM billing.subscriptions WHERE id = $1',
      [id],
    );
    expect(row).toEqual({ interval: 'month', product_id: monthly, scheduled_change: null });
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

import { productBySlug } from '../support/billing';
import { startSubscriptionTestApp, SubscriptionTestApp } from '../support/subscriptions';
import { expectBooksClean } from '../support/books';

const ADMIN = { sub: 'admin_subscription_coupons', roles: ['admin'] };

describe('subscriptions with coupons (e2e, sandbox Stripe, controllable clock)', () => {
  let t: SubscriptionTestApp;
  let pro: string;
  let elite: string;

  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-04-01T00:00:00Z');
    pro = (await productBySlug(t, 'pro-monthly')).id;
    elite = (await productBySlug(t, 'elite-monthly')).id;
  });
  afterAll(() => t.close());

  let codes = 0;
  const coupon = (payload: Record<string, unknown>) =>
    t.createCoupon({ code: `SUBCPN-${(codes += 1)}`, ...payload });
  const subscribe = (sub: string, payload: Record<string, unknown>) =>
    t.subscribe(sub, { productId: pro, currency: 'USD', ...payload });

  const linesOf = (invoiceId: string): Promise<Array<{ kind: string; amount: string; discount: string }>> =>
    t.dataSource.query(
      'SELECT kind, amount, discount FROM billing.invoice_lines WHERE invoice_id = $1 ORDER BY position',
      [invoiceId],
    );
  const upcoming = async (sub: string, id: string) => {
    const response = await t.inject({
      method: 'GET',
      url: `/v1/billing/subscriptions/${id}/upcoming-invoice`,
      headers: t.trader(sub),
    });
    expect(response.statusCode).toBe(200);
    return response.json();
  };
  const redemptionsOf = (
    couponId: string,
  ): Promise<Array<{ subscription_id: string; charge_id: string | null; discount_amount: string }>> =>
    t.dataSource.query(
      'SELECT subscription_id, charge_id, discount_amount FROM billing.coupon_redemptions WHERE coupon_id = $1',
      [couponId],
    );

  it('a coupon repeating for 2 periods discounts the first two period invoices and not the third', async () => {
    const user = 'user_coupon_repeating';
    t.setNow('2026-04-01T00:00:00Z');
    await t.addCard(user);
    const twentyOff = await coupon({
      kind: 'percent_off',
      percentOff: '20',
      duration: 'repeating',
      durationPeriods: 2,
    });
    const created = await subscribe(user, { trialDays: 0, couponCode: twentyOff.code.toLowerCase() });
    expect(created.statusCode).toBe(201);
    const subscription = created.json();
    expect(subscription).toMatchObject({ status: 'active', couponId: twentyOff.id, couponPeriodsBilled: 1 });
    expect(await redemptionsOf(twentyOff.id)).toEqual([
      { subscription_id: subscription.id, charge_id: null, discount_amount: '980' },
    ]);

    const [first] = await t.invoicesOf(subscription.id);
    expect(first).toMatchObject({
      status: 'paid',
      billing_reason: 'subscription_create',
      subtotal: '4900',
      discount: '980',
      total: '3920',
      amount_paid: '3920',
    });
    expect(await linesOf(first.id)).toEqual([{ kind: 'plan', amount: '4900', discount: '980' }]);

    // The preview of the second period already shows its discount.
    expect(await upcoming(user, subscription.id)).toMatchObject({
      subtotal: 4900,
      discount: 980,
      total: 3920,
      lines: [{ kind: 'plan', amount: { amount: 4900 }, discount: { amount: 980, currency: 'USD' } }],
    });
    await t.runBillingAt('2026-05-01T01:30:00Z');
    await t.paidInvoicesOf(subscription.id, 2);
    await t.runBillingAt('2026-06-01T01:30:00Z');
    const invoices = await t.paidInvoicesOf(subscription.id, 3);
    expect(invoices.map(({ discount, total, status }) => ({ discount, total, status }))).toEqual([
      { discount: '980', total: '3920', status: 'paid' },
      { discount: '980', total: '3920', status: 'paid' },
      { discount: '0', total: '4900', status: 'paid' },
    ]);
    expect(await upcoming(user, subscription.id)).toMatchObject({ discount: 0, total: 4900 });
    const [{ coupon_periods_billed }] = await t.dataSource.query(
      'SELECT coupon_periods_billed FROM billing.subscriptions WHERE id = $1',
      [subscription.id],
    );
    expect(coupon_periods_billed).toBe(3);
  });

  it('a once coupon redeemed with a trial discounts the first invoice after the trial only', async () => {
    const user = 'user_coupon_trial';
    t.setNow('2026-04-01T00:00:00Z');
    await t.addCard(user);
    const tenOff = await coupon({ kind: 'amount_off', amountOff: { USD: 1000 }, duration: 'once' });
    const created = await subscribe(user, { couponCode: tenOff.code });
    expect(created.statusCode).toBe(201);
    const subscription = created.json();
    expect(subscription).toMatchObject({ status: 'trialing', couponId: tenOff.id, couponPeriodsBilled: 0 });
    expect(await t.invoicesOf(subscription.id)).toEqual([]);

    await t.runBillingAt('2026-04-08T01:30:00Z');
    await t.paidInvoicesOf(subscription.id, 1);
    await t.runBillingAt('2026-05-08T01:30:00Z');
    const invoices = await t.paidInvoicesOf(subscription.id, 2);
    expect(invoices.map(({ discount, total, status }) => ({ discount, total, status }))).toEqual([
      { discount: '1000', total: '3900', status: 'paid' },
      { discount: '0', total: '4900', status: 'paid' },
    ]);
  });

  it('does not discount a mid-period upgrade, and keeps discounting the new plan afterwards', async () => {
    const user = 'user_coupon_upgrade';
    t.setNow('2026-04-01T00:00:00Z');
    await t.addCard(user);
    const halfOff = await coupon({ kind: 'percent_off', percentOff: '50', duration: 'forever' });
    const subscription = (await subscribe(user, { trialDays: 0, couponCode: halfOff.code })).json();

    t.setNow('2026-04-16T00:00:00Z');
    const changed = await t.inject({
      method: 'POST',
      url: `/v1/billing/subscriptions/${subscription.id}/change-plan`,
      headers: t.trader(user),
      payload: { productId: elite, when: 'now' },
    });
    expect(changed.statusCode).toBe(200);
    const [first, proration] = await t.invoicesOf(subscription.id);
    expect(first).toMatchObject({ discount: '2450', total: '2450' });
    expect(proration.billing_reason).toBe('subscription_update');
    expect(proration.discount).toBe('0');
    // The credit is the half of the half-price month that was paid; the charge is at list price.
    expect(await linesOf(proration.id)).toEqual([
      { kind: 'proration_credit', amount: '-1225', discount: '0' },
      { kind: 'proration_charge', amount: '4950', discount: '0' },
    ]);

    await t.runBillingAt('2026-05-01T01:30:00Z');
    const renewal = (await t.paidInvoicesOf(subscription.id, 3))[2];
    expect(renewal).toMatchObject({ subtotal: '9900', discount: '4950', total: '4950', status: 'paid' });
  });

  it('credits a downgrade made now with what the discounted period cost, not its list price', async () => {
    const user = 'user_coupon_downgrade';
    t.setNow('2026-04-01T00:00:00Z');
    await t.addCard(user);
    const halfOff = await coupon({ kind: 'percent_off', percentOff: '50', duration: 'forever' });
    const created = await t.subscribe(user, {
      productId: elite,
      currency: 'USD',
      trialDays: 0,
      couponCode: halfOff.code,
    });
    const id = created.json().id as string;
    await t.paidInvoicesOf(id, 1);

    t.setNow('2026-04-16T00:00:00Z');
    const changed = await t.inject({
      method: 'POST',
      url: `/v1/billing/subscriptions/${id}/change-plan`,
      headers: t.trader(user),
      payload: { productId: pro, when: 'now' },
    });
    expect(changed.statusCode).toBe(200);
    const [, proration] = await t.paidInvoicesOf(id, 2);
    // Half of the 49.50 paid for Elite back (not half of 99.00), half a month of Pro at list price.
    expect(await linesOf(proration.id)).toEqual([
      { kind: 'proration_credit', amount: '-2475', discount: '0' },
      { kind: 'proration_charge', amount: '2450', discount: '0' },
    ]);
    expect(proration).toMatchObject({ total: '-25', amount_due: '0' });
  });

  it('redeems a single-use coupon once when five subscribers race for it', async () => {
    t.setNow('2026-04-01T00:00:00Z');
    const single = await coupon({ kind: 'percent_off', percentOff: '10', maxRedemptions: 1 });
    const users = Array.from({ length: 5 }, (_, index) => `user_coupon_race_${index}`);
    for (const user of users) await t.addCard(user);
    const responses = await Promise.all(
      users.map((user) => subscribe(user, { trialDays: 0, couponCode: single.code })),
    );
    const statuses = responses.map((response) => response.statusCode).sort();
    expect(statuses).toEqual([201, 422, 422, 422, 422]);
    const refused = responses.find((response) => response.statusCode === 422)!.json().error;
    expect(refused).toMatchObject({
      code: 'COUPON_NOT_APPLICABLE',
      details: [{ field: 'couponCode', message: 'redemption_limit_reached' }],
    });
    expect(await redemptionsOf(single.id)).toHaveLength(1);
    const [{ redemption_count }] = await t.dataSource.query(
      'SELECT redemption_count FROM billing.coupons WHERE id = $1',
      [single.id],
    );
    expect(redemption_count).toBe(1);
    // The refused subscribes rolled back whole: no subscription, no invoice.
    const [{ count }] = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM billing.subscriptions WHERE user_id = ANY($1)`,
      [users],
    );
    expect(count).toBe(1);
  });

  it('refuses bad coupons with precise 4xx errors and subscribes nobody', async () => {
    const user = 'user_coupon_bad';
    t.setNow('2026-04-01T00:00:00Z');
    await t.addCard(user);
    const archived = await coupon({ kind: 'percent_off', percentOff: '10' });
    expect(
      (
        await t.inject({
          method: 'POST',
          url: `/v1/admin/coupons/${archived.id}/archive`,
          headers: t.as(ADMIN),
        })
      ).statusCode,
    ).toBe(200);
    const eurOnly = await coupon({ kind: 'amount_off', amountOff: { EUR: 500 } });
    const otherProduct = await coupon({ kind: 'percent_off', percentOff: '10', productIds: [elite] });
    const expired = await coupon({
      kind: 'percent_off',
      percentOff: '10',
      expiresAt: '2026-04-02T00:00:00Z',
    });

    const cases: Array<{ couponCode: unknown; status: number; code: string; message: RegExp }> = [
      { couponCode: 'NOPE-123', status: 422, code: 'COUPON_NOT_APPLICABLE', message: /does not exist/ },
      {
        couponCode: archived.code,
        status: 422,
        code: 'COUPON_NOT_APPLICABLE',
        message: /no longer available/,
      },
      { couponCode: eurOnly.code, status: 422, code: 'COUPON_NOT_APPLICABLE', message: /not defined in USD/ },
      { couponCode: otherProduct.code, status: 422, code: 'COUPON_NOT_APPLICABLE', message: /applies only/ },
      { couponCode: 42, status: 400, code: 'VALIDATION_ERROR', message: /couponCode must be a string/ },
      { couponCode: '', status: 400, code: 'VALIDATION_ERROR', message: /couponCode must be a string/ },
      { couponCode: 'X'.repeat(41), status: 400, code: 'VALIDATION_ERROR', message: /1 to 40 characters/ },
    ];
    for (const { couponCode, status, code, message } of cases) {
      const response = await subscribe(user, { trialDays: 0, couponCode });
      expect({ couponCode, status: response.statusCode }).toEqual({ couponCode, status });
      expect(response.json().error.code).toBe(code);
      expect(JSON.stringify(response.json().error)).toMatch(message);
    }
    t.setNow('2026-04-03T00:00:00Z');
    const late = await subscribe(user, { trialDays: 0, couponCode: expired.code });
    expect(late.statusCode).toBe(422);
    expect(late.json().error.details).toEqual([{ field: 'couponCode', message: 'expired' }]);

    const [{ count }] = await t.dataSource.query(
      'SELECT count(*)::int AS count FROM billing.subscriptions WHERE user_id = $1',
      [user],
    );
    expect(count).toBe(0);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

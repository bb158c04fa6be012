import { productBySlug } from '../support/billing';
import { startSubscriptionTestApp, SubscriptionTestApp } from '../support/subscriptions';
import { expectBooksClean } from '../support/books';

const ADMIN = { sub: 'admin_cancel_coupons', roles: ['admin'] };

describe('credit for paid time left unused: canceling now, resuming early (e2e, controllable clock)', () => {
  let t: SubscriptionTestApp;
  let pro: string;
  let elite: string;

  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-04-01T00:00:00Z');
    pro = (await productBySlug(t, 'pro-monthly')).id;
    elite = (await productBySlug(t, 'elite-monthly')).id;
  });
  afterAll(() => t.close());

  /** A paid monthly Pro subscription from 1 April (a 30-day period). */
  async function paidSubscription(user: string, extra: Record<string, unknown> = {}): Promise<string> {
    t.setNow('2026-04-01T00:00:00Z');
    await t.addCard(user);
    const created = await t.subscribe(user, { productId: pro, currency: 'USD', trialDays: 0, ...extra });
    expect(created.statusCode).toBe(201);
    await t.paidInvoicesOf(created.json().id, 1);
    return created.json().id;
  }
  const cancel = (user: string, id: string, payload: Record<string, unknown>) =>
    t.inject({
      method: 'POST',
      url: `/v1/billing/subscriptions/${id}/cancel`,
      headers: t.trader(user),
      payload,
    });
  const creditsOf = (id: string): Promise<Array<{ kind: string; amount: string }>> =>
    t.dataSource.query(
      `SELECT b.kind, b.amount FROM billing.customer_balance_transactions b
         JOIN billing.subscriptions s ON s.customer_id = b.customer_id
        WHERE s.id = $1 ORDER BY b.id`,
      [id],
    );
  const linesOf = (invoiceId: string): Promise<Array<{ kind: string; amount: string }>> =>
    t.dataSource.query(
      'SELECT kind, amount FROM billing.invoice_lines WHERE invoice_id = $1 ORDER BY position',
      [invoiceId],
    );

  it('credits half of a paid month to the balance when canceled halfway', async () => {
    const user = 'user_cancel_half';
    const id = await paidSubscription(user);
    t.setNow('2026-04-16T00:00:00Z');
    const canceled = await cancel(user, id, { atPeriodEnd: false, prorate: true });
    expect(canceled.statusCode).toBe(200);
    expect(canceled.json()).toMatchObject({ status: 'canceled', endedAt: '2026-04-16T00:00:00.000Z' });
    const [, credit] = await t.paidInvoicesOf(id, 2);
    expect(credit).toMatchObject({ billing_reason: 'subscription_update', total: '-2450', amount_due: '0' });
    expect(await linesOf(credit.id)).toEqual([{ kind: 'proration_credit', amount: '-2450' }]);
    expect(await creditsOf(id)).toEqual([{ kind: 'cancellation_credit', amount: '2450' }]);
  });

  it('gives back what was paid: net of a coupon, and at the new price after an upgrade', async () => {
    await t.createCoupon({ code: 'CANCEL20', kind: 'percent_off', percentOff: '20' });
    const discounted = await paidSubscription('user_cancel_coupon', { couponCode: 'CANCEL20' });
    t.setNow('2026-04-16T00:00:00Z');
    expect(
      (await cancel('user_cancel_coupon', discounted, { atPeriodEnd: false, prorate: true })).statusCode,
    ).toBe(200);
    // 39.20 paid, half of it unused.
    expect(await creditsOf(discounted)).toEqual([{ kind: 'cancellation_credit', amount: '1960' }]);

    const upgraded = await paidSubscription('user_cancel_upgraded');
    t.setNow('2026-04-16T00:00:00Z');
    const change = await t.inject({
      method: 'POST',
      url: `/v1/billing/subscriptions/${upgraded}/change-plan`,
      headers: t.trader('user_cancel_upgraded'),
      payload: { productId: elite },
    });
    expect(change.statusCode).toBe(200);
    await t.paidInvoicesOf(upgraded, 2);
    // 7 of 30 days left, on Elite since the 16th: 99.00 × 7 / 30 = 23.10.
    t.setNow('2026-04-24T00:00:00Z');
    expect(
      (await cancel('user_cancel_upgraded', upgraded, { atPeriodEnd: false, prorate: true })).statusCode,
    ).toBe(200);
    expect(await creditsOf(upgraded)).toEqual([{ kind: 'cancellation_credit', amount: '2310' }]);
  });

  it('credits nothing for a trial or an unpaid period, and refuses prorate with a cancel at period end', async () => {
    t.setNow('2026-04-01T00:00:00Z');
    await t.addCard('user_cancel_trial');
    const trial = (await t.subscribe('user_cancel_trial', { productId: pro, currency: 'USD' })).json();
    expect(trial.status).toBe('trialing');
    const trialCanceled = await cancel('user_cancel_trial', trial.id, { atPeriodEnd: false, prorate: true });
    expect(trialCanceled.json().status).toBe('canceled');
    expect(await t.invoicesOf(trial.id)).toEqual([]);

    const pastDue = await paidSubscription('user_cancel_past_due');
    await t.dataSource.query(`UPDATE billing.subscriptions SET status = 'past_due' WHERE id = $1`, [pastDue]);
    t.setNow('2026-04-10T00:00:00Z');
    expect(
      (await cancel('user_cancel_past_due', pastDue, { atPeriodEnd: false, prorate: true })).statusCode,
    ).toBe(200);
    expect(await t.invoicesOf(pastDue)).toHaveLength(1);
    expect(await creditsOf(pastDue)).toEqual([]);

    const live = await paidSubscription('user_cancel_refused');
    for (const payload of [{ prorate: true }, { atPeriodEnd: true, prorate: true }]) {
      const refused = await cancel('user_cancel_refused', live, payload);
      expect(refused.statusCode).toBe(422);
      expect(refused.json().error.details).toEqual([
        { field: 'prorate', message: 'only with atPeriodEnd false' },
      ]);
    }
    const badType = await cancel('user_cancel_refused', live, { atPeriodEnd: false, prorate: 'yes' });
    expect(badType.statusCode).toBe(400);
    expect(badType.json().error.details).toEqual([
      { field: 'prorate', message: 'prorate must be true or false' },
    ]);
    const [row] = await t.dataSource.query(
      'SELECT status, cancel_at_period_end FROM billing.subscriptions WHERE id = $1',
      [live],
    );
    expect(row).toEqual({ status: 'active', cancel_at_period_end: false });
  });

  it('credits the unused time of a plan archived since', async () => {
    const basic = await t.createPlan({ name: 'Astrix Basic', unitAmount: 3000, interval: 'month' });
    t.setNow('2026-04-01T00:00:00Z');
    await t.addCard('user_cancel_archived');
    const subscribed = await t.subscribe('user_cancel_archived', { productId: basic, currency: 'USD' });
    expect(subscribed.statusCode).toBe(201);
    const id = subscribed.json().id as string;
    await t.paidInvoicesOf(id, 1);
    const archived = await t.inject({
      method: 'POST',
      url: `/v1/admin/products/${basic}/archive`,
      headers: t.as(ADMIN),
    });
    expect(archived.statusCode).toBe(200);

    t.setNow('2026-04-21T00:00:00Z');
    const canceled = await cancel('user_cancel_archived', id, { atPeriodEnd: false, prorate: true });
    expect(canceled.statusCode).toBe(200);
    // 10 of 30 days left of 30.00.
    expect(await creditsOf(id)).toEqual([{ kind: 'cancellation_credit', amount: '1000' }]);
  });

  it('credits the paid time a resume would bill twice, and nothing once that period is over', async () => {
    const post = (user: string, path: string) =>
      t.inject({ method: 'POST', url: `/v1/billing/subscriptions/${path}`, headers: t.trader(user) });
    const early = await paidSubscription('user_resume_early');
    t.setNow('2026-04-11T00:00:00Z');
    expect((await post('user_resume_early', `${early}/pause`)).statusCode).toBe(200);
    t.setNow('2026-04-21T00:00:00Z');
    expect((await post('user_resume_early', `${early}/resume`)).json()).toMatchObject({
      status: 'active',
      currentPeriodEnd: '2026-05-21T00:00:00.000Z',
    });
    const [, resumed] = await t.paidInvoicesOf(early, 2);
    // 10 of the 30 paid days were still to come: 49.00 × 10 / 30 = 16.33 back.
    expect(await linesOf(resumed.id)).toEqual([
      { kind: 'plan', amount: '4900' },
      { kind: 'proration_credit', amount: '-1633' },
    ]);
    expect(resumed).toMatchObject({ billing_reason: 'subscription_cycle', total: '3267' });

    const late = await paidSubscription('user_resume_late');
    t.setNow('2026-04-11T00:00:00Z');
    expect((await post('user_resume_late', `${late}/pause`)).statusCode).toBe(200);
    t.setNow('2026-05-05T00:00:00Z');
    expect((await post('user_resume_late', `${late}/resume`)).statusCode).toBe(200);
    const [, fresh] = await t.paidInvoicesOf(late, 2);
    expect(await linesOf(fresh.id)).toEqual([{ kind: 'plan', amount: '4900' }]);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

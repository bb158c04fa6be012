import { checkBooks, expectBooksClean } from '../support/books';
import { issueApiKey } from '../support/test-app';
import { startSubscriptionTestApp, type SubscriptionTestApp } from '../support/subscriptions';
import { ADMIN } from '../support/usage';

const FEATURE = 'market-data-api-calls';
const HOUR = 3_600_000;

/**
 * Issue 17, "usage billed on every path": cancel-now, pause/resume and a plan change now each close
 * the usage period they end; its usage is priced on the plan in force while it accrued and invoiced
 * exactly once (and a renewal after does not bill it again).
 */
describe('usage is billed on every lifecycle path (e2e, sandbox Stripe, controllable clock)', () => {
  let t: SubscriptionTestApp;
  let usageKey: string;
  let elite: string;
  let basic: string;
  let sequence = 0;

  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-05-01T09:00:00Z');
    usageKey = await issueApiKey(t, 'market-data', ['usage:write']);
    elite = await t.createPlan({ name: 'Metered Elite', unitAmount: 9_900, interval: 'month' });
    basic = await t.createPlan({ name: 'Metered Basic', unitAmount: 1_900, interval: 'month' });
    // Both plans include 10,000 calls a period; above it Elite charges 2¢ a call, Basic 1¢.
    for (const [plan, unitAmount] of [
      [elite, 2],
      [basic, 1],
    ] as const) {
      const priced = await t.inject({
        method: 'PUT',
        url: `/v1/admin/plans/${plan}/features/${FEATURE}`,
        headers: t.as(ADMIN),
        payload: { limit: 10_000, prices: [{ currency: 'USD', model: 'per_unit', unitAmount }] },
      });
      expect(priced.statusCode).toBe(200);
    }
  });
  afterAll(() => t.close());

  const post = (user: string, url: string, payload: Record<string, unknown>) =>
    t.inject({
      method: 'POST',
      url,
      headers: { ...t.trader(user), 'idempotency-key': `${user}-${url}-${sequence++}` },
      payload,
    });

  /** A trader with a card on Elite, who has used 1,010,000 calls: 1,000,000 above the allowance. */
  const subscribedWithOverage = async (user: string, at: string) => {
    t.setNow(at);
    await t.addCard(user);
    const created = await t.subscribe(user, { productId: elite, currency: 'USD' });
    expect(created.statusCode).toBe(201);
    const subscription = created.json();
    expect(subscription.status).toBe('active');
    const start = new Date(subscription.currentPeriodStart as string);
    t.setNow(new Date(start.getTime() + HOUR).toISOString());
    const reported = await t.inject({
      method: 'POST',
      url: '/v1/usage/events',
      headers: { authorization: `Bearer ${usageKey}` },
      payload: {
        customerId: user,
        featureId: FEATURE,
        quantity: 1_010_000,
        timestamp: new Date(start.getTime() + HOUR).toISOString(),
        idempotencyKey: `${user}-calls`,
      },
    });
    expect(reported.statusCode).toBe(201);
    return { id: subscription.id as string, start };
  };

  /** Every usage line ever invoiced to the subscription. */
  const usageLinesOf = async (subscriptionId: string) =>
    (
      await t.dataSource.query(
        `SELECT l.quantity, l.amount, i.status FROM billing.invoice_lines l
           JOIN billing.invoices i ON i.id = l.invoice_id
          WHERE i.subscription_id = $1 AND l.kind = 'usage' AND l.feature_id = $2`,
        [subscriptionId, FEATURE],
      )
    ).map((line: { quantity: string | number; amount: string }) => ({
      quantity: Number(line.quantity),
      amount: Number(line.amount),
    }));

  /** The Elite overage, once: 1,000,000 calls above the allowance at 2¢. */
  const ELITE_OVERAGE = [{ quantity: 1_000_000, amount: 2_000_000 }];

  it('a cancellation now invoices the usage so far on the final invoice, once', async () => {
    const { id, start } = await subscribedWithOverage('user_usage_cancel_now', '2026-05-01T09:00:00Z');
    t.setNow(new Date(start.getTime() + 10 * 24 * HOUR).toISOString());
    const canceled = await post('user_usage_cancel_now', `/v1/billing/subscriptions/${id}/cancel`, {
      atPeriodEnd: false,
    });
    expect(canceled.statusCode).toBe(200);
    expect(await usageLinesOf(id)).toEqual(ELITE_OVERAGE);
    // Nothing renews for an ended subscription, and the usage is not billed a second time.
    await t.runBillingAt(new Date(start.getTime() + 40 * 24 * HOUR).toISOString());
    expect(await usageLinesOf(id)).toEqual(ELITE_OVERAGE);
  });

  it('a pause closes the usage period: the usage so far is on the next invoice (the resume), once', async () => {
    const { id, start } = await subscribedWithOverage('user_usage_pause', '2026-05-01T09:00:00Z');
    t.setNow(new Date(start.getTime() + 10 * 24 * HOUR).toISOString());
    expect((await post('user_usage_pause', `/v1/billing/subscriptions/${id}/pause`, {})).statusCode).toBe(
      200,
    );
    t.setNow(new Date(start.getTime() + 15 * 24 * HOUR).toISOString());
    const resumed = await post('user_usage_pause', `/v1/billing/subscriptions/${id}/resume`, {});
    expect(resumed.statusCode).toBe(200);
    expect(await usageLinesOf(id)).toEqual(ELITE_OVERAGE);
    // The period the resume started renews without the usage of the one the pause closed.
    const end = new Date(resumed.json().currentPeriodEnd as string);
    await t.runBillingAt(new Date(end.getTime() + 2 * HOUR).toISOString());
    expect((await t.invoicesOf(id)).length).toBe(3);
    expect(await usageLinesOf(id)).toEqual(ELITE_OVERAGE);
  });

  it('a downgrade now prices the usage so far on the plan it accrued on, once (not the cheaper rate)', async () => {
    const { id, start } = await subscribedWithOverage('user_usage_downgrade', '2026-05-01T09:00:00Z');
    // Just before the period ends, the trader moves to the cheaper plan now.
    const [{ current_period_end: end }] = await t.dataSource.query(
      'SELECT current_period_end FROM billing.subscriptions WHERE id = $1',
      [id],
    );
    t.setNow(new Date(end.getTime() - HOUR).toISOString());
    const changed = await post('user_usage_downgrade', `/v1/billing/subscriptions/${id}/change-plan`, {
      productId: basic,
      when: 'now',
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().productId).toBe(basic);
    await t.runBillingAt(new Date(end.getTime() + 2 * HOUR).toISOString());
    expect(await usageLinesOf(id)).toEqual(ELITE_OVERAGE);
    // The next renewal does not bill it again.
    const [{ current_period_end: next }] = await t.dataSource.query(
      'SELECT current_period_end FROM billing.subscriptions WHERE id = $1',
      [id],
    );
    await t.runBillingAt(new Date(next.getTime() + 2 * HOUR).toISOString());
    expect(await usageLinesOf(id)).toEqual(ELITE_OVERAGE);
    expect(start.getTime()).toBeLessThan(end.getTime());
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });

  // After the clean books check on purpose: it leaves a finding behind.
  it('books check reports usage of a closed period no invoice covers (usage_period_not_invoiced)', async () => {
    const { id } = await subscribedWithOverage('user_usage_lost', '2026-05-01T09:00:00Z');
    t.setNow('2026-05-05T09:00:00Z');
    expect((await post('user_usage_lost', `/v1/billing/subscriptions/${id}/pause`, {})).statusCode).toBe(200);
    // A path that forgets the usage the pause closed: the subscription runs on without billing it.
    await t.dataSource.query(
      `UPDATE billing.subscriptions SET status = 'active', paused_at = NULL, current_period_start = $2,
              current_period_end = $3 WHERE id = $1`,
      [id, new Date('2026-05-06T09:00:00Z'), new Date('2026-06-06T09:00:00Z')],
    );
    const report = await checkBooks(t.app);
    const lost = report.findings.filter((finding) => finding.kind === 'usage_period_not_invoiced');
    expect(lost).toEqual([expect.objectContaining({ ids: expect.arrayContaining([id]), currency: 'USD' })]);
    expect(lost[0].message).toContain('1010000');
  });
});

import { purchase } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { startSubscriptionTestApp, type SubscriptionTestApp } from '../support/subscriptions';
import { RELAXED_FRAUD_RULES, eventually } from '../support/test-app';

/**
 * Issue 17, "Other leaks found": a canceled subscription comes back within a grace period and is
 * billed from the reactivation; a billing anchor day (1–28) per subscription; renewals pass through
 * the fraud payment rules like checkout charges.
 */

interface LineRow {
  kind: string;
  amount: string;
  period_start: Date;
  period_end: Date;
}

const linesOf = (t: SubscriptionTestApp, invoiceId: string): Promise<LineRow[]> =>
  t.dataSource.query(
    'SELECT kind, amount, period_start, period_end FROM billing.invoice_lines WHERE invoice_id = $1 ORDER BY position',
    [invoiceId],
  );

const post = (t: SubscriptionTestApp, user: string, path: string, payload: Record<string, unknown> = {}) =>
  t.inject({ method: 'POST', url: `/v1/billing/subscriptions/${path}`, headers: t.trader(user), payload });

const rowOf = async (t: SubscriptionTestApp, id: string): Promise<Record<string, unknown>> =>
  (await t.dataSource.query('SELECT * FROM billing.subscriptions WHERE id = $1', [id]))[0];

describe('reactivation of a canceled subscription within the grace, billed from the reactivation', () => {
  let t: SubscriptionTestApp;
  let plan: string;
  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-03-10T10:00:00Z');
    plan = await t.createPlan({ name: 'Reactivation Pro', unitAmount: 3000, interval: 'month' });
  });
  afterAll(() => t.close());

  /** A paid, active subscription of a fresh trader with a card, started on 2026-03-10 10:00. */
  async function activeSubscription(user: string): Promise<string> {
    t.setNow('2026-03-10T10:00:00Z');
    await t.addCard(user);
    const created = await t.subscribe(user, { productId: plan, currency: 'USD' });
    expect(created.statusCode).toBe(201);
    expect(created.json().status).toBe('active');
    await t.paidInvoicesOf(created.json().id, 1);
    return created.json().id;
  }

  it('canceled_reactivation_leak: a subscription ended at period end comes back active, a fresh period invoiced and collected at once', async () => {
    const user = 'user_reactivate_at_end';
    const id = await activeSubscription(user);
    expect((await post(t, user, `${id}/cancel`, { atPeriodEnd: true })).statusCode).toBe(200);
    await t.runBillingAt('2026-04-10T11:30:00Z');
    expect(await rowOf(t, id)).toMatchObject({ status: 'canceled' });

    t.setNow('2026-04-15T09:00:00Z');
    const reactivated = await post(t, user, `${id}/reactivate`);
    expect(reactivated.statusCode).toBe(200);
    expect(reactivated.json()).toMatchObject({
      status: 'active',
      currentPeriodStart: '2026-04-15T09:00:00.000Z',
      currentPeriodEnd: '2026-05-15T09:00:00.000Z',
      cancelAtPeriodEnd: false,
      canceledAt: null,
      endedAt: null,
    });
    // Billed from the reactivation, at once: no free time between the reactivation and the renewal.
    const invoices = await t.paidInvoicesOf(id, 2);
    expect(invoices[1]).toMatchObject({
      billing_reason: 'subscription_cycle',
      total: '3000',
      amount_paid: '3000',
    });
    expect(invoices[1].period_start.toISOString()).toBe('2026-04-15T09:00:00.000Z');
    expect(invoices[1].period_end.toISOString()).toBe('2026-05-15T09:00:00.000Z');
    expect(reactivated.json().latestInvoiceId).toBe(invoices[1].id);

    // A repeat is refused: it is active now.
    const again = await post(t, user, `${id}/reactivate`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toContain('nothing to reactivate');
    expect(await t.invoicesOf(id)).toHaveLength(2);

    // The billing run renews it from the reactivation's anchor.
    await t.runBillingAt('2026-05-15T10:30:00Z');
    const renewed = await t.paidInvoicesOf(id, 3);
    expect(renewed[2]).toMatchObject({ total: '3000' });
    expect(renewed[2].period_start.toISOString()).toBe('2026-05-15T09:00:00.000Z');
  });

  it('canceled_reactivation_leak: canceled now, reactivated inside the paid period, the time paid before the cancellation is credited once', async () => {
    const user = 'user_reactivate_now';
    const id = await activeSubscription(user);
    t.setNow('2026-03-20T10:00:00Z');
    expect((await post(t, user, `${id}/cancel`, { atPeriodEnd: false })).statusCode).toBe(200);
    t.setNow('2026-03-25T10:00:00Z');
    const reactivated = await post(t, user, `${id}/reactivate`);
    expect(reactivated.statusCode).toBe(200);
    const invoices = await t.paidInvoicesOf(id, 2);
    // 3000 for 31 days paid until 2026-04-10: 16 days of it are billed again, so credited (3000 × 16/31).
    expect((await linesOf(t, invoices[1].id)).map((line) => [line.kind, line.amount])).toEqual([
      ['plan', '3000'],
      ['proration_credit', '-1548'],
    ]);
    expect(invoices[1]).toMatchObject({ total: '1452', amount_paid: '1452' });
  });

  it('canceled_reactivation_leak: canceled now with prorate, the unused time was credited already and is not credited twice', async () => {
    const user = 'user_reactivate_prorated';
    const id = await activeSubscription(user);
    t.setNow('2026-03-20T10:00:00Z');
    expect((await post(t, user, `${id}/cancel`, { atPeriodEnd: false, prorate: true })).statusCode).toBe(200);
    t.setNow('2026-03-25T10:00:00Z');
    expect((await post(t, user, `${id}/reactivate`)).statusCode).toBe(200);
    const invoices = await t.invoicesOf(id);
    const reactivation = invoices[invoices.length - 1];
    expect((await linesOf(t, reactivation.id)).map((line) => line.kind)).toEqual(['plan']);
    // The cancellation credit (3000 × 21/31 = 2032) sits on the balance and pays part of the new period.
    expect(reactivation).toMatchObject({ total: '3000', credit_applied: '2032', amount_paid: '968' });
  });

  it('refuses a reactivation after the 14-day grace with 409 naming the grace, and changes nothing', async () => {
    const user = 'user_reactivate_late';
    const id = await activeSubscription(user);
    t.setNow('2026-03-20T10:00:00Z');
    expect((await post(t, user, `${id}/cancel`, { atPeriodEnd: false })).statusCode).toBe(200);
    const before = await rowOf(t, id);
    t.setNow('2026-04-03T10:00:01Z');
    const late = await post(t, user, `${id}/reactivate`);
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('REACTIVATION_GRACE_ENDED');
    expect(late.json().error.message).toContain('14-day grace');
    expect(late.json().error.message).toContain('2026-04-03T10:00:00.000Z');
    expect(await rowOf(t, id)).toEqual(before);
    expect(await t.invoicesOf(id)).toHaveLength(1);
  });

  it('refuses to reactivate when the customer subscribed to the plan again', async () => {
    const again = 'user_reactivate_resubscribed';
    const old = await activeSubscription(again);
    expect((await post(t, again, `${old}/cancel`, { atPeriodEnd: false })).statusCode).toBe(200);
    const fresh = await t.subscribe(again, { productId: plan, currency: 'USD' });
    expect(fresh.statusCode).toBe(201);
    const refused = await post(t, again, `${old}/reactivate`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toContain(fresh.json().id);
    expect(await rowOf(t, old)).toMatchObject({ status: 'canceled' });
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

describe('reactivation while an invoice of the subscription is unpaid', () => {
  let t: SubscriptionTestApp;
  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-03-10T10:00:00Z');
  });
  afterAll(() => t.close());

  it('refuses to reactivate a subscription that left its failed renewal unpaid, naming the invoice', async () => {
    const plan = await t.createPlan({ name: 'Reactivation Debt', unitAmount: 3000, interval: 'month' });
    await t.addCard('user_reactivate_debtor');
    const created = await t.subscribe('user_reactivate_debtor', { productId: plan, currency: 'USD' });
    expect(created.json().status).toBe('active');
    const id = created.json().id as string;
    await t.paidInvoicesOf(id, 1);
    t.fake.controls.declineNextPayments({ count: 1 });
    await t.runBillingAt('2026-04-10T11:30:00Z');
    // The renewal's collection failed: a dunning case is open for it.
    const renewal = await eventually(async () => {
      const [, issued] = await t.invoicesOf(id);
      if (!issued) return undefined;
      const cases = await t.dataSource.query('SELECT 1 FROM billing.dunning_cases WHERE invoice_id = $1', [
        issued.id,
      ]);
      return cases.length > 0 ? issued : undefined;
    });
    expect(renewal.status).toBe('open');
    t.setNow('2026-04-11T10:00:00Z');
    expect((await post(t, 'user_reactivate_debtor', `${id}/cancel`, { atPeriodEnd: false })).statusCode).toBe(
      200,
    );
    const unpaid = await post(t, 'user_reactivate_debtor', `${id}/reactivate`);
    expect(unpaid.statusCode).toBe(409);
    expect(unpaid.json().error.message).toContain(renewal.id);
    expect(await t.invoicesOf(id)).toHaveLength(2);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

describe('billing anchor day (1–28) per subscription', () => {
  let t: SubscriptionTestApp;
  let monthly: string;
  let withTrial: string;
  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-05-10T08:00:00Z');
    monthly = await t.createPlan({ name: 'Anchored Monthly', unitAmount: 3100, interval: 'month' });
    withTrial = await t.createPlan({
      name: 'Anchored Trial',
      unitAmount: 3100,
      interval: 'month',
      trialDays: 7,
    });
  });
  afterAll(() => t.close());

  it('billing_anchor_day: the first period runs to the anchor day and is prorated, then full periods start on that day', async () => {
    const user = 'user_anchor_first';
    t.setNow('2026-05-10T08:00:00Z');
    await t.addCard(user);
    const created = await t.subscribe(user, { productId: monthly, currency: 'USD', billingAnchorDay: 1 });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      status: 'active',
      billingAnchorDay: 1,
      currentPeriodStart: '2026-05-10T08:00:00.000Z',
      currentPeriodEnd: '2026-06-01T00:00:00.000Z',
    });
    const id = created.json().id;
    // 3100 for May (744 hours); 520 hours of it are left: 3100 × 520/744 = 2166.67 → 2167.
    const [first] = await t.paidInvoicesOf(id, 1);
    expect(first).toMatchObject({ total: '2167' });
    await t.runBillingAt('2026-06-01T01:30:00Z');
    await t.runBillingAt('2026-07-01T01:30:00Z');
    const invoices = await t.paidInvoicesOf(id, 3);
    expect(invoices.map((invoice) => [invoice.total, invoice.period_start.toISOString()])).toEqual([
      ['2167', '2026-05-10T08:00:00.000Z'],
      ['3100', '2026-06-01T00:00:00.000Z'],
      ['3100', '2026-07-01T00:00:00.000Z'],
    ]);
    expect(invoices[2].period_end.toISOString()).toBe('2026-08-01T00:00:00.000Z');
  });

  it('billing_anchor_day: after a trial, the first paid period runs from the trial end to the anchor day, prorated', async () => {
    const user = 'user_anchor_trial';
    t.setNow('2026-05-10T08:00:00Z');
    await t.addCard(user);
    const created = await t.subscribe(user, { productId: withTrial, currency: 'USD', billingAnchorDay: 1 });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      status: 'trialing',
      currentPeriodEnd: '2026-05-17T08:00:00.000Z',
    });
    const id = created.json().id;
    await t.runBillingAt('2026-05-17T09:30:00Z');
    // 352 of May's 744 hours: 3100 × 352/744 = 1466.67 → 1467, for 2026-05-17 08:00 – 2026-06-01.
    const [stub] = await t.paidInvoicesOf(id, 1);
    expect(stub.total).toBe('1467');
    expect(stub.period_end.toISOString()).toBe('2026-06-01T00:00:00.000Z');
    await t.runBillingAt('2026-06-01T01:30:00Z');
    const [, full] = await t.paidInvoicesOf(id, 2);
    expect(full.total).toBe('3100');
    expect(full.period_end.toISOString()).toBe('2026-07-01T00:00:00.000Z');
  });

  it('billing_anchor_day: an upgrade now during the first, prorated period charges the new plan for the time left, not more', async () => {
    const user = 'user_anchor_upgrade';
    const bigger = await t.createPlan({ name: 'Anchored Bigger', unitAmount: 6200, interval: 'month' });
    t.setNow('2026-05-10T08:00:00Z');
    await t.addCard(user);
    const created = await t.subscribe(user, { productId: monthly, currency: 'USD', billingAnchorDay: 1 });
    const id = created.json().id as string;
    await t.paidInvoicesOf(id, 1);
    t.setNow('2026-05-20T00:00:00Z');
    const changed = await post(t, user, `${id}/change-plan`, { productId: bigger, when: 'now' });
    expect(changed.statusCode).toBe(200);
    const [, change] = await t.paidInvoicesOf(id, 2);
    // 288 of May's 744 hours are left: the new plan costs 6200 × 288/744 = 2400 for them; the credit is
    // what was paid for them, 2167 × 288/520 = 1200.2 → 1200.
    expect((await linesOf(t, change.id)).map((line) => [line.kind, line.amount])).toEqual([
      ['proration_credit', '-1200'],
      ['proration_charge', '2400'],
    ]);
    expect(change.total).toBe('1200');
  });

  it('billing_anchor_day: a resume keeps the anchor day, its fresh period running to it prorated', async () => {
    const user = 'user_anchor_resume';
    t.setNow('2026-05-10T08:00:00Z');
    await t.addCard(user);
    const created = await t.subscribe(user, { productId: monthly, currency: 'USD', billingAnchorDay: 1 });
    const id = created.json().id as string;
    await t.paidInvoicesOf(id, 1);
    t.setNow('2026-05-20T00:00:00Z');
    expect((await post(t, user, `${id}/pause`)).statusCode).toBe(200);
    t.setNow('2026-06-10T08:00:00Z');
    const resumed = await post(t, user, `${id}/resume`);
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json()).toMatchObject({
      status: 'active',
      billingAnchorDay: 1,
      currentPeriodStart: '2026-06-10T08:00:00.000Z',
      currentPeriodEnd: '2026-07-01T00:00:00.000Z',
    });
    // 496 of June's 720 hours: 3100 × 496/720 = 2135.56 → 2136 (the period paid before the pause is over).
    const [, fresh] = await t.paidInvoicesOf(id, 2);
    expect(fresh.total).toBe('2136');
  });

  it('billing_anchor_day: a trial granted by staff keeps the anchor day, the first paid period running to it', async () => {
    const user = 'user_anchor_granted';
    t.setNow('2026-05-10T08:00:00Z');
    await t.addCard(user);
    const created = await t.subscribe(user, { productId: withTrial, currency: 'USD', billingAnchorDay: 1 });
    const id = created.json().id as string;
    const granted = await t.inject({
      method: 'POST',
      url: `/v1/admin/subscriptions/${id}/trial`,
      headers: t.as({ sub: 'staff_support_anchor', roles: ['support'] }),
      payload: { trialDays: 10, reason: 'anchor test' },
    });
    expect(granted.statusCode).toBe(200);
    expect(granted.json()).toMatchObject({ trialEnd: '2026-05-20T08:00:00.000Z', billingAnchorDay: 1 });
    await t.runBillingAt('2026-05-20T09:30:00Z');
    // 280 of May's 744 hours: 3100 × 280/744 = 1166.67 → 1167, for 2026-05-20 08:00 – 2026-06-01.
    const [stub] = await t.paidInvoicesOf(id, 1);
    expect(stub.total).toBe('1167');
    expect(stub.period_end.toISOString()).toBe('2026-06-01T00:00:00.000Z');
  });

  it('subscribing on the anchor day at midnight starts a full period, no stub', async () => {
    const user = 'user_anchor_on_day';
    t.setNow('2026-05-15T00:00:00Z');
    await t.addCard(user);
    const created = await t.subscribe(user, { productId: monthly, currency: 'USD', billingAnchorDay: 15 });
    expect(created.json()).toMatchObject({ currentPeriodEnd: '2026-06-15T00:00:00.000Z' });
    const [first] = await t.paidInvoicesOf(created.json().id, 1);
    expect(first.total).toBe('3100');
  });

  it('refuses an anchor day outside 1–28 with 400 naming the field, and subscribes nothing', async () => {
    const user = 'user_anchor_bad';
    await t.addCard(user);
    for (const billingAnchorDay of [0, 29, 31, 1.5, '1', null]) {
      const response = await t.subscribe(user, { productId: monthly, currency: 'USD', billingAnchorDay });
      expect({ billingAnchorDay, status: response.statusCode }).toEqual({ billingAnchorDay, status: 400 });
      expect(response.json().error.code).toBe('VALIDATION_ERROR');
      expect(response.json().error.details).toEqual([
        { field: 'billingAnchorDay', message: 'billingAnchorDay must be a whole number from 1 to 28' },
      ]);
    }
    const rows = await t.dataSource.query('SELECT 1 FROM billing.subscriptions WHERE user_id = $1', [user]);
    expect(rows).toHaveLength(0);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

describe('renewals pass through the fraud payment rules like checkout charges', () => {
  let t: SubscriptionTestApp;
  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-06-01T12:00:00Z', {
      env: {
        FRAUD_RULES: JSON.stringify({
          ...RELAXED_FRAUD_RULES,
          sharedCard: { maxUsers: 2 },
          flagThreshold: 1000,
        }),
      },
    });
  });
  afterAll(() => t.close());

  const signalsOf = (userId: string, rule: string) =>
    t.dataSource.query(
      'SELECT rule, evidence, charge_id FROM billing.fraud_signals WHERE user_id = $1 AND rule = $2',
      [userId, rule],
    ) as Promise<Array<{ rule: string; evidence: Record<string, unknown>; charge_id: string }>>;

  it('renewal_fraud_screening_leak: a renewal paid with a card already used by two other users raises the shared-card signal', async () => {
    const plan = await t.createPlan({
      name: 'Screened Monthly',
      unitAmount: 2500,
      interval: 'month',
      trialDays: 7,
    });
    // Two users pay at checkout with the card 4242: within the limit of two.
    await purchase(t, { sub: 'user_card_a' }, 'evaluation-25k', '4242424242424242');
    await purchase(t, { sub: 'user_card_b' }, 'evaluation-25k', '4242424242424242');
    expect(await signalsOf('user_card_b', 'shared_card')).toHaveLength(0);

    // A third user saves the same card and subscribes with a trial: nothing is charged until the renewal.
    await t.addCard('user_card_c', 'pm_card_visa');
    const created = await t.subscribe('user_card_c', { productId: plan, currency: 'USD' });
    expect(created.json().status).toBe('trialing');
    // Another user renews with a card nobody else used: no shared-card signal.
    await t.addCard('user_card_own', 'pm_card_riskLevelElevated');
    const own = await t.subscribe('user_card_own', { productId: plan, currency: 'USD' });
    await t.runBillingAt('2026-06-08T13:30:00Z');
    const [invoice] = await t.paidInvoicesOf(created.json().id, 1);
    await t.paidInvoicesOf(own.json().id, 1);

    const [charge] = await t.dataSource.query('SELECT id FROM billing.charges WHERE invoice_id = $1', [
      invoice.id,
    ]);
    const signals = await signalsOf('user_card_c', 'shared_card');
    expect(signals).toHaveLength(1);
    expect(signals[0].charge_id).toBe(charge.id);
    expect(signals[0].evidence).toMatchObject({ distinctUsers: 3, limit: 2 });
    expect(await signalsOf('user_card_own', 'shared_card')).toHaveLength(0);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

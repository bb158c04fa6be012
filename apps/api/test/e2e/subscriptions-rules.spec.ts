import { SUBSCRIPTION_TRANSITIONS, type SubscriptionStatus } from '@astrix/contracts';
import { Clock } from '../../src/platform/clock';
import { idempotent } from '../support/idempotency';
import { BillingRuns } from '../../src/modules/billing/subscriptions/billing-runs.service';
import { BillingTestApp, productBySlug, startBillingTestApp } from '../support/billing';
import { eventually } from '../support/test-app';
import { expectBooksClean } from '../support/books';

const FINANCE = { sub: 'staff_finance', roles: ['finance'] };
const SUPPORT = { sub: 'staff_support', roles: ['support'] };
const SYSTEM = { actor: { kind: 'system', name: 'test' }, requestId: null } as const;

describe('subscriptions: rules, bad input, SCA, credits and staff actions', () => {
  let t: BillingTestApp;
  let now: Date;
  let pro: string;
  let elite: string;

  beforeAll(async () => {
    t = await startBillingTestApp();
    now = new Date('2026-05-10T08:00:00Z');
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now.getTime()));
    pro = (await productBySlug(t, 'pro-monthly')).id;
    elite = (await productBySlug(t, 'elite-monthly')).id;
  });
  afterAll(() => t.close());

  const as = (sub: string) => t.as({ sub, email: `${sub}@example.com` });

  async function addCard(sub: string, token = 'pm_card_visa') {
    return t.inject({
      method: 'POST',
      url: '/v1/billing/payment-methods/setup-intent',
      headers: as(sub),
      payload: { paymentMethodId: token },
    });
  }

  async function subscribe(sub: string, payload: Record<string, unknown>) {
    return t.inject({ method: 'POST', url: '/v1/billing/subscriptions', headers: as(sub), payload });
  }

  async function post(sub: string, path: string, payload: Record<string, unknown> = {}) {
    return t.inject({ method: 'POST', url: `/v1/billing/subscriptions/${path}`, headers: as(sub), payload });
  }

  /** A subscription of a fresh user in the given status, reached through the API where possible. */
  async function subscriptionIn(status: SubscriptionStatus, user: string): Promise<string> {
    await addCard(user);
    if (status === 'incomplete') {
      t.fake.controls.declineNextPayments({ count: 1 });
      const created = await subscribe(user, { productId: pro, currency: 'USD', trialDays: 0 });
      expect(created.json().status).toBe('incomplete');
      return created.json().id;
    }
    const created = await subscribe(user, {
      productId: pro,
      currency: 'USD',
      trialDays: status === 'trialing' ? 7 : 0,
    });
    const id = created.json().id as string;
    if (status === 'paused') expect((await post(user, `${id}/pause`)).statusCode).toBe(200);
    if (status === 'canceled')
      expect((await post(user, `${id}/cancel`, { atPeriodEnd: false })).statusCode).toBe(200);
    if (status === 'past_due') {
      await t.dataSource.query(`UPDATE billing.subscriptions SET status = 'past_due' WHERE id = $1`, [id]);
    }
    return id;
  }

  it('refuses every invalid transition with 409 naming the allowed ones, and changes nothing', async () => {
    const actions: Array<{ path: string; body?: Record<string, unknown>; to: SubscriptionStatus }> = [
      { path: 'pause', to: 'paused' },
      { path: 'cancel', body: { atPeriodEnd: false }, to: 'canceled' },
    ];
    const statuses: SubscriptionStatus[] = [
      'incomplete',
      'trialing',
      'active',
      'past_due',
      'paused',
      'canceled',
    ];
    let checked = 0;
    for (const status of statuses) {
      for (const action of actions) {
        if (SUBSCRIPTION_TRANSITIONS[status].includes(action.to)) continue;
        const user = `user_tr_${status}_${action.path}`;
        const id = await subscriptionIn(status, user);
        const before = await t.dataSource.query('SELECT * FROM billing.subscriptions WHERE id = $1', [id]);
        const response = await post(user, `${id}/${action.path}`, action.body);
        expect({ status, action: action.path, code: response.statusCode }).toEqual({
          status,
          action: action.path,
          code: 409,
        });
        expect(response.json().error.code).toBe('INVALID_TRANSITION');
        const allowed = SUBSCRIPTION_TRANSITIONS[status];
        expect(response.json().error.message).toContain(`is ${status}`);
        for (const target of allowed) expect(response.json().error.message).toContain(target);
        expect(await t.dataSource.query('SELECT * FROM billing.subscriptions WHERE id = $1', [id])).toEqual(
          before,
        );
        checked += 1;
      }
    }
    // resume needs paused; reactivate needs a scheduled cancellation; change-plan needs a live plan.
    const active = await subscriptionIn('active', 'user_tr_resume');
    expect((await post('user_tr_resume', `${active}/resume`)).json().error).toMatchObject({
      code: 'INVALID_TRANSITION',
      message: expect.stringContaining('resume needs paused'),
    });
    expect((await post('user_tr_resume', `${active}/reactivate`)).statusCode).toBe(409);
    const paused = await subscriptionIn('paused', 'user_tr_change');
    expect((await post('user_tr_change', `${paused}/change-plan`, { productId: elite })).statusCode).toBe(
      409,
    );
    expect(checked).toBe(4);
  });

  it('refuses a prorated change while past due (it would credit unpaid time) but schedules one', async () => {
    const id = await subscriptionIn('past_due', 'user_past_due_change');
    const now = await post('user_past_due_change', `${id}/change-plan`, { productId: elite });
    expect(now.statusCode).toBe(409);
    expect(now.json().error.message).toBe(
      `subscription ${id} has an unpaid invoice: pay it first, or schedule the change with when: period_end`,
    );
    const invoices = () =>
      t.dataSource.query('SELECT id FROM billing.invoices WHERE subscription_id = $1', [id]);
    expect(await invoices()).toHaveLength(1);
    const scheduled = await post('user_past_due_change', `${id}/change-plan`, {
      productId: elite,
      when: 'period_end',
    });
    expect(scheduled.statusCode).toBe(200);
    expect(scheduled.json()).toMatchObject({
      status: 'past_due',
      productId: pro,
      scheduledChange: { productId: elite },
    });
    expect(await invoices()).toHaveLength(1);

    // Active, but its upgrade's invoice failed and waits in dunning: no second prorated change either.
    const active = await subscriptionIn('active', 'user_open_invoice_change');
    t.fake.controls.declineNextPayments({ count: 1 });
    const upgraded = await post('user_open_invoice_change', `${active}/change-plan`, { productId: elite });
    expect(upgraded.json()).toMatchObject({ productId: elite });
    // As under a dunning policy that waits for a second failure before past_due.
    await t.dataSource.query(`UPDATE billing.subscriptions SET status = 'active' WHERE id = $1`, [active]);
    const again = await post('user_open_invoice_change', `${active}/change-plan`, {
      quantity: 2,
      when: 'now',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toContain('has an unpaid invoice');
  });

  it('rejects bad input with precise 4xx errors and creates nothing', async () => {
    const user = 'user_bad_input';
    await addCard(user);
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{}, 400, 'productId'],
      [{ productId: pro }, 400, 'currency'],
      [{ productId: pro, currency: 'usdollars' }, 400, 'currency'],
      [{ productId: pro, currency: 'USD', quantity: 0 }, 400, 'quantity'],
      [{ productId: pro, currency: 'USD', quantity: 1.5 }, 400, 'quantity'],
      [{ productId: pro, currency: 'USD', quantity: '2' }, 400, 'quantity'],
      [{ productId: pro, currency: 'USD', trialDays: -1 }, 400, 'trialDays'],
      [{ productId: pro, currency: 'USD', extra: true }, 400, 'extra'],
      [
        { productId: 'prd_01jzzzzzzzzzzzzzzzzzzzzzzz', currency: 'USD' },
        404,
        'prd_01jzzzzzzzzzzzzzzzzzzzzzzz',
      ],
      [{ productId: pro, currency: 'JPY' }, 422, 'no recurring price in JPY'],
    ];
    for (const [payload, status, mention] of cases) {
      const response = await subscribe(user, payload);
      expect({ payload, status: response.statusCode }).toEqual({ payload, status });
      expect(JSON.stringify(response.json().error)).toContain(mention);
    }
    const evaluation = await productBySlug(t, 'evaluation-50k');
    const notAPlan = await subscribe(user, { productId: evaluation.id, currency: 'USD' });
    expect(notAPlan.statusCode).toBe(422);
    expect(notAPlan.json().error.message).toContain('not a subscription plan');
    const noCard = await subscribe('user_without_card', { productId: pro, currency: 'USD', trialDays: 0 });
    expect(noCard.statusCode).toBe(422);
    expect(noCard.json().error.message).toContain('payment method');
    const [{ count }] = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM billing.subscriptions WHERE user_id IN ($1, 'user_without_card')`,
      [user],
    );
    expect(count).toBe(0);

    const ok = await subscribe(user, { productId: pro, currency: 'usd' });
    expect(ok.statusCode).toBe(201);
    const id = ok.json().id as string;
    expect((await post(user, `${id}/change-plan`, {})).statusCode).toBe(422);
    expect((await post(user, `${id}/change-plan`, { when: 'tomorrow', productId: elite })).statusCode).toBe(
      400,
    );
    expect((await post(user, `${id}/change-plan`, { productId: pro })).statusCode).toBe(409);
    const preview = await t.inject({
      method: 'GET',
      url: `/v1/billing/subscriptions/${id}/upcoming-invoice?quantity=-3`,
      headers: as(user),
    });
    expect(preview.statusCode).toBe(400);
  });

  it("hides other users' subscriptions and payment methods as 404", async () => {
    const id = await subscriptionIn('active', 'user_owner');
    for (const path of [`${id}`, `${id}/upcoming-invoice`]) {
      const response = await t.inject({
        method: 'GET',
        url: `/v1/billing/subscriptions/${path}`,
        headers: as('user_other'),
      });
      expect(response.statusCode).toBe(404);
    }
    for (const action of ['cancel', 'pause', 'resume', 'reactivate', 'change-plan']) {
      const response = await post(
        'user_other',
        `${id}/${action}`,
        action === 'change-plan' ? { quantity: 2 } : {},
      );
      expect({ action, status: response.statusCode }).toEqual({ action, status: 404 });
    }
    const methods = await t.inject({
      method: 'GET',
      url: '/v1/billing/payment-methods',
      headers: as('user_owner'),
    });
    const [card] = methods.json() as Array<{ id: string; isDefault: boolean }>;
    expect(card.isDefault).toBe(true);
    await addCard('user_other');
    const stolen = await t.inject({
      method: 'POST',
      url: `/v1/billing/payment-methods/${card.id}/default`,
      headers: as('user_other'),
    });
    expect(stolen.statusCode).toBe(404);
    const removed = await t.inject({
      method: 'DELETE',
      url: `/v1/billing/payment-methods/${card.id}`,
      headers: as('user_other'),
    });
    expect(removed.statusCode).toBe(404);
    expect(
      (await t.inject({ method: 'GET', url: '/v1/billing/subscriptions/sub_bad', headers: as('user_owner') }))
        .statusCode,
    ).toBe(404);
  });

  it('subscribes once when the same request races', async () => {
    const user = 'user_race';
    await addCard(user);
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => subscribe(user, { productId: elite, currency: 'USD', trialDays: 0 })),
    );
    expect(responses.filter((response) => response.statusCode === 201)).toHaveLength(1);
    expect(responses.filter((response) => response.statusCode === 409)).toHaveLength(4);
    const [{ count }] = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM billing.invoices WHERE user_id = $1`,
      [user],
    );
    expect(count).toBe(1);
  });

  it('leaves the invoice open with a confirmation link when the bank asks for 3-D Secure, and activates once confirmed', async () => {
    const user = 'user_sca';
    const setup = await addCard(user, 'pm_card_threeDSecure2Required');
    expect(setup.json().status).toBe('requires_action');
    t.fake.controls.authenticate(setup.json().id, true);
    const methods = await t.inject({ method: 'GET', url: '/v1/billing/payment-methods', headers: as(user) });
    const [card] = methods.json() as Array<{ id: string }>;
    expect(
      (
        await t.inject({
          method: 'POST',
          url: `/v1/billing/payment-methods/${card.id}/default`,
          headers: as(user),
        })
      ).statusCode,
    ).toBe(200);

    const created = await subscribe(user, { productId: pro, currency: 'USD', trialDays: 0 });
    expect(created.json().status).toBe('incomplete');
    const [invoice] = await t.dataSource.query(`SELECT * FROM billing.invoices WHERE subscription_id = $1`, [
      created.json().id,
    ]);
    expect(invoice.status).toBe('open');
    expect(invoice.action_url).toMatch(/^http/);
    const [event] = (await t.outbox('billing.invoice.payment_action_required')).filter(
      (row) => row.subject === invoice.id,
    );
    expect(event.envelope.data).toMatchObject({ actionUrl: invoice.action_url, attempt: 1 });
    // The web app shows the trader where to confirm.
    const own = await t.inject({
      method: 'GET',
      url: `/v1/billing/invoices/${invoice.id}`,
      headers: as(user),
    });
    expect(own.json()).toMatchObject({
      status: 'open',
      billingReason: 'subscription_create',
      subscriptionId: created.json().id,
      amountDue: 4900,
      actionUrl: invoice.action_url,
      lines: [{ kind: 'plan', quantity: 1 }],
    });

    t.fake.controls.authenticate(invoice.payment_intent_id, true);
    await t.fake.flushWebhooks();
    await eventually(async () => {
      const [row] = await t.dataSource.query(`SELECT status FROM billing.subscriptions WHERE id = $1`, [
        created.json().id,
      ]);
      return row.status === 'active';
    });
    const [paid] = await t.dataSource.query(`SELECT status, charge_id FROM billing.invoices WHERE id = $1`, [
      invoice.id,
    ]);
    expect(paid.status).toBe('paid');
    expect(paid.charge_id).toMatch(/^chg_/);
  });

  it('credits a downgrade made now to the balance and spends it on the next invoice', async () => {
    const user = 'user_downgrade';
    now = new Date('2026-05-10T08:00:00Z');
    await addCard(user);
    const created = await subscribe(user, { productId: elite, currency: 'USD', trialDays: 0, quantity: 2 });
    const id = created.json().id as string;
    expect(created.json()).toMatchObject({ status: 'active', currentPeriodEnd: '2026-06-10T08:00:00.000Z' });
    // 31-day period; the downgrade happens with 15.5 days (half) left.
    now = new Date('2026-05-25T20:00:00Z');
    const downgraded = await post(user, `${id}/change-plan`, { productId: pro, quantity: 1, when: 'now' });
    expect(downgraded.statusCode).toBe(200);
    const [customer] = await t.dataSource.query(`SELECT id FROM billing.customers WHERE user_id = $1`, [
      user,
    ]);
    const balance = await t.inject({
      method: 'GET',
      url: `/v1/admin/customers/${customer.id}/balance`,
      headers: t.as(SUPPORT),
    });
    // credit −round(19800 × ½) = −9900, charge round(4900 × ½) = 2450: 7450 back to the balance.
    expect(balance.json().balances).toEqual([{ amount: 7450, currency: 'USD' }]);
    const preview = await t.inject({
      method: 'GET',
      url: `/v1/billing/subscriptions/${id}/upcoming-invoice`,
      headers: as(user),
    });
    expect(preview.json()).toMatchObject({ total: 4900, creditApplied: 4900, amountDue: 0 });

    now = new Date('2026-06-10T09:00:00Z');
    await t.app.get(BillingRuns).execute((await t.app.get(BillingRuns).create('manual', SYSTEM, now)).id);
    const [renewal] = await t.dataSource.query(
      `SELECT * FROM billing.invoices WHERE subscription_id = $1 AND billing_reason = 'subscription_cycle'`,
      [id],
    );
    expect(renewal).toMatchObject({ total: '4900', credit_applied: '4900', amount_due: '0', status: 'paid' });
    const ledger = await t.inject({
      method: 'GET',
      url: `/v1/admin/customers/${customer.id}/balance-transactions`,
      headers: t.as(SUPPORT),
    });
    expect(
      ledger
        .json()
        .data.map((entry: { kind: string; amount: { amount: number } }) => [entry.kind, entry.amount.amount]),
    ).toEqual([
      ['applied_to_invoice', -4900],
      ['downgrade_credit', 7450],
    ]);
    await expect(
      t.dataSource.query(`UPDATE billing.customer_balance_transactions SET amount = 0`),
    ).rejects.toThrow(/append-only/);
  });

  it('lets staff credit goodwill once per idempotency key, void and write off invoices, and run billing with progress', async () => {
    const user = 'user_staff_actions';
    await addCard(user);
    const created = await subscribe(user, { productId: pro, currency: 'USD', trialDays: 0 });
    const [customer] = await t.dataSource.query(`SELECT id FROM billing.customers WHERE user_id = $1`, [
      user,
    ]);
    const credit = () =>
      t.inject({
        method: 'POST',
        url: `/v1/admin/customers/${customer.id}/balance-credits`,
        headers: { ...t.as(SUPPORT), 'idempotency-key': 'goodwill-outage-1' },
        payload: { amount: 1000, currency: 'USD', reason: 'outage' },
      });
    const credits = await Promise.all([credit(), credit(), credit()]);
    expect(credits.every((response) => response.statusCode === 201 || response.statusCode === 409)).toBe(
      true,
    );
    const balance = await t.inject({
      method: 'GET',
      url: `/v1/admin/customers/${customer.id}/balance`,
      headers: t.as(SUPPORT),
    });
    expect(balance.json().balances).toEqual([{ amount: 1000, currency: 'USD' }]);
    for (const payload of [
      { amount: -5, currency: 'USD', reason: 'x' },
      { amount: 1.5, currency: 'USD', reason: 'x' },
      { amount: 5, currency: 'USD' },
    ]) {
      const bad = await t.inject({
        method: 'POST',
        url: `/v1/admin/customers/${customer.id}/balance-credits`,
        headers: idempotent(t.as(SUPPORT)),
        payload,
      });
      expect(bad.statusCode).toBe(400);
    }
    expect(
      (
        await t.inject({
          method: 'POST',
          url: '/v1/admin/customers/cust_01jzzzzzzzzzzzzzzzzzzzzzzz/balance-credits',
          headers: idempotent(t.as(SUPPORT)),
          payload: { amount: 5, currency: 'USD', reason: 'x' },
        })
      ).statusCode,
    ).toBe(404);

    // A paid invoice cannot be voided; an open one can, by finance only.
    const [paid] = await t.dataSource.query(`SELECT id FROM billing.invoices WHERE subscription_id = $1`, [
      created.json().id,
    ]);
    const voidPaid = await t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${paid.id}/void`,
      headers: t.as(FINANCE),
      payload: { reason: 'test' },
    });
    expect(voidPaid.statusCode).toBe(409);
    expect(voidPaid.json().error.message).toContain('credit note');
    const bySupport = await t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${paid.id}/void`,
      headers: t.as(SUPPORT),
      payload: { reason: 'test' },
    });
    expect(bySupport.statusCode).toBe(403);

    // A renewal that fails (the only one due: the forced decline must hit it), then staff step in.
    await t.dataSource.query(`UPDATE billing.subscriptions SET status = 'canceled' WHERE id <> $1`, [
      created.json().id,
    ]);
    t.fake.controls.declineNextPayments({ count: 1 });
    // An hour after the period ended: late usage has had its grace.
    now = new Date(new Date(created.json().currentPeriodEnd).getTime() + 3_600_000);
    const started = await t.inject({
      method: 'POST',
      url: '/v1/admin/billing-runs',
      headers: t.as(FINANCE),
      payload: { asOf: now.toISOString() },
    });
    expect(started.statusCode).toBe(201);
    const finished = await eventually(async () => {
      const response = await t.inject({
        method: 'GET',
        url: `/v1/admin/billing-runs/${started.json().id}`,
        headers: t.as(SUPPORT),
      });
      const run = response.json() as { status: string; progress: Record<string, number> };
      return run.status === 'completed' ? run : undefined;
    });
    expect(finished.progress).toMatchObject({ failed: 0, remaining: 0 });
    expect(finished.progress.invoicesCreated).toBeGreaterThanOrEqual(1);
    const renewal = await eventually(async () => {
      const [row] = await t.dataSource.query(
        `SELECT i.* FROM billing.invoices i JOIN billing.dunning_cases d ON d.invoice_id = i.id WHERE i.subscription_id = $1`,
        [created.json().id],
      );
      return row;
    });
    // The goodwill credit paid part of the renewal; voiding gives it back.
    expect(renewal).toMatchObject({ credit_applied: '1000', amount_due: '3900', status: 'open' });
    const paused = await t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${renewal.id}/dunning/pause`,
      headers: t.as(SUPPORT),
    });
    expect(paused.json()).toMatchObject({ status: 'paused', nextAttemptAt: null });
    const overview = await t.inject({
      method: 'GET',
      url: `/v1/admin/customers/${customer.id}`,
      headers: t.as(SUPPORT),
    });
    expect(overview.json().dunning.data).toEqual([
      expect.objectContaining({ invoiceId: renewal.id, status: 'paused', failedAttempts: 1 }),
    ]);
    expect(overview.json().subscriptions.data).toEqual([expect.objectContaining({ id: created.json().id })]);
    const retryWhilePaused = await t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${renewal.id}/retry-payment`,
      headers: idempotent(t.as(SUPPORT)),
    });
    expect(retryWhilePaused.statusCode).toBe(409);
    const voided = await t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${renewal.id}/void`,
      headers: t.as(FINANCE),
      payload: { reason: 'billed in error' },
    });
    expect(voided.json()).toMatchObject({ status: 'void' });
    const after = await t.inject({
      method: 'GET',
      url: `/v1/admin/customers/${customer.id}/balance`,
      headers: t.as(SUPPORT),
    });
    expect(after.json().balances).toEqual([{ amount: 1000, currency: 'USD' }]);
    const [dunning] = await t.dataSource.query(
      `SELECT status FROM billing.dunning_cases WHERE invoice_id = $1`,
      [renewal.id],
    );
    expect(dunning.status).toBe('closed');
    const uncollectible = await t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${renewal.id}/mark-uncollectible`,
      headers: t.as(FINANCE),
      payload: { reason: 'late' },
    });
    expect(uncollectible.statusCode).toBe(409);
    const audit = await t.dataSource.query(
      `SELECT action FROM platform.audit_log WHERE resource_id IN ($1, $2) ORDER BY occurred_at, id`,
      [renewal.id, customer.id],
    );
    expect(audit.map((row: { action: string }) => row.action)).toEqual(
      expect.arrayContaining(['customer_balance.goodwill_credit', 'dunning.paused', 'invoice.voided']),
    );
    const badRun = await t.inject({
      method: 'POST',
      url: '/v1/admin/billing-runs',
      headers: t.as(FINANCE),
      payload: { asOf: 'yesterday' },
    });
    expect(badRun.statusCode).toBe(400);
    expect(
      (await t.inject({ method: 'POST', url: '/v1/admin/billing-runs', headers: t.as(SUPPORT), payload: {} }))
        .statusCode,
    ).toBe(403);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

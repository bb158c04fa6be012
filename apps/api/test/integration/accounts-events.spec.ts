import type { AstrixEvent, EventDataByType, EventType, PaymentCompletedData } from '@astrix/contracts';
import { CatalogService } from '../../src/modules/billing/catalog/catalog.service';
import { accountTermsOf } from '../../src/modules/billing/payments/charge-recorder.service';
import { EventDispatcher } from '../../src/platform/events/event-dispatcher.service';
import { OutboxService } from '../../src/platform/events/outbox.service';
import { productBySlug } from '../support/billing';
import { startTestApp, TestApp } from '../support/test-app';

describe('accounts: provisioning and subscription events', () => {
  let t: TestApp;
  let subscriptionProductId: string;
  const support = { sub: 'staff_support', roles: ['support'] };
  let chargeSequence = 0;

  beforeAll(async () => {
    t = await startTestApp();
    const catalog = t.app.get(CatalogService);
    await catalog.seedDemoCatalog();
    const product = await catalog.createProduct(
      {
        kind: 'subscription',
        name: 'Evaluation club 25k',
        slug: 'evaluation-club-25k',
        attributes: {
          accountSize: 25_000,
          phases: 1,
          profitTargetPercent: ['10'],
          maxDailyLossPercent: '4',
          maxTotalLossPercent: '8',
          minTradingDays: 3,
        },
        prices: [{ currency: 'EUR', unitAmount: 9900, recurring: { interval: 'month', intervalCount: 1 } }],
      },
      { actor: { kind: 'system', name: 'test' }, requestId: null },
    );
    subscriptionProductId = product.id;
  });
  afterAll(() => t.close());

  /** Appends an event through the outbox (as its producer would) and delivers it to the consumers. */
  async function publish<T extends EventType>(type: T, subject: string, data: EventDataByType[T]) {
    const envelope = await t.dataSource.transaction((manager) =>
      t.app.get(OutboxService).append(manager, { type, subject, data }),
    );
    await t.app.get(EventDispatcher).dispatch(envelope as AstrixEvent);
    return envelope as AstrixEvent;
  }

  /** A purchase as billing announces it: the product's account terms as they are now, snapshotted. */
  async function payment(userId: string, slug: string, overrides: Partial<PaymentCompletedData> = {}) {
    const product = await productBySlug(t, slug);
    const [{ attributes }] = await t.dataSource.query(
      'SELECT attributes FROM billing.products WHERE id = $1',
      [product.id],
    );
    chargeSequence += 1;
    const chargeId = `chg_01jtest${String(chargeSequence).padStart(18, '0')}`;
    const data: PaymentCompletedData = {
      chargeId,
      userId,
      customerId: 'cust_01jtest000000000000000000',
      paidFor: 'purchase',
      checkoutSessionId: 'chk_01jtest000000000000000000',
      subscriptionId: null,
      productId: product.id,
      productKind: 'evaluation',
      accountSize: 50_000,
      accountTerms: accountTermsOf({ attributes }),
      accountId: null,
      amount: 29900,
      currency: 'USD',
      discountAmount: 0,
      couponCode: null,
      invoiceId: 'inv_01jtest000000000000000000',
      paymentIntentId: null,
      paidAt: new Date().toISOString(),
      ...overrides,
    };
    return data;
  }

  const accountsOf = (userId: string) =>
    t.dataSource.query('SELECT * FROM accounts.accounts WHERE user_id = $1 ORDER BY id', [userId]);

  it('provisions one evaluation per charge, however often and however late the event comes', async () => {
    const data = await payment('user_replay', 'evaluation-50k');
    const first = await publish('billing.payment.completed', data.chargeId, data);
    await t.app.get(EventDispatcher).dispatch(first);
    // The same payment announced again later as a new event (e.g. replayed from the outbox).
    await publish('billing.payment.completed', data.chargeId, data);

    const accounts = await accountsOf('user_replay');
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({
      kind: 'evaluation',
      status: 'active',
      size: 50000,
      currency: 'USD',
      phase: 1,
      phases: 2,
      starting_balance: '5000000',
      charge_id: data.chargeId,
      reset_count: 0,
      rules: {
        profitTargetPercent: ['8', '5'],
        maxDailyLossPercent: '5',
        maxTotalLossPercent: '10',
        minTradingDays: 4,
      },
    });
    const history = await t.dataSource.query(
      'SELECT from_status, to_status FROM accounts.account_status_history WHERE account_id = $1 ORDER BY id',
      [accounts[0].id],
    );
    expect(history).toEqual([
      { from_status: null, to_status: 'provisioning' },
      { from_status: 'provisioning', to_status: 'active' },
    ]);
    const events = await t.dataSource.query(
      `SELECT envelope FROM platform.outbox_events WHERE type = 'accounts.account.state_changed' AND subject = $1 ORDER BY position`,
      [accounts[0].id],
    );
    expect(events.map((row: { envelope: { data: { to: string } } }) => row.envelope.data.to)).toEqual([
      'provisioning',
      'active',
    ]);
    expect(events[1].envelope.data).toMatchObject({
      accountId: accounts[0].id,
      userId: 'user_replay',
      from: 'provisioning',
      chargeId: data.chargeId,
      firstTradeAt: null,
      resetCount: 0,
    });
    const audit = await t.dataSource.query(
      `SELECT action FROM platform.audit_log WHERE resource_id = $1 ORDER BY id`,
      [accounts[0].id],
    );
    expect(audit.map((row: { action: string }) => row.action)).toEqual([
      'account.provisioned',
      'account.status_changed',
    ]);
  });

  it('keeps the status history append-only', async () => {
    await expect(t.dataSource.query('DELETE FROM accounts.account_status_history')).rejects.toThrow(
      /append-only/,
    );
  });

  it('provisions instant-funded accounts funded and starting balances in the currency minor units', async () => {
    await publish(
      'billing.payment.completed',
      'x',
      await payment('user_funded', 'instant-funded-25k', {
        productKind: 'instant_funded',
        accountSize: 25_000,
        currency: 'EUR',
      }),
    );
    await publish(
      'billing.payment.completed',
      'x',
      await payment('user_funded', 'evaluation-25k', { currency: 'JPY' }),
    );
    const [funded, yen] = await accountsOf('user_funded');
    expect(funded).toMatchObject({
      kind: 'funded',
      status: 'funded',
      phase: 0,
      phases: 0,
      starting_balance: '2500000',
    });
    expect(yen).toMatchObject({
      kind: 'evaluation',
      status: 'active',
      starting_balance: '25000',
      currency: 'JPY',
    });
  });

  it('creates nothing for add-ons', async () => {
    await publish(
      'billing.payment.completed',
      'x',
      await payment('user_add_on', 'evaluation-25k', { productKind: 'add_on' }),
    );
    expect(await accountsOf('user_add_on')).toHaveLength(0);
  });

  it('holds the accounts of a held customer until support releases them', async () => {
    const placed = await t.inject({
      method: 'POST',
      url: '/v1/admin/accounts/holds',
      headers: t.as(support),
      payload: { userId: 'user_held', reason: 'card shared with a flagged customer' },
    });
    expect(placed.statusCode).toBe(201);
    await publish('billing.payment.completed', 'x', await payment('user_held', 'evaluation-50k'));
    const [held] = await accountsOf('user_held');
    expect(held.status).toBe('on_hold');

    const suspendHeld = await t.inject({
      method: 'POST',
      url: `/v1/admin/accounts/${held.id}/reinstate`,
      headers: t.as(support),
      payload: { reason: 'wrong button' },
    });
    expect(suspendHeld.statusCode).toBe(409);
    expect(suspendHeld.json().error).toMatchObject({
      code: 'INVALID_TRANSITION',
      details: [
        { field: 'status', message: 'active' },
        { field: 'status', message: 'closed' },
      ],
    });

    const released = await t.inject({
      method: 'POST',
      url: `/v1/admin/accounts/${held.id}/release-hold`,
      headers: t.as(support),
      payload: { reason: 'reviewed: legitimate' },
    });
    expect(released.statusCode).toBe(200);
    expect(released.json()).toMatchObject({ status: 'active' });
    expect(released.json().history.at(-1)).toMatchObject({
      from: 'on_hold',
      to: 'active',
      reason: 'reviewed: legitimate',
      actor: 'user:staff_support',
    });
    const again = await t.inject({
      method: 'POST',
      url: `/v1/admin/accounts/${held.id}/release-hold`,
      headers: t.as(support),
      payload: { reason: 'twice' },
    });
    expect(again.statusCode).toBe(409);

    const lifted = await t.inject({
      method: 'DELETE',
      url: '/v1/admin/accounts/holds/user_held',
      headers: t.as(support),
    });
    expect(lifted.statusCode).toBe(204);
    await publish('billing.payment.completed', 'x', await payment('user_held', 'evaluation-50k'));
    expect((await accountsOf('user_held')).map((row: { status: string }) => row.status)).toEqual([
      'active',
      'active',
    ]);
    const audit = await t.dataSource.query(
      `SELECT action FROM platform.audit_log WHERE resource_type = 'user_hold' AND resource_id = 'user_held' ORDER BY id`,
    );
    expect(audit.map((row: { action: string }) => row.action)).toEqual([
      'user_hold.placed',
      'user_hold.removed',
    ]);
  });

  // Subscription-backed accounts (provisioned by a subscription bought at checkout, kept by real
  // renewals, suspended while it is unpaid, paused or canceled and reinstated when paid) are tested
  // end to end through the fake Stripe and the billing run: test/e2e/checkout-subscriptions.spec.ts.

  it('provisions the terms the payment carries, not the product as it is now', async () => {
    const bought = await payment('user_snapshot', 'evaluation-50k');
    // The product was edited after the purchase: a larger size, other rules.
    await publish('billing.payment.completed', bought.chargeId, {
      ...bought,
      accountSize: 50_000,
      accountTerms: {
        accountSize: 50_000,
        phases: 1,
        profitTargetPercent: ['9'],
        maxDailyLossPercent: '3',
        maxTotalLossPercent: '6',
        minTradingDays: 2,
        platform: null,
      },
    });
    const [account] = await accountsOf('user_snapshot');
    expect(account).toMatchObject({
      size: 50000,
      phases: 1,
      rules: {
        profitTargetPercent: ['9'],
        maxDailyLossPercent: '3',
        maxTotalLossPercent: '6',
        minTradingDays: 2,
      },
    });
  });

  it('creates nothing for an invoice payment, even of a subscription that includes an evaluation', async () => {
    await publish(
      'billing.payment.completed',
      'x',
      await payment('user_invoice_payer', 'evaluation-club-25k', {
        paidFor: 'invoice',
        checkoutSessionId: null,
        subscriptionId: 'sub_invoice_payer',
        productId: subscriptionProductId,
        productKind: 'subscription',
        accountSize: null,
        accountTerms: null,
        currency: 'EUR',
      }),
    );
    expect(await accountsOf('user_invoice_payer')).toHaveLength(0);
  });

  it('refuses, loudly, to provision a purchase that carries no account terms', async () => {
    const data = await payment('user_no_terms', 'evaluation-50k', { accountTerms: null });
    const envelope = await t.dataSource.transaction((manager) =>
      t.app.get(OutboxService).append(manager, { type: 'billing.payment.completed', subject: 'x', data }),
    );
    await expect(t.app.get(EventDispatcher).dispatch(envelope as AstrixEvent)).rejects.toThrow(
      /carries no account terms/,
    );
    expect(await accountsOf('user_no_terms')).toHaveLength(0);
  });

  it('lists accounts for support by customer, paginated', async () => {
    for (const slug of ['evaluation-50k', 'evaluation-50k']) {
      await publish('billing.payment.completed', 'x', await payment('user_subscriber', slug));
    }
    const firstPage = await t.inject({
      method: 'GET',
      url: '/v1/admin/accounts?userId=user_subscriber&limit=1',
      headers: t.as(support),
    });
    expect(firstPage.statusCode).toBe(200);
    expect(firstPage.json().data).toHaveLength(1);
    const secondPage = await t.inject({
      method: 'GET',
      url: `/v1/admin/accounts?userId=user_subscriber&limit=1&cursor=${firstPage.json().nextCursor}`,
      headers: t.as(support),
    });
    expect(secondPage.json()).toMatchObject({ nextCursor: null });
    expect(secondPage.json().data[0].id < firstPage.json().data[0].id).toBe(true);
    const filtered = await t.inject({
      method: 'GET',
      url: '/v1/admin/accounts?kind=funded',
      headers: t.as(support),
    });
    expect(filtered.json().data.map((account: { userId: string }) => account.userId)).toEqual([
      'user_funded',
    ]);
    const trader = await t.inject({
      method: 'GET',
      url: '/v1/admin/accounts',
      headers: t.as({ sub: 'user_funded' }),
    });
    expect(trader.statusCode).toBe(403);
  });
});

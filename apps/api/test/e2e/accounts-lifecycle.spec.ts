import type { AccountView, AstrixEvent } from '@astrix/contracts';
import { ProvisioningConsumer } from '../../src/modules/accounts/provisioning.consumer';
import { EventDispatcher } from '../../src/platform/events/event-dispatcher.service';
import {
  BillingTestApp,
  chargeOf,
  payWithCard,
  productBySlug,
  startBillingTestApp,
} from '../support/billing';
import { eventually, issueApiKey } from '../support/test-app';
import { expectBooksClean } from '../support/books';

describe('accounts through the fake Stripe: provisioning, trading outcomes, resets', () => {
  let t: BillingTestApp;
  let platformKey: string;
  let readOnlyKey: string;
  beforeAll(async () => {
    t = await startBillingTestApp();
    platformKey = await issueApiKey(t, 'trading-platform', ['accounts:write']);
    readOnlyKey = await issueApiKey(t, 'reporting', ['usage:read']);
  });
  afterAll(() => t.close());

  const trader = { sub: 'user_acc_trader', email: 'acc@example.com' };
  const finance = { sub: 'staff_finance', roles: ['finance'] };
  let sequence = 0;

  async function buy(slug: string, accountId?: string): Promise<{ sessionId: string; chargeId: string }> {
    const product = await productBySlug(t, slug);
    const checkout = await t.inject({
      method: 'POST',
      url: '/v1/billing/checkout-sessions',
      headers: t.as(trader),
      payload: { productId: product.id, currency: 'USD', ...(accountId ? { accountId } : {}) },
    });
    expect(checkout.statusCode).toBe(201);
    return pay(checkout.json().id as string);
  }

  async function pay(sessionId: string): Promise<{ sessionId: string; chargeId: string }> {
    expect((await payWithCard(t, sessionId, '4242424242424242')).status).toBe(200);
    await t.fake.flushWebhooks();
    const charge = await chargeOf(t, sessionId);
    return { sessionId, chargeId: charge.id as string };
  }

  const accountOfCharge = (chargeId: string, status: string) =>
    eventually(async () => {
      const list = await t.inject({ method: 'GET', url: '/v1/accounts?limit=100', headers: t.as(trader) });
      const account = list
        .json()
        .data.find(
          (item: { chargeId: string; status: string }) =>
            item.chargeId === chargeId && item.status === status,
        );
      return account as Record<string, unknown> | undefined;
    });

  const report = (accountId: string, body: Record<string, unknown>, key = platformKey) =>
    t.inject({
      method: 'POST',
      url: `/v1/accounts/${accountId}/events`,
      headers: { authorization: `Bearer ${key}` },
      payload: body,
    });

  const outcome = (type: string, extra: Record<string, unknown> = {}) => {
    sequence += 1;
    return {
      eventId: `tp_evt_${sequence}`,
      type,
      occurredAt: new Date().toISOString(),
      reason: `${type} by rule`,
      ...extra,
    };
  };

  let evaluationId: string;

  it('buys an evaluation: the account becomes active with the size, balance and rules of the product', async () => {
    const { chargeId } = await buy('evaluation-50k');
    const account = await accountOfCharge(chargeId, 'active');
    expect(account).toMatchObject({
      kind: 'evaluation',
      userId: trader.sub,
      size: 50000,
      currency: 'USD',
      phase: 1,
      phases: 2,
      startingBalance: 5_000_000,
      resetCount: 0,
      firstTradeAt: null,
      rules: {
        profitTargetPercent: ['8', '5'],
        maxDailyLossPercent: '5',
        maxTotalLossPercent: '10',
        minTradingDays: 4,
      },
    });
    evaluationId = account.id as string;
  });

  it('shows an account only to its owner', async () => {
    const own = await t.inject({ method: 'GET', url: `/v1/accounts/${evaluationId}`, headers: t.as(trader) });
    expect(own.statusCode).toBe(200);
    expect(own.json().history.map((change: { to: string }) => change.to)).toEqual(['provisioning', 'active']);
    for (const url of [`/v1/accounts/${evaluationId}`, `/v1/accounts/${evaluationId}/reset-offer`]) {
      const other = await t.inject({ method: 'GET', url, headers: t.as({ sub: 'user_someone_else' }) });
      expect(other.statusCode).toBe(404);
    }
    const mine = await t.inject({
      method: 'GET',
      url: '/v1/accounts',
      headers: t.as({ sub: 'user_someone_else' }),
    });
    expect(mine.json()).toEqual({ data: [], nextCursor: null });
  });

  it('refuses the platform endpoint to traders and to keys without accounts:write, and bad input', async () => {
    const body = outcome('breached');
    const asTrader = await t.inject({
      method: 'POST',
      url: `/v1/accounts/${evaluationId}/events`,
      headers: t.as(trader),
      payload: body,
    });
    expect(asTrader.statusCode).toBe(403);
    expect((await report(evaluationId, body, readOnlyKey)).statusCode).toBe(403);

    const { eventId: _eventId, ...withoutEventId } = body;
    for (const bad of [
      { ...body, type: 'exploded' },
      withoutEventId,
      { ...body, occurredAt: 12 },
      { ...body, occurredAt: 'yesterday' },
      { ...body, reason: 5 },
      { ...body, metrics: { nested: { no: 1 } } },
      { ...body, metrics: { firstTradeAt: 'soon' } },
      { ...body, balance: 1 },
    ]) {
      const response = await report(evaluationId, bad);
      expect({ bad, status: response.statusCode }).toEqual({ bad, status: 400 });
      expect(response.json().error.code).toBe('VALIDATION_ERROR');
    }
    const unknown = await report('acc_01jzzzzzzzzzzzzzzzzzzzzzzz', body);
    expect(unknown.statusCode).toBe(404);
  });

  it('applies a platform outcome once per event id, refuses reuse, stale and invalid ones', async () => {
    const breached = outcome('breached', {
      metrics: { firstTradeAt: '2026-11-20T09:30:00Z', equity: 44_100.5 },
    });
    const first = await report(evaluationId, breached);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ status: 'breached', firstTradeAt: '2026-11-20T09:30:00.000Z' });

    const repeat = await report(evaluationId, breached);
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json()).toEqual(first.json());
    const reused = await report(evaluationId, { ...breached, reason: 'something else' });
    expect(reused.statusCode).toBe(422);
    expect(reused.json().error.code).toBe('EVENT_ID_REUSED');

    const invalid = await report(evaluationId, outcome('funded'));
    expect(invalid.statusCode).toBe(409);
    expect(invalid.json().error).toMatchObject({
      code: 'INVALID_TRANSITION',
      details: [
        { field: 'status', message: 'active' },
        { field: 'status', message: 'closed' },
      ],
    });
    // Out of order: an outcome dated before the breach arrives late.
    const stale = await report(evaluationId, outcome('closed', { occurredAt: '2026-01-01T00:00:00Z' }));
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('STALE_EVENT');

    const account = await t.inject({
      method: 'GET',
      url: `/v1/accounts/${evaluationId}`,
      headers: t.as(trader),
    });
    expect(account.json().history.map((change: { to: string }) => change.to)).toEqual([
      'provisioning',
      'active',
      'breached',
    ]);
    const events = await t.outbox('accounts.account.state_changed');
    expect(events.filter((event) => event.subject === evaluationId).at(-1)?.envelope.data).toMatchObject({
      from: 'active',
      to: 'breached',
      firstTradeAt: '2026-11-20T09:30:00.000Z',
    });
  });

  it('sells a reset of the breached account, one checkout at a time, and applies it on payment', async () => {
    const offer = await t.inject({
      method: 'GET',
      url: `/v1/accounts/${evaluationId}/reset-offer?currency=USD`,
      headers: t.as(trader),
    });
    expect(offer.statusCode).toBe(200);
    const reset = await productBySlug(t, 'reset-50k');
    expect(offer.json()).toMatchObject({
      eligible: true,
      accountId: evaluationId,
      productId: reset.id,
      breakdown: { total: { amount: 14900, currency: 'USD' } },
    });

    const attempt = () =>
      t.inject({
        method: 'POST',
        url: '/v1/billing/checkout-sessions',
        headers: t.as(trader),
        payload: { productId: reset.id, currency: 'USD', accountId: evaluationId },
      });
    const both = await Promise.all([attempt(), attempt()]);
    expect(both.map((response) => response.statusCode).sort()).toEqual([201, 409]);
    const refused = both.find((response) => response.statusCode === 409);
    expect(refused?.json().error.code).toBe('RESET_IN_PROGRESS');
    const opened = both.find((response) => response.statusCode === 201);

    await pay(opened?.json().id as string);
    const account = await eventually(async () => {
      const body = (
        await t.inject({ method: 'GET', url: `/v1/accounts/${evaluationId}`, headers: t.as(trader) })
      ).json() as AccountView;
      return body.resetCount === 1 ? body : undefined;
    });
    expect(account).toMatchObject({
      id: evaluationId,
      status: 'active',
      phase: 1,
      resetCount: 1,
      startingBalance: 5_000_000,
    });
    expect(account.history?.at(-1)).toMatchObject({ from: 'breached', to: 'active' });
  });

  it('refunds, once, a reset paid for an account that was funded meanwhile', async () => {
    const reset = await productBySlug(t, 'reset-50k');
    const checkout = await t.inject({
      method: 'POST',
      url: '/v1/billing/checkout-sessions',
      headers: t.as(trader),
      payload: { productId: reset.id, currency: 'USD', accountId: evaluationId },
    });
    expect(checkout.statusCode).toBe(201);

    // While the trader sits on the payment page, the account passes both phases and is funded.
    const phaseOne = await report(evaluationId, outcome('passed'));
    expect(phaseOne.json()).toMatchObject({ status: 'active', phase: 2 });
    expect((await report(evaluationId, outcome('passed'))).json()).toMatchObject({
      status: 'passed',
      phase: 2,
    });
    expect((await report(evaluationId, outcome('funded'))).json()).toMatchObject({
      status: 'funded',
      kind: 'funded',
    });

    const { chargeId } = await pay(checkout.json().id as string);
    await eventually(async () => {
      const charge = await t.inject({
        method: 'GET',
        url: `/v1/admin/charges/${chargeId}`,
        headers: t.as(finance),
      });
      return charge.json().status === 'refunded';
    });
    const [row] = await t.dataSource.query('SELECT * FROM accounts.resets WHERE charge_id = $1', [chargeId]);
    expect(row).toMatchObject({ outcome: 'refunded', from_status: 'funded', account_id: evaluationId });

    // The payment delivered again, even past the inbox, refunds nothing more and resets nothing.
    const [stored] = (await t.outbox('billing.payment.completed')).filter(
      (event) => event.subject === chargeId,
    );
    const envelope = stored.envelope as unknown as AstrixEvent;
    await t.app.get(EventDispatcher).dispatch(envelope);
    await t.dataSource.transaction((manager) =>
      t.app.get(ProvisioningConsumer).onPaymentCompleted(envelope, manager),
    );
    const charge = await t.inject({
      method: 'GET',
      url: `/v1/admin/charges/${chargeId}`,
      headers: t.as(finance),
    });
    expect(charge.json().refunds).toHaveLength(1);
    const account = await t.inject({
      method: 'GET',
      url: `/v1/accounts/${evaluationId}`,
      headers: t.as(trader),
    });
    expect(account.json()).toMatchObject({ status: 'funded', resetCount: 1 });
  });

  it('refuses to sell a reset of a funded account', async () => {
    const offer = await t.inject({
      method: 'GET',
      url: `/v1/accounts/${evaluationId}/reset-offer`,
      headers: t.as(trader),
    });
    expect(offer.json()).toEqual({
      eligible: false,
      accountId: evaluationId,
      reason: 'funded accounts cannot be reset',
    });
    const reset = await productBySlug(t, 'reset-50k');
    const checkout = await t.inject({
      method: 'POST',
      url: '/v1/billing/checkout-sessions',
      headers: t.as(trader),
      payload: { productId: reset.id, currency: 'USD', accountId: evaluationId },
    });
    expect(checkout.statusCode).toBe(409);
    expect(checkout.json().error.code).toBe('RESET_NOT_ELIGIBLE');
  });

  it('buys an instant-funded account: a funded account', async () => {
    const { chargeId } = await buy('instant-funded-25k');
    const account = await accountOfCharge(chargeId, 'funded');
    expect(account).toMatchObject({ kind: 'funded', size: 25000, startingBalance: 2_500_000 });
    const funded = await t.inject({
      method: 'GET',
      url: '/v1/accounts?kind=funded&status=funded',
      headers: t.as(trader),
    });
    expect(funded.json().data).toHaveLength(2);
    const badFilter = await t.inject({
      method: 'GET',
      url: '/v1/accounts?status=gone',
      headers: t.as(trader),
    });
    expect(badFilter.statusCode).toBe(400);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

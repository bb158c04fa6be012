import type Stripe from 'stripe';
import { createFakeStripeServer, type FakeStripeServer } from './fake-stripe-server';
import { syntheticBalanceTransactions } from './synthetic-balance';

// The balance controls over HTTP, as another process (the API's e2e suites, the bench) drives
// them, and the raw Stripe shapes the fake serves.

let fake: FakeStripeServer;

beforeAll(async () => {
  fake = await createFakeStripeServer({
    clock: () => new Date('2026-03-10T12:00:00Z'),
    balance: { fees: [{ currency: 'GBP', percentBps: 150, fixedMinor: 20 }] },
  });
});
afterEach(() => fake.controls.reset());
afterAll(() => fake.close());

async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${fake.url}${path}`, {
    ...init,
    headers: {
      authorization: 'Bearer sk_test_controls',
      'content-type': 'application/x-www-form-urlencoded',
    },
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function payIntent(amount: number, currency = 'usd'): Promise<Stripe.PaymentIntent> {
  const { body } = await api<Stripe.PaymentIntent>('/v1/payment_intents', {
    method: 'POST',
    body: `amount=${amount}&currency=${currency}&payment_method=pm_card_visa&confirm=true`,
  });
  return body;
}

describe('balance controls over HTTP', () => {
  it('moves the clock, and the moved clock makes funds available and pays them out', async () => {
    await payIntent(10_000);

    const moved = await control<{ now: string }>('POST', '/__control/clock', { advanceSeconds: 3 * 86_400 });
    const { body: payouts } = await api<Stripe.ApiList<Stripe.Payout>>('/v1/payouts');
    const { body: balance } = await api<Stripe.Balance>('/v1/balance');

    expect(moved.now).toBe('2026-03-13T12:00:00.000Z');
    expect((await control<{ now: string }>('GET', '/__control/clock')).now).toBe(moved.now);
    expect(payouts.data).toMatchObject([
      { object: 'payout', amount: 9_680, currency: 'usd', automatic: true, status: 'in_transit' },
    ]);
    expect(balance).toMatchObject({
      object: 'balance',
      available: [{ amount: 0, currency: 'usd' }],
      pending: [{ amount: 0, currency: 'usd' }],
    });
  });

  it('serves Stripe-shaped balance transactions, with the source expanded on request', async () => {
    const intent = await payIntent(2_000, 'gbp');

    const { body } = await api<Stripe.ApiList<Stripe.BalanceTransaction>>(
      '/v1/balance_transactions?limit=1&expand[]=data.source',
    );

    const [transaction] = body.data;
    expect(body).toMatchObject({ object: 'list', has_more: false, url: '/v1/balance_transactions' });
    // The constructor's GBP line: 1.5 % + 20.
    expect(transaction).toMatchObject({
      object: 'balance_transaction',
      type: 'charge',
      reporting_category: 'charge',
      amount: 2_000,
      fee: 50,
      net: 1_950,
      currency: 'gbp',
      status: 'pending',
      balance_type: 'payments',
      available_on: Date.parse('2026-03-12T00:00:00Z') / 1000,
      source: { object: 'charge', id: intent.latest_charge, payment_intent: intent.id },
    });
    const { body: charge } = await api<Stripe.Charge>(`/v1/charges/${String(intent.latest_charge)}`);
    expect(charge.balance_transaction).toBe(transaction?.id);
  });

  it('changes the fee schedule from a moment on', async () => {
    await control('POST', '/__control/fees', {
      currency: 'usd',
      percentBps: 500,
      fixedMinor: 0,
      effectiveFrom: '2026-03-10T12:00:00Z',
    });
    await payIntent(1_000);

    const { schedule } = await control<{ schedule: Array<{ currency: string; effectiveFrom: number }> }>(
      'GET',
      '/__control/fees',
    );
    const { body } = await api<Stripe.ApiList<Stripe.BalanceTransaction>>('/v1/balance_transactions');

    expect(schedule.at(-1)).toMatchObject({
      currency: 'usd',
      effectiveFrom: Date.parse('2026-03-10T12:00:00Z') / 1000,
    });
    expect(body.data[0]?.fee).toBe(50);
  });

  it('injects each discrepancy: a missing refund, an unknown charge, a changed fee', async () => {
    const intent = await payIntent(10_000);
    const { body: refund } = await api<Stripe.Refund>('/v1/refunds', {
      method: 'POST',
      body: `payment_intent=${intent.id}&amount=2500`,
    });

    const dropped = await control<{ dropped: Stripe.BalanceTransaction[] }>(
      'POST',
      '/__control/balance-transactions/drop',
      {
        source: refund.id,
      },
    );
    const unknown = await control<Stripe.BalanceTransaction>('POST', '/__control/balance-transactions', {
      type: 'charge',
      amount: 4_200,
      currency: 'usd',
    });
    const changed = await control<Stripe.BalanceTransaction>('POST', '/__control/balance-transactions/fee', {
      charge: intent.latest_charge,
      fee: 1,
    });
    const { body } = await api<Stripe.ApiList<Stripe.BalanceTransaction>>('/v1/balance_transactions');

    expect(dropped.dropped).toMatchObject([{ type: 'refund', amount: -2_500, source: refund.id }]);
    expect(body.data.map((t) => [t.id, t.type, t.amount, t.fee])).toEqual([
      [unknown.id, 'charge', 4_200, 152],
      [changed.id, 'charge', 10_000, 1],
    ]);
    const { status } = await api(`/v1/charges/${String(unknown.source)}`);
    expect(status).toBe(404);
  });

  it('bulk-seeds a day whose rows the generator reproduces, and answers with a summary only', async () => {
    const options = { count: 1_000, day: '2026-03-09', seed: 42, refundEvery: 10 };

    const summary = await control<Record<string, unknown>>(
      'POST',
      '/__control/balance-transactions/bulk',
      options,
    );

    const rows = [...syntheticBalanceTransactions(options)];
    expect(summary).toEqual({
      count: 1_000,
      charges: 900,
      refunds: 100,
      netByCurrency: { USD: rows.reduce((sum, row) => sum + row.amountMinor - row.feeMinor, 0) },
      firstCreated: '2026-03-09T00:00:00.000Z',
      lastCreated: new Date((rows.at(-1)?.created ?? 0) * 1000).toISOString(),
    });
    const { body } = await api<Stripe.ApiList<Stripe.BalanceTransaction>>(
      `/v1/balance_transactions?limit=100&created[gte]=${Date.parse('2026-03-09T00:00:00Z') / 1000}`,
    );
    expect(body.has_more).toBe(true);
    expect(body.data[0]?.id).toBe(rows.at(-1)?.balanceTransactionId);
  });

  it('runs and fails payouts, filters by payout, and refuses a manual payout on the daily schedule', async () => {
    await control('POST', '/__control/balance/settings', { availabilityDelayDays: 0, maxListLimit: 500 });
    await payIntent(5_000);

    const { payouts } = await control<{ payouts: Stripe.Payout[] }>('POST', '/__control/payouts/run', {});
    const payout = payouts[0];
    const { body: swept } = await api<Stripe.ApiList<Stripe.BalanceTransaction>>(
      `/v1/balance_transactions?payout=${payout?.id ?? ''}&limit=500`,
    );
    const failed = await control<Stripe.Payout>('POST', `/__control/payouts/${payout?.id ?? ''}/fail`, {
      failureCode: 'no_account',
    });
    const manual = await api<{ error: { code: string } }>('/v1/payouts', {
      method: 'POST',
      body: 'amount=100&currency=usd',
    });

    expect(swept.data.map((t) => t.type)).toEqual(['payout', 'charge']);
    expect(failed).toMatchObject({ status: 'failed', failure_code: 'no_account' });
    expect(manual.status).toBe(400);
    expect(fake.controls.sentEvents().map((event) => event.type)).toEqual(
      expect.arrayContaining(['payout.created', 'payout.failed']),
    );
  });

  it('makes manual payouts on the manual schedule, never more than is available', async () => {
    await control('POST', '/__control/balance/settings', {
      availabilityDelayDays: 0,
      payoutSchedule: 'manual',
    });
    await payIntent(5_000);

    const tooMuch = await api<{ error: { code: string } }>('/v1/payouts', {
      method: 'POST',
      body: 'amount=5000&currency=usd',
    });
    const manual = await api<Stripe.Payout>('/v1/payouts', {
      method: 'POST',
      body: 'amount=4000&currency=usd',
    });
    const refused = await api<{ error: { message: string } }>(
      `/v1/balance_transactions?payout=${manual.body.id}`,
    );

    expect(tooMuch.body.error.code).toBe('balance_insufficient');
    expect(manual.body).toMatchObject({ amount: 4_000, automatic: false, status: 'in_transit' });
    expect(refused.status).toBe(400);
  });

  it('charges the configured dispute fee and can keep it when the dispute is won', async () => {
    await control('POST', '/__control/balance/settings', {
      disputeFees: { usd: 2_000 },
      returnDisputeFeeOnWin: false,
    });
    const intent = await payIntent(3_000);
    const opened = await control<Stripe.Dispute>(
      'POST',
      `/sandbox/charges/${String(intent.latest_charge)}/dispute`,
    );
    await control('POST', `/sandbox/disputes/${opened.id}/close`, { status: 'won' });

    const { body: dispute } = await api<Stripe.Dispute>(`/v1/disputes/${opened.id}`);

    expect(dispute.balance_transactions.map((t) => [t.reporting_category, t.amount, t.fee, t.net])).toEqual([
      ['dispute', -3_000, 2_000, -5_000],
      ['dispute_reversal', 3_000, 0, 3_000],
    ]);
    expect(dispute.balance_transactions[0]?.description).toBe(
      `Chargeback withdrawal for ${String(intent.latest_charge)}`,
    );
  });

  it('forgets balance, payouts, fee changes, settings and clock on reset', async () => {
    await control('POST', '/__control/clock', { now: '2027-01-01T00:00:00Z' });
    await control('POST', '/__control/balance/settings', { maxListLimit: 1_000 });
    await control('POST', '/__control/fees', { percentBps: 0, fixedMinor: 0 });
    await payIntent(1_000);

    await control('POST', '/__control/reset');

    const { body } = await api<Stripe.ApiList<Stripe.BalanceTransaction>>('/v1/balance_transactions');
    expect(body.data).toEqual([]);
    expect(fake.controls.now().toISOString()).toBe('2026-03-10T12:00:00.000Z');
    expect(fake.controls.balanceSettings().maxListLimit).toBe(100);
    expect(fake.controls.feeSchedule().some((line) => line.rate.percentBps === 0)).toBe(false);
  });
});

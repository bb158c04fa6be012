import type { ErrorEnvelope } from '@astrix/contracts';
import {
  BillingTestApp,
  chargeOf,
  payWithCard,
  productBySlug,
  purchase,
  startBillingTestApp,
} from '../support/billing';
import { outboxSchemaViolations } from '../support/event-schemas';
import { eventually } from '../support/test-app';
import { expectBooksClean } from '../support/books';

type SentEvent = ReturnType<BillingTestApp['fake']['controls']['sentEvents']>[number];
const errorOf = async (response: Response) => ((await response.json()) as ErrorEnvelope).error;

describe('Stripe webhooks, payment failures and processor faults', () => {
  let t: BillingTestApp;
  let evaluationId: string;
  let userCounter = 0;
  beforeAll(async () => {
    t = await startBillingTestApp({ env: { STRIPE_TIMEOUT_MS: '400' } });
    evaluationId = (await productBySlug(t, 'evaluation-25k')).id;
  });
  afterAll(() => t.close());
  afterEach(() => t.fake.controls.clearFaults());

  const newTrader = () => ({
    sub: `user_hook_${(userCounter += 1)}`,
    email: `hook${userCounter}@example.com`,
  });
  const checkout = async (trader: { sub: string }, productId = evaluationId) =>
    t.inject({
      method: 'POST',
      url: '/v1/billing/checkout-sessions',
      headers: t.as(trader),
      payload: { productId, currency: 'USD' },
    });
  const storedCount = async (eventId: string) =>
    (
      await t.dataSource.query('SELECT count(*)::int AS n FROM billing.stripe_webhook_events WHERE id = $1', [
        eventId,
      ])
    )[0].n;

  /** Pays with webhooks switched off, so the test delivers the events itself, in the order it wants. */
  async function payQuietly(checkoutSessionId: string, card = '4242424242424242'): Promise<SentEvent[]> {
    t.fake.controls.setWebhookEndpoint(null);
    try {
      const before = t.fake.controls.sentEvents().length;
      expect((await payWithCard(t, checkoutSessionId, card)).status).toBe(200);
      return t.fake.controls.sentEvents().slice(before);
    } finally {
      t.fake.controls.setWebhookEndpoint(`${t.url}/webhooks/stripe`, t.webhookSecret);
    }
  }

  describe('signature checks', () => {
    const body = JSON.stringify({
      id: 'evt_forged',
      type: 'checkout.session.completed',
      data: { object: {} },
    });

    it('refuses a bad signature with 400 and stores nothing', async () => {
      const response = await t.deliver(body, t.sign(body).replace(/v1=\w+/, 'v1=' + 'a'.repeat(64)));
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toMatchObject({
        code: 'INVALID_SIGNATURE',
        message: expect.stringMatching(/bad_signature/),
      });
      expect(await storedCount('evt_forged')).toBe(0);
    });

    it('refuses a stale timestamp, a missing header and a tampered body', async () => {
      const stale = await t.deliver(body, t.sign(body, new Date(Date.now() - 301_000)));
      expect(stale.status).toBe(400);
      expect((await errorOf(stale)).message).toMatch(/stale_timestamp/);
      const missing = await fetch(`${t.url}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(missing.status).toBe(400);
      const tampered = await t.deliver(body.replace('evt_forged', 'evt_forged2'), t.sign(body));
      expect(tampered.status).toBe(400);
      expect(await storedCount('evt_forged2')).toBe(0);
    });
  });

  it('stores and acts on 100 concurrent deliveries of one event exactly once', async () => {
    const trader = newTrader();
    const session = (await checkout(trader)).json();
    const events = await payQuietly(session.id);
    const completed = events.find((event) => event.type === 'checkout.session.completed')!;
    const body = JSON.stringify(completed);
    const responses = await Promise.all(Array.from({ length: 100 }, () => t.deliver(body)));
    expect(responses.map((response) => response.status)).toEqual(Array(100).fill(200));
    expect(await storedCount(completed.id)).toBe(1);
    const charge = await chargeOf(t, session.id);
    await eventually(
      async () =>
        (
          await t.dataSource.query(`SELECT status FROM billing.stripe_webhook_events WHERE id = $1`, [
            completed.id,
          ])
        )[0].status === 'processed',
    );
    const charges = await t.dataSource.query(
      'SELECT id FROM billing.charges WHERE checkout_session_id = $1',
      [session.id],
    );
    expect(charges).toEqual([{ id: charge.id }]);
    expect(
      (await t.outbox('billing.payment.completed')).filter((event) => event.subject === charge.id),
    ).toHaveLength(1);
  });

  it('reaches the same state whatever the order: payment_intent first, then the rest, then a stale failure', async () => {
    const trader = newTrader();
    const session = (await checkout(trader)).json();
    const events = await payQuietly(session.id);
    const reversed = [...events].reverse();
    for (const event of reversed) expect((await t.deliver(JSON.stringify(event))).status).toBe(200);
    const charge = await chargeOf(t, session.id);
    await eventually(async () => {
      const rows = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM billing.stripe_webhook_events WHERE id = ANY($1) AND status IN ('processed','ignored')`,
        [events.map((event) => event.id)],
      );
      return rows[0].n === events.length;
    });
    // A failure arriving after the success changes nothing.
    const failure = {
      ...events.find((event) => event.type === 'payment_intent.succeeded')!,
      id: `evt_late_failure_${trader.sub}`,
      type: 'payment_intent.payment_failed',
    };
    expect((await t.deliver(JSON.stringify(failure))).status).toBe(200);
    await eventually(
      async () =>
        (
          await t.dataSource.query(`SELECT status FROM billing.stripe_webhook_events WHERE id = $1`, [
            failure.id,
          ])
        )[0]?.status === 'processed',
    );
    const [row] = await t.dataSource.query('SELECT status FROM billing.checkout_sessions WHERE id = $1', [
      session.id,
    ]);
    expect(row.status).toBe('completed');
    expect(
      (await t.outbox('billing.payment.completed')).filter((event) => event.subject === charge.id),
    ).toHaveLength(1);
    expect(
      (await t.outbox('billing.payment.failed')).filter((event) => event.subject === session.id),
    ).toHaveLength(0);
  });

  it('records a declined card as a failed payment, once, with no charge', async () => {
    const trader = newTrader();
    const session = (await checkout(trader)).json();
    await payWithCard(t, session.id, '4000000000000002');
    await t.fake.flushWebhooks();
    await eventually(async () =>
      (await t.outbox('billing.payment.failed')).some((event) => event.subject === session.id),
    );
    const [row] = await t.dataSource.query(
      'SELECT status, failure_reason FROM billing.checkout_sessions WHERE id = $1',
      [session.id],
    );
    expect(row.status).toBe('failed');
    const failed = (await t.outbox('billing.payment.failed')).filter((event) => event.subject === session.id);
    expect(failed).toHaveLength(1);
    expect(failed[0].envelope.data).toMatchObject({ declineCode: 'generic_decline', userId: trader.sub });
    expect(
      await t.dataSource.query('SELECT 1 FROM billing.charges WHERE checkout_session_id = $1', [session.id]),
    ).toHaveLength(0);
  });

  it('records an asynchronous payment failure', async () => {
    const trader = newTrader();
    const session = (await checkout(trader)).json();
    await payWithCard(t, session.id, 'async_fail');
    await t.fake.flushWebhooks();
    await eventually(async () => {
      const [row] = await t.dataSource.query('SELECT status FROM billing.checkout_sessions WHERE id = $1', [
        session.id,
      ]);
      return row.status === 'failed';
    });
    expect(
      await t.dataSource.query('SELECT 1 FROM billing.charges WHERE checkout_session_id = $1', [session.id]),
    ).toHaveLength(0);
  });

  it('survives one Stripe 500 (retried with the same idempotency key: one session at Stripe)', async () => {
    const trader = newTrader();
    t.fake.controls.injectFault({
      kind: 'server_error',
      path: '/v1/checkout/sessions',
      method: 'POST',
      times: 1,
      phase: 'after_processing',
    });
    const response = await checkout(trader);
    expect(response.statusCode).toBe(201);
    const ours = t.fake.state.checkoutSessions
      .all()
      .filter((session) => session.client_reference_id === response.json().id);
    expect(ours).toHaveLength(1);
  });

  it('answers 503 when Stripe keeps failing or hangs, and records the attempt as failed', async () => {
    const trader = newTrader();
    t.fake.controls.injectFault({
      kind: 'server_error',
      path: '/v1/checkout/sessions',
      method: 'POST',
      times: 'always',
    });
    const failing = await checkout(trader);
    expect(failing.statusCode).toBe(503);
    expect(failing.json().error.code).toBe('PROCESSOR_UNAVAILABLE');
    t.fake.controls.clearFaults();

    t.fake.controls.injectFault({
      kind: 'hang',
      path: '/v1/checkout/sessions',
      method: 'POST',
      times: 'always',
      delayMs: 2_000,
    });
    const hanging = await checkout(trader);
    expect(hanging.statusCode).toBe(503);
    const rows = await t.dataSource.query(`SELECT status FROM billing.checkout_sessions WHERE user_id = $1`, [
      trader.sub,
    ]);
    expect(rows.map((row: { status: string }) => row.status)).toEqual(['failed', 'failed']);
  });

  it('refuses unknown and archived products and checks input', async () => {
    const trader = newTrader();
    const unknown = await checkout(trader, 'prd_01jzzzzzzzzzzzzzzzzzzzzzzz');
    expect(unknown.statusCode).toBe(404);
    await t.dataSource.query(
      `UPDATE billing.products SET status = 'archived' WHERE slug = 'instant-funded-25k'`,
    );
    const archived = await checkout(trader, (await productBySlug(t, 'instant-funded-25k')).id);
    expect(archived.statusCode).toBe(409);
    expect(archived.json().error.code).toBe('PRODUCT_ARCHIVED');
    const bad = await t.inject({
      method: 'POST',
      url: '/v1/billing/checkout-sessions',
      headers: t.as(trader),
      payload: { productId: evaluationId, currency: 'dollars', couponCode: 42 },
    });
    expect(bad.statusCode).toBe(400);
    const fields = bad.json().error.details.map((detail: { field: string }) => detail.field);
    expect([...new Set(fields)].sort()).toEqual(['couponCode', 'currency']);
    const reset = await checkout(trader, (await productBySlug(t, 'reset-25k')).id);
    expect(reset.statusCode).toBe(400);
  });

  it('keeps checkout sessions private to their buyer', async () => {
    const owner = newTrader();
    const session = (await checkout(owner)).json();
    const mine = await t.inject({
      method: 'GET',
      url: `/v1/billing/checkout-sessions/${session.id}`,
      headers: t.as(owner),
    });
    expect(mine.statusCode).toBe(200);
    const theirs = await t.inject({
      method: 'GET',
      url: `/v1/billing/checkout-sessions/${session.id}`,
      headers: t.as(newTrader()),
    });
    expect(theirs.statusCode).toBe(404);
  });

  it('never refunds more than the charge when refunds race', async () => {
    const trader = newTrader();
    const session = (await checkout(trader)).json();
    await payWithCard(t, session.id, '4242424242424242');
    await t.fake.flushWebhooks();
    const charge = await chargeOf(t, session.id);
    const amount = Number(charge.amount);
    const share = Math.floor((amount * 4) / 10);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        t.inject({
          method: 'POST',
          url: `/v1/admin/charges/${charge.id}/refunds`,
          // Ten distinct refunds (ten keys) racing for what is left of the charge.
          headers: {
            ...t.as({ sub: 'staff_support', roles: ['support'] }),
            'idempotency-key': `race-${index}`,
          },
          payload: { amount: share, reason: 'racing refunds' },
        }),
      ),
    );
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 201)).toHaveLength(2);
    expect(statuses.filter((status) => status === 422)).toHaveLength(8);
    const [after] = await t.dataSource.query('SELECT amount_refunded FROM billing.charges WHERE id = $1', [
      charge.id,
    ]);
    expect(Number(after.amount_refunded)).toBe(2 * share);
    const atStripe = t.fake.state.refunds.all().filter((refund) => refund.charge === charge.stripe_charge_id);
    expect(atStripe.reduce((sum, refund) => sum + refund.amount, 0)).toBe(2 * share);
  });

  it('emitted only events that validate against their published schemas', async () => {
    const { checked, violations } = await outboxSchemaViolations(t);
    expect(violations).toEqual([]);
    expect(checked).toContain('billing.payment.failed');
  });

  it('lets support list a failed event and replay it once the cause is fixed', async () => {
    const trader = newTrader();
    const session = (await checkout(trader)).json();
    // Processing needs the payment's charge from Stripe: make every read of it fail.
    t.fake.controls.injectFault({
      kind: 'server_error',
      path: '/v1/payment_intents',
      method: 'GET',
      times: 'always',
    });
    t.fake.controls.injectFault({
      kind: 'server_error',
      path: '/v1/charges',
      method: 'GET',
      times: 'always',
    });
    await payWithCard(t, session.id, '4242424242424242');
    await t.fake.flushWebhooks();
    const support = t.as({ sub: 'staff_support', roles: ['support'] });
    const failed = await eventually(async () => {
      const response = await t.inject({
        method: 'GET',
        url: '/v1/admin/stripe-events?status=failed',
        headers: support,
      });
      return response
        .json()
        .data.find(
          (event: { type: string; lastError: string }) => event.type === 'checkout.session.completed',
        );
    });
    expect(failed.lastError).toEqual(expect.any(String));
    t.fake.controls.clearFaults();
    const replayed = await t.inject({
      method: 'POST',
      url: `/v1/admin/stripe-events/${failed.id}/replay`,
      headers: support,
    });
    expect(replayed.statusCode).toBe(202);
    await chargeOf(t, session.id);
    const trader403 = await t.inject({
      method: 'GET',
      url: '/v1/admin/stripe-events',
      headers: t.as(trader),
    });
    expect(trader403.statusCode).toBe(403);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

describe('first purchases and disputes', () => {
  let t: BillingTestApp;
  beforeAll(async () => {
    t = await startBillingTestApp();
  });
  afterAll(() => t.close());

  it('links a new customer to exactly one Stripe customer under concurrent first purchases', async () => {
    const trader = { sub: 'user_first_purchase', email: 'first@example.com' };
    const productId = (await productBySlug(t, 'evaluation-100k')).id;
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.inject({
          method: 'POST',
          url: '/v1/billing/checkout-sessions',
          headers: t.as(trader),
          payload: { productId, currency: 'USD' },
        }),
      ),
    );
    expect(responses.map((response) => response.statusCode)).toEqual(Array(10).fill(201));
    const customers = await t.dataSource.query(
      'SELECT stripe_customer_id FROM billing.customers WHERE user_id = $1',
      [trader.sub],
    );
    expect(customers).toHaveLength(1);
    const atStripe = t.fake.state.customers
      .all()
      .filter((customer) => customer.metadata?.userId === trader.sub);
    expect(atStripe.map((customer) => customer.id)).toEqual([customers[0].stripe_customer_id]);
  });

  it('marks a charge disputed when Stripe opens a dispute, and refuses to refund it', async () => {
    const trader = { sub: 'user_disputer', email: 'disputer@example.com' };
    const { charge } = await purchase(t, trader, 'evaluation-25k', '4000000000000259');
    await eventually(async () => {
      const [row] = await t.dataSource.query('SELECT status FROM billing.charges WHERE id = $1', [charge.id]);
      return row.status === 'disputed';
    });
    const refund = await t.inject({
      method: 'POST',
      url: `/v1/admin/charges/${charge.id}/refunds`,
      headers: { ...t.as({ sub: 'staff', roles: ['finance'] }), 'idempotency-key': 'refund-disputed' },
      payload: { reason: 'customer asked' },
    });
    expect(refund.statusCode).toBe(409);
    expect(refund.json().error.code).toBe('CHARGE_DISPUTED');

    // The fake never closes disputes: Stripe's dispute.closed (won) is built from the opening event.
    const opened = t.fake.controls
      .sentEvents()
      .find(
        (event) =>
          event.type === 'charge.dispute.created' &&
          (event.data.object as { charge?: string }).charge === charge.stripe_charge_id,
      )!;
    const won = {
      ...opened,
      id: `${opened.id}_closed`,
      type: 'charge.dispute.closed',
      data: { object: { ...opened.data.object, status: 'won' } },
    };
    expect((await t.deliver(JSON.stringify(won))).status).toBe(200);
    await eventually(async () => {
      const [row] = await t.dataSource.query('SELECT status FROM billing.charges WHERE id = $1', [charge.id]);
      return row.status === 'succeeded';
    });
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

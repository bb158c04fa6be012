import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import type { ProcessorEvent } from '../port/events';
import { type Harness, startHarness } from '../testing/harness';
import { createFakeStripeServer } from './fake-stripe-server';

// The fake over plain HTTP: what other processes (the API app, scripts, browsers) see.

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  harness.fake.controls.clearFaults();
  await harness.reset();
});
afterAll(() => harness.close());

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

async function call(
  method: string,
  path: string,
  init: { form?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { Authorization: 'Bearer sk_test_http', ...init.headers };
  let body: string | undefined;
  if (init.form !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = init.form;
  } else if (init.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(init.json);
  }
  const response = await fetch(`${harness.fake.url}${path}`, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('application/json') === true;
  return { status: response.status, headers: response.headers, body: isJson ? JSON.parse(text) : text };
}

async function openSession(form = ''): Promise<Stripe.Checkout.Session> {
  const reply = await call('POST', '/v1/checkout/sessions', {
    form:
      'mode=payment&success_url=https://app.astrix.test/ok?s={CHECKOUT_SESSION_ID}' +
      '&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=2500' +
      '&line_items[0][price_data][product_data][name]=Reset&line_items[0][quantity]=2' +
      form,
  });
  expect(reply.status).toBe(200);
  return reply.body as Stripe.Checkout.Session;
}

function typesOf(events: ProcessorEvent[]): string[] {
  return events.map((event) => event.type);
}

describe('Stripe REST behaviour', () => {
  it('answers errors in Stripe shape with Stripe statuses', async () => {
    const missing = await call('GET', '/v1/charges/ch_missing');
    const unknownParam = await call('POST', '/v1/customers', { form: 'emial=typo@astrix.test' });
    const noKey = await call('GET', '/v1/customers', { headers: { Authorization: '' } });

    expect(missing).toMatchObject({
      status: 404,
      body: { error: { type: 'invalid_request_error', code: 'resource_missing', param: 'id' } },
    });
    expect(unknownParam).toMatchObject({ status: 400, body: { error: { param: 'emial' } } });
    expect(noKey.status).toBe(401);
  });

  it('replays an idempotent POST with the Idempotent-Replayed header', async () => {
    const headers = { 'Idempotency-Key': randomUUID() };

    const first = await call('POST', '/v1/customers', { form: 'email=a@astrix.test&metadata[x]=1', headers });
    const replay = await call('POST', '/v1/customers', {
      form: 'metadata[x]=1&email=a@astrix.test',
      headers,
    });
    const conflict = await call('POST', '/v1/customers', { form: 'email=b@astrix.test', headers });

    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(conflict).toMatchObject({ status: 400, body: { error: { type: 'idempotency_error' } } });
  });

  it('expands ids into objects and includes line items only when asked', async () => {
    const session = await openSession();
    await call('POST', `/sandbox/checkout-sessions/${session.id}/pay`, {
      json: { card: '4242424242424242' },
    });

    const plain = await call('GET', `/v1/checkout/sessions/${session.id}`);
    const expanded = await call(
      'GET',
      `/v1/checkout/sessions/${session.id}?expand[]=payment_intent.latest_charge&expand[]=line_items`,
    );

    expect(plain.body).not.toHaveProperty('line_items');
    expect(typeof (plain.body as Stripe.Checkout.Session).payment_intent).toBe('string');
    expect(expanded.body).toMatchObject({
      amount_total: 5000,
      line_items: { object: 'list', data: [{ quantity: 2, amount_total: 5000 }] },
      payment_intent: { object: 'payment_intent', latest_charge: { object: 'charge', paid: true } },
    });
  });

  it('pages lists with starting_after and ending_before', async () => {
    for (let index = 0; index < 3; index++)
      await call('POST', '/v1/customers', { form: `email=c${index}@astrix.test` });

    const first = (await call('GET', '/v1/customers?limit=2')).body as Stripe.ApiList<Stripe.Customer>;
    const last = first.data[1]?.id ?? '';
    const next = (await call('GET', `/v1/customers?limit=2&starting_after=${last}`))
      .body as Stripe.ApiList<Stripe.Customer>;
    const back = (await call('GET', `/v1/customers?limit=2&ending_before=${next.data[0]?.id ?? ''}`))
      .body as Stripe.ApiList<Stripe.Customer>;

    expect(first).toMatchObject({ object: 'list', has_more: true, url: '/v1/customers' });
    expect(next.data).toHaveLength(1);
    expect(next.has_more).toBe(false);
    expect(back.data.map(({ id }) => id)).toEqual(first.data.map(({ id }) => id));
  });
});

describe('controls over HTTP', () => {
  it('injects faults, lists requests and resets', async () => {
    await call('POST', '/__control/faults', {
      json: { kind: 'server_error', path: '/v1/customers', times: 2 },
    });

    const statuses = [
      (await call('GET', '/v1/customers')).status,
      (await call('GET', '/v1/customers')).status,
      (await call('GET', '/v1/customers')).status,
    ];
    const log = (await call('GET', '/__control/requests')).body as {
      requests: { status: number; fault: string | null }[];
    };

    expect(statuses).toEqual([500, 500, 200]);
    expect(log.requests.map(({ fault }) => fault)).toEqual(['server_error', 'server_error', null]);
    await call('POST', '/__control/reset');
    expect((await call('GET', '/__control/requests')).body).toEqual({ requests: [] });
  });

  it('pays a session through the sandbox endpoint and lists the events it sent', async () => {
    const session = await openSession();

    const paid = await call('POST', `/sandbox/checkout-sessions/${session.id}/pay`, {
      form: 'card=4242424242424242',
    });
    await call('POST', '/__control/webhooks/flush');
    const listed = (await call('GET', '/__control/events')).body as {
      events: Stripe.Event[];
      deliveries: { status: string }[];
    };

    expect(paid).toMatchObject({
      status: 200,
      body: { outcome: 'completed', checkoutSession: { status: 'complete' } },
    });
    expect(listed.events.map(({ type }) => type)).toEqual([
      'checkout.session.completed',
      'payment_intent.succeeded',
      'charge.succeeded',
    ]);
    expect(listed.deliveries.every(({ status }) => status === 'delivered')).toBe(true);
  });

  it('creates a connected account for payouts', async () => {
    const created = await call('POST', '/__control/accounts', {
      json: { country: 'DE', defaultCurrency: 'eur' },
    });
    const account = created.body as Stripe.Account;

    const fetched = await call('GET', `/v1/accounts/${account.id}`);

    expect(account.id).toMatch(/^acct_/);
    expect(fetched.body).toMatchObject({
      country: 'DE',
      default_currency: 'eur',
      capabilities: { transfers: 'active' },
    });
  });
});

describe('fraud and dispute controls over HTTP', () => {
  async function paidChargeId(card = '4242424242424242'): Promise<string> {
    const session = await openSession();
    const paid = await call('POST', `/sandbox/checkout-sessions/${session.id}/pay`, { json: { card } });
    const { paymentIntent } = paid.body as { paymentIntent: Stripe.PaymentIntent };
    await harness.receivedEvents();
    harness.receiver.clear();
    return String(paymentIntent.latest_charge);
  }

  it('opens an early fraud warning, serves it, and lists it by charge', async () => {
    const chargeId = await paidChargeId();
    const otherChargeId = await paidChargeId();

    const opened = await call('POST', `/sandbox/charges/${chargeId}/early-fraud-warning`, {
      form: 'fraudType=card_never_received',
    });
    await call('POST', `/sandbox/charges/${otherChargeId}/early-fraud-warning`);
    const warning = opened.body as Stripe.Radar.EarlyFraudWarning;
    const fetched = await call('GET', `/v1/radar/early_fraud_warnings/${warning.id}?expand[]=charge`);
    const listed = (await call('GET', `/v1/radar/early_fraud_warnings?charge=${chargeId}`))
      .body as Stripe.ApiList<Stripe.Radar.EarlyFraudWarning>;
    const events = await harness.receivedEvents();

    expect(opened).toMatchObject({
      status: 200,
      body: { object: 'radar.early_fraud_warning', charge: chargeId, actionable: true },
    });
    expect(fetched.body).toMatchObject({ id: warning.id, charge: { id: chargeId, object: 'charge' } });
    expect(listed.data.map(({ id }) => id)).toEqual([warning.id]);
    expect(events[0]).toMatchObject({
      type: 'radar.early_fraud_warning.created',
      object: { id: warning.id, chargeId, fraudType: 'card_never_received', actionable: true },
    });
    expect(events[1]).toMatchObject({ object: { fraudType: 'made_with_stolen_card' } });
  });

  it('opens and closes a review, and links it from the charge', async () => {
    const chargeId = await paidChargeId();

    const opened = await call('POST', `/sandbox/charges/${chargeId}/review`, { json: { reason: 'manual' } });
    const review = opened.body as Stripe.Review;
    const openList = (await call('GET', '/v1/reviews')).body as Stripe.ApiList<Stripe.Review>;
    const closed = await call('POST', `/sandbox/reviews/${review.id}/close`, {
      form: 'reason=refunded_as_fraud',
    });
    const fetched = await call('GET', `/v1/reviews/${review.id}`);
    const events = await harness.receivedEvents();

    expect(review).toMatchObject({ object: 'review', open: true, opened_reason: 'manual', charge: chargeId });
    expect(harness.fake.state.charges.get(chargeId)?.review).toBe(review.id);
    expect(openList.data.map(({ id }) => id)).toEqual([review.id]);
    expect(closed.body).toMatchObject({ open: false, closed_reason: 'refunded_as_fraud' });
    expect(fetched.body).toEqual(closed.body);
    expect(typesOf(events)).toEqual(['review.opened', 'review.closed']);
    expect(events[1]?.type === 'review.closed' && events[1].object).toMatchObject({
      open: false,
      reason: 'refunded_as_fraud',
      closedReason: 'refunded_as_fraud',
    });
  });

  it('closes a dispute with status=won|lost', async () => {
    const chargeId = await paidChargeId();
    const dispute = (await call('POST', `/sandbox/charges/${chargeId}/dispute`)).body as Stripe.Dispute;

    const withoutStatus = await call('POST', `/sandbox/disputes/${dispute.id}/close`);
    const lost = await call('POST', `/sandbox/disputes/${dispute.id}/close`, { form: 'status=lost' });
    const again = await call('POST', `/sandbox/disputes/${dispute.id}/close`, { form: 'status=won' });
    const events = await harness.receivedEvents();

    expect(withoutStatus).toMatchObject({ status: 400, body: { error: { param: 'status' } } });
    expect(lost).toMatchObject({ status: 200, body: { id: dispute.id, status: 'lost' } });
    expect(again).toMatchObject({ status: 400, body: { error: { code: 'dispute_already_closed' } } });
    expect((await call('GET', `/v1/charges/${chargeId}`)).body).toMatchObject({ disputed: true });
    expect(typesOf(events)).toEqual(['charge.dispute.created', 'charge.dispute.closed']);
    expect(events[1]?.type === 'charge.dispute.closed' && events[1].object).toMatchObject({
      id: dispute.id,
      chargeId,
      status: 'lost',
    });
  });

  it('answers 404 for unknown charges, reviews, disputes and warnings', async () => {
    const replies = await Promise.all([
      call('POST', '/sandbox/charges/ch_missing/early-fraud-warning'),
      call('POST', '/sandbox/charges/ch_missing/review'),
      call('POST', '/sandbox/reviews/prv_missing/close'),
      call('POST', '/sandbox/disputes/dp_missing/close', { form: 'status=won' }),
      call('GET', '/v1/radar/early_fraud_warnings/issfr_missing'),
      call('GET', '/v1/reviews/prv_missing'),
    ]);

    expect(replies.map(({ status }) => status)).toEqual([404, 404, 404, 404, 404, 404]);
    expect(replies[0]?.body).toMatchObject({
      error: { code: 'resource_missing', param: 'charge', message: "No such charge: 'ch_missing'" },
    });
    expect(harness.fake.controls.sentEvents()).toEqual([]);
  });

  it('refuses an unknown fraud type or review reason', async () => {
    const chargeId = await paidChargeId();

    const badType = await call('POST', `/sandbox/charges/${chargeId}/early-fraud-warning`, {
      json: { fraudType: 'aliens' },
    });
    const badReason = await call('POST', `/sandbox/charges/${chargeId}/review`, {
      json: { reason: 'vibes' },
    });

    expect(badType).toMatchObject({ status: 400, body: { error: { param: 'fraud_type' } } });
    expect(badReason).toMatchObject({ status: 400, body: { error: { param: 'reason' } } });
  });
});

describe('hosted pages', () => {
  it('serves a payment form listing the test cards and redirects to the success URL once paid', async () => {
    const session = await openSession();

    const form = await call('GET', `/pay/${session.id}`);
    const submitted = await call('POST', `/pay/${session.id}`, {
      form: 'card=4242+4242+4242+4242&email=web@astrix.test',
    });

    expect(form.status).toBe(200);
    expect(form.body).toContain('<form method="post"');
    expect(form.body).toContain('4000000000003220');
    expect(submitted.status).toBe(303);
    expect(submitted.headers.get('location')).toBe(`https://app.astrix.test/ok?s=${session.id}`);
    expect(harness.fake.state.checkoutSessions.get(session.id)?.customer_details?.email).toBe(
      'web@astrix.test',
    );
  });

  it('shows the decline on the form and keeps the session open', async () => {
    const session = await openSession();

    const submitted = await call('POST', `/pay/${session.id}`, { form: 'card=4000000000009995' });

    expect(submitted.status).toBe(200);
    expect(submitted.body).toContain('Your card has insufficient funds.');
    expect(harness.fake.state.checkoutSessions.get(session.id)?.status).toBe('open');
  });

  it('walks a 3-D Secure card through the challenge page', async () => {
    const session = await openSession();

    const submitted = await call('POST', `/pay/${session.id}`, { form: 'card=4000000000003220' });
    const challenge = submitted.headers.get('location') ?? '';
    const challengePage = await fetch(challenge);
    const completed = await fetch(challenge, {
      method: 'POST',
      body: new URLSearchParams({ succeeded: 'true' }),
      redirect: 'manual',
    });

    expect(challenge).toMatch(/\/3ds\/pi_\w+$/);
    expect(await challengePage.text()).toContain('Complete authentication');
    expect(completed.headers.get('location')).toBe(`https://app.astrix.test/ok?s=${session.id}`);
    expect(harness.fake.state.checkoutSessions.get(session.id)).toMatchObject({
      status: 'complete',
      payment_status: 'paid',
    });
  });
});

describe('hosted setup page', () => {
  async function openSetupIntent(): Promise<{ customer: string; intent: Stripe.SetupIntent }> {
    const customer = (await call('POST', '/v1/customers', { form: 'email=setup@astrix.test' }))
      .body as Stripe.Customer;
    const intent = await call('POST', '/v1/setup_intents', {
      form: `customer=${customer.id}&usage=off_session`,
    });
    return { customer: customer.id, intent: intent.body as Stripe.SetupIntent };
  }

  it('saves a test card on the intent and attaches it to the customer', async () => {
    const { customer, intent } = await openSetupIntent();

    const form = await call('GET', `/setup/${intent.id}`);
    const saved = await call('POST', `/setup/${intent.id}`, { form: 'card=4242424242424242' });
    const again = await call('GET', `/setup/${intent.id}`);

    expect(form.status).toBe(200);
    expect(form.body).toContain(`action="/setup/${intent.id}"`);
    expect(form.body).toContain('4000000000003220');
    expect(saved.status).toBe(200);
    expect(saved.body).toContain('Your card is saved.');
    expect(again.body).toContain('Your card is saved.');
    const stored = harness.fake.state.setupIntents.get(intent.id);
    expect(stored?.status).toBe('succeeded');
    expect(harness.fake.state.paymentMethods.get(String(stored?.payment_method))?.customer).toBe(customer);
    expect(typesOf(await harness.receivedEvents())).toEqual(
      expect.arrayContaining(['setup_intent.succeeded', 'payment_method.attached']),
    );
  });

  it('shows a decline on the form and leaves the intent waiting for a card', async () => {
    const { intent } = await openSetupIntent();

    const declined = await call('POST', `/setup/${intent.id}`, { form: 'card=4000000000009995' });

    expect(declined.status).toBe(200);
    expect(declined.body).toContain('Your card was declined.');
    expect(harness.fake.state.setupIntents.get(intent.id)?.status).toBe('requires_payment_method');
  });

  it('walks a 3-D Secure card through the challenge and back to the page', async () => {
    const { intent } = await openSetupIntent();

    const submitted = await call('POST', `/setup/${intent.id}`, { form: 'card=4000000000003220' });
    const challenge = submitted.headers.get('location') ?? '';
    const completed = await fetch(challenge, {
      method: 'POST',
      body: new URLSearchParams({ succeeded: 'true' }),
      redirect: 'manual',
    });

    expect(submitted.status).toBe(303);
    expect(challenge).toBe(`${harness.fake.url}/3ds/${intent.id}`);
    expect(completed.headers.get('location')).toBe(`/setup/${intent.id}`);
    expect(harness.fake.state.setupIntents.get(intent.id)?.status).toBe('succeeded');
  });

  it('lets a browser confirm with a publishable key only with the intent client secret, as Stripe.js does', async () => {
    const { customer, intent } = await openSetupIntent();
    const browser = { Authorization: 'Bearer pk_test_browser' };

    const wrongSecret = await call('POST', `/v1/setup_intents/${intent.id}/confirm`, {
      form: `payment_method=pm_card_visa&client_secret=${intent.id}_secret_wrong`,
      headers: browser,
    });
    const noSecret = await call('POST', `/v1/setup_intents/${intent.id}/confirm`, {
      form: 'payment_method=pm_card_visa',
      headers: browser,
    });
    const otherCall = await call('GET', `/v1/customers/${customer}`, { headers: browser });
    const confirmed = await call('POST', `/v1/setup_intents/${intent.id}/confirm`, {
      form: `payment_method=pm_card_visa&client_secret=${intent.client_secret}`,
      headers: browser,
    });

    expect(wrongSecret).toMatchObject({ status: 404, body: { error: { code: 'resource_missing' } } });
    expect(noSecret).toMatchObject({ status: 400, body: { error: { param: 'client_secret' } } });
    expect(otherCall.status).toBe(401);
    expect(confirmed).toMatchObject({ status: 200, body: { status: 'succeeded' } });
  });

  it('refuses an unknown card with the list of test cards, and an unknown intent with 404', async () => {
    const { intent } = await openSetupIntent();

    const unknownCard = await call('POST', `/setup/${intent.id}`, { form: 'card=1234' });
    const unknownIntent = await call('GET', '/setup/seti_missing');

    expect(unknownCard.body).toContain('Unknown test card. Use one of: 4242424242424242');
    expect(unknownIntent).toMatchObject({ status: 404, body: { error: { code: 'resource_missing' } } });
  });
});

describe('webhook delivery', () => {
  it('retries a delivery the endpoint refused until it is accepted', async () => {
    harness.receiver.failNext(500, 503);
    const session = await openSession();

    await harness.processor.expireCheckoutSession(session.id, randomUUID());
    const events = await harness.receivedEvents();
    const [delivery] = harness.fake.controls.webhookDeliveries();

    expect(typesOf(events)).toEqual(['checkout.session.expired']);
    expect(delivery?.status).toBe('delivered');
    expect(delivery?.attempts.map(({ httpStatus }) => httpStatus)).toEqual([500, 503, 200]);
  });

  it('marks a delivery failed when every attempt is refused', async () => {
    harness.receiver.failNext(500, 500, 500, 500);
    const session = await openSession();

    await harness.processor.expireCheckoutSession(session.id, randomUUID());
    await harness.fake.flushWebhooks();

    expect(harness.fake.controls.webhookDeliveries()).toMatchObject([{ status: 'failed' }]);
    expect(harness.receiver.received).toHaveLength(0);
  });

  it('sends an event twice on request, and re-sends a past event', async () => {
    harness.fake.controls.duplicateNextWebhooks(1);
    const session = await openSession();
    await harness.processor.expireCheckoutSession(session.id, randomUUID());
    await harness.fake.flushWebhooks();
    const [expired] = harness.fake.controls.sentEvents();

    await call('POST', `/__control/events/${expired?.id ?? ''}/resend`);
    const events = await harness.receivedEvents();

    expect(events.map(({ id }) => id)).toEqual([expired?.id, expired?.id, expired?.id]);
  });

  it('holds events back on request and delivers them later, in order or reversed', async () => {
    await call('POST', '/__control/webhooks/hold-next', { json: { count: 2 } });
    const first = await openSession();
    const second = await openSession();
    await harness.processor.expireCheckoutSession(first.id, randomUUID());
    await harness.processor.expireCheckoutSession(second.id, randomUUID());
    const third = await openSession();
    await harness.processor.expireCheckoutSession(third.id, randomUUID());
    await harness.fake.flushWebhooks();
    const [held1, held2, late] = harness.fake.controls.sentEvents();
    expect((await call('GET', '/__control/webhooks/held')).body).toEqual({ held: 2 });

    const released = await call('POST', '/__control/webhooks/release', { json: { order: 'reversed' } });
    expect(released.body).toEqual({ released: 2 });
    const events = await harness.receivedEvents();

    expect(events.map(({ id }) => id)).toEqual([late?.id, held2?.id, held1?.id]);
    expect((await call('GET', '/__control/webhooks/held')).body).toEqual({ held: 0 });
  });

  it('stamps events with the API version and the request that caused them', async () => {
    const idempotencyKey = randomUUID();
    const session = await openSession();

    await harness.processor.expireCheckoutSession(session.id, idempotencyKey);
    await harness.fake.flushWebhooks();
    const [event] = harness.fake.controls.sentEvents();

    expect(event).toMatchObject({
      object: 'event',
      livemode: false,
      pending_webhooks: 1,
      request: { idempotency_key: idempotencyKey },
    });
    expect(event?.id).toMatch(/^evt_/);
    expect(event?.api_version).toMatch(/^\d{4}-\d{2}-\d{2}/);
    expect(event?.request?.id).toMatch(/^req_/);
  });
});

describe('special test cards', () => {
  it('opens a dispute after a 0259 payment succeeds', async () => {
    const session = await openSession();

    harness.fake.controls.payCheckoutSession(session.id, { card: '4000000000000259' });
    const events = await harness.receivedEvents();
    const dispute = events[3];

    expect(typesOf(events)).toEqual([
      'checkout.session.completed',
      'payment_intent.succeeded',
      'charge.succeeded',
      'charge.dispute.created',
    ]);
    expect(dispute?.type === 'charge.dispute.created' && dispute.object).toMatchObject({
      reason: 'fraudulent',
      status: 'needs_response',
      amountMinor: 5000,
    });
  });

  it('creates an early fraud warning after a 5423 payment succeeds', async () => {
    const session = await openSession();

    const result = harness.fake.controls.payCheckoutSession(session.id, { card: '4000000000005423' });
    const events = await harness.receivedEvents();
    const warning = events[3];

    expect(typesOf(events)).toEqual([
      'checkout.session.completed',
      'payment_intent.succeeded',
      'charge.succeeded',
      'radar.early_fraud_warning.created',
    ]);
    expect(warning?.type === 'radar.early_fraud_warning.created' && warning.object).toMatchObject({
      chargeId: result.paymentIntent?.latest_charge,
      paymentIntentId: result.paymentIntent?.id,
      fraudType: 'made_with_stolen_card',
      actionable: true,
    });
  });

  it('completes unpaid, then sends async_payment_succeeded for the async_success card', async () => {
    const session = await openSession();

    const result = harness.fake.controls.payCheckoutSession(session.id, { card: 'async_success' });
    const events = await harness.receivedEvents();

    expect(result.outcome).toBe('completed');
    expect(typesOf(events)).toEqual([
      'checkout.session.completed',
      'payment_intent.processing',
      'charge.pending',
      'checkout.session.async_payment_succeeded',
      'payment_intent.succeeded',
      'charge.succeeded',
    ]);
    expect(events[0]?.type === 'checkout.session.completed' && events[0].object.paymentStatus).toBe('unpaid');
    expect(
      events[3]?.type === 'checkout.session.async_payment_succeeded' && events[3].object.paymentStatus,
    ).toBe('paid');
  });

  it('sends async_payment_failed for the async_fail card', async () => {
    const session = await openSession();

    const result = harness.fake.controls.payCheckoutSession(session.id, { card: 'async_fail' });
    const events = await harness.receivedEvents();

    expect(result.outcome).toBe('async_payment_failed');
    expect(typesOf(events).slice(3)).toEqual([
      'checkout.session.async_payment_failed',
      'payment_intent.payment_failed',
      'charge.failed',
    ]);
  });
});

describe('clock', () => {
  it('expires a session once its expires_at has passed on the injected clock', async () => {
    let now = new Date('2026-01-10T09:00:00Z');
    const fake = await createFakeStripeServer({ clock: () => now });
    try {
      const created = await fetch(`${fake.url}/v1/checkout/sessions`, {
        method: 'POST',
        headers: {
          Authorization: 'Bearer sk_test_clock',
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: 'mode=setup&currency=usd&success_url=https://app.astrix.test/ok',
      });
      const session = (await created.json()) as Stripe.Checkout.Session;

      now = new Date('2026-01-11T09:00:01Z');
      const page = await fetch(`${fake.url}/pay/${session.id}`);

      expect(session.expires_at).toBe(Date.parse('2026-01-11T09:00:00Z') / 1000);
      expect(page.status).toBe(410);
      expect(fake.state.checkoutSessions.get(session.id)?.status).toBe('expired');
      expect(fake.controls.sentEvents().map(({ type }) => type)).toEqual(['checkout.session.expired']);
    } finally {
      await fake.close();
    }
  });
});

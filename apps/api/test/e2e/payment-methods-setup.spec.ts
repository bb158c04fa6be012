import { createFakeStripeServer, type FakeStripeServer } from '@astrix/stripe-client';
import { BillingTestApp, startBillingTestApp } from '../support/billing';
import { eventually, startTestApp, type TestApp } from '../support/test-app';

// Saving a card in the browser: in live mode the API hands out Stripe's client secret for
// Stripe.js; in the sandbox, where Stripe.js cannot reach the fake Stripe, a hosted page takes the
// card instead. Either way setup_intent.succeeded makes the first card the customer's default.

interface SetupIntentReply {
  id: string;
  status: string;
  clientSecret: string | null;
  nextActionUrl: string | null;
}

async function startSetup(t: TestApp, sub: string): Promise<SetupIntentReply> {
  const reply = await t.inject({
    method: 'POST',
    url: '/v1/billing/payment-methods/setup-intent',
    headers: t.as({ sub, email: `${sub}@example.com` }),
    payload: {},
  });
  expect(reply.statusCode).toBe(201);
  return reply.json() as SetupIntentReply;
}

async function cardsOf(
  t: TestApp,
  sub: string,
): Promise<Array<{ id: string; last4: string; isDefault: boolean }>> {
  const reply = await t.inject({
    method: 'GET',
    url: '/v1/billing/payment-methods',
    headers: t.as({ sub, email: `${sub}@example.com` }),
  });
  expect(reply.statusCode).toBe(200);
  return reply.json();
}

async function defaultCardOf(t: TestApp, sub: string) {
  return eventually(async () => (await cardsOf(t, sub)).find((card) => card.isDefault));
}

async function submitCard(pageUrl: string, card: string): Promise<Response> {
  return fetch(pageUrl, { method: 'POST', body: new URLSearchParams({ card }), redirect: 'manual' });
}

describe('saving a card in the sandbox: the hosted setup page', () => {
  let t: BillingTestApp;

  beforeAll(async () => {
    t = await startBillingTestApp();
  });
  afterAll(() => t.close());

  it('hands out no client secret but the page where the card is entered, and the saved card becomes the default', async () => {
    const intent = await startSetup(t, 'setup_sandbox_1');

    const page = await fetch(intent.nextActionUrl ?? '');
    const saved = await submitCard(intent.nextActionUrl ?? '', '4242424242424242');

    expect(intent).toMatchObject({ status: 'requires_payment_method', clientSecret: null });
    expect(intent.nextActionUrl).toBe(`${t.fake.url}/setup/${intent.id}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Save a card');
    expect(await saved.text()).toContain('Your card is saved.');
    const card = await defaultCardOf(t, 'setup_sandbox_1');
    expect(card).toMatchObject({ last4: '4242', isDefault: true });
    const [customer] = await t.dataSource.query(
      'SELECT id, stripe_customer_id, default_payment_method_id FROM billing.customers WHERE user_id = $1',
      ['setup_sandbox_1'],
    );
    expect(customer.default_payment_method_id).toBe(card.id);
    // The processor charges renewals with the same default.
    expect(
      t.fake.state.customers.get(customer.stripe_customer_id)?.invoice_settings.default_payment_method,
    ).toBe(card.id);
    const [audit] = await t.dataSource.query(
      `SELECT actor_type, actor_id FROM platform.audit_log
       WHERE action = 'payment_method.default_set' AND resource_id = $1`,
      [customer.id],
    );
    expect(audit).toMatchObject({ actor_type: 'system', actor_id: 'stripe-webhooks' });
  });

  it('completes 3-D Secure on the page and keeps the first card the default when a second is saved', async () => {
    const first = await startSetup(t, 'setup_sandbox_2');
    const challenged = await submitCard(first.nextActionUrl ?? '', '4000000000003220');
    const challenge = challenged.headers.get('location') ?? '';
    await fetch(challenge, {
      method: 'POST',
      body: new URLSearchParams({ succeeded: 'true' }),
      redirect: 'manual',
    });
    const firstCard = await defaultCardOf(t, 'setup_sandbox_2');

    const second = await startSetup(t, 'setup_sandbox_2');
    await submitCard(second.nextActionUrl ?? '', '4000000000000259');
    await eventually(async () => (await cardsOf(t, 'setup_sandbox_2')).length === 2);
    await t.fake.flushWebhooks();
    const [handled] = await eventually(async () => {
      const rows: Array<{ status: string; last_error: string | null }> = await t.dataSource.query(
        `SELECT status, last_error FROM billing.stripe_webhook_events
         WHERE type = 'setup_intent.succeeded' AND payload->'data'->'object'->>'id' = $1 AND status <> 'received'`,
        [second.id],
      );
      return rows.length > 0 && rows;
    });

    expect(handled).toEqual({ status: 'processed', last_error: null });
    expect(challenge).toBe(`${t.fake.url}/3ds/${first.id}`);
    expect(firstCard.last4).toBe('3220');
    const cards = await cardsOf(t, 'setup_sandbox_2');
    expect(cards.filter((card) => card.isDefault)).toEqual([expect.objectContaining({ id: firstCard.id })]);
  });

  it('shows a declined card on the page and saves nothing', async () => {
    const intent = await startSetup(t, 'setup_sandbox_3');

    const declined = await submitCard(intent.nextActionUrl ?? '', '4000000000009995');

    expect(await declined.text()).toContain('Your card was declined.');
    expect(await cardsOf(t, 'setup_sandbox_3')).toEqual([]);
  });
});

describe('saving a card in live mode: Stripe.js with the client secret', () => {
  const webhookSecret = 'whsec_live_mode_setup_test';
  let stripe: FakeStripeServer;
  let t: TestApp;

  beforeAll(async () => {
    // A real secret key makes the app live: the official SDK talks to "Stripe" at STRIPE_API_URL,
    // here the fake Stripe server, and no sandbox starts.
    stripe = await createFakeStripeServer({ webhookSecret });
    t = await startTestApp({
      workers: true,
      env: {
        STRIPE_SECRET_KEY: 'sk_test_live_mode_setup',
        STRIPE_WEBHOOK_SECRET: webhookSecret,
        STRIPE_API_URL: stripe.url,
      },
    });
    await t.app.listen(0, '127.0.0.1');
    stripe.controls.setWebhookEndpoint(`${await t.app.getUrl()}/webhooks/stripe`, webhookSecret);
  });
  afterAll(async () => {
    await t.close();
    await stripe.close();
  });

  it("returns Stripe's client secret, and the card Stripe.js confirms with it becomes the default", async () => {
    const intent = await startSetup(t, 'setup_live_1');

    // What Stripe.js confirmCardSetup(clientSecret, …) sends from the browser.
    const confirmed = await fetch(`${stripe.url}/v1/setup_intents/${intent.id}/confirm`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer pk_test_live_mode_setup',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ payment_method: 'pm_card_visa', client_secret: intent.clientSecret ?? '' }),
    });

    expect(intent.status).toBe('requires_payment_method');
    expect(intent.nextActionUrl).toBeNull();
    expect(intent.clientSecret).toMatch(new RegExp(`^${intent.id}_secret_`));
    expect(intent.clientSecret).toBe(stripe.state.setupIntents.get(intent.id)?.client_secret);
    expect(confirmed.status).toBe(200);
    const card = await defaultCardOf(t, 'setup_live_1');
    expect(card.last4).toBe('4242');
  });
});

import { signWebhookPayload, type FakeStripeServer } from '@astrix/stripe-client';
import { PaymentProcessorHost } from '../../src/platform/payment-processor/payment-processor.provider';
import { CatalogService } from '../../src/modules/billing/catalog/catalog.service';
import { eventually, startTestApp, TestApp, TestAppOptions } from './test-app';

export interface BillingTestApp extends TestApp {
  url: string;
  fake: FakeStripeServer;
  webhookSecret: string;
  /** Posts a body to our webhook endpoint, signed as Stripe would (or with the given header). */
  deliver(body: string, signature?: string): Promise<Response>;
  sign(body: string, signedAt?: Date): string;
  /** Every outbox event of a type, oldest first. */
  outbox(type: string): Promise<Array<{ subject: string; envelope: { data: Record<string, unknown> } }>>;
}

/**
 * The real app in sandbox mode (no STRIPE_SECRET_KEY): the official SDK talks HTTP to the fake
 * Stripe, which signs and posts webhooks back to this app on a real socket; workers run.
 */
export async function startBillingTestApp(options: TestAppOptions = {}): Promise<BillingTestApp> {
  const t = await startTestApp({
    workers: true,
    ...options,
    env: { STRIPE_SANDBOX_PORT: '0', STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '', ...options.env },
  });
  await t.app.listen(0, '127.0.0.1');
  const url = await t.app.getUrl();
  const host = t.app.get(PaymentProcessorHost);
  const fake = host.sandboxServer;
  if (!fake) throw new Error('sandbox fake Stripe did not start');
  host.setSandboxWebhookUrl(`${url}/webhooks/stripe`);
  await t.app.get(CatalogService).seedDemoCatalog();
  const sign = (body: string, signedAt = new Date()) =>
    signWebhookPayload(body, host.webhookSecret, signedAt);
  return {
    ...t,
    url,
    fake,
    webhookSecret: host.webhookSecret,
    sign,
    deliver: (body, signature) =>
      fetch(`${url}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature ?? sign(body) },
        body,
      }),
    outbox: (type) =>
      t.dataSource.query(
        'SELECT subject, envelope FROM platform.outbox_events WHERE type = $1 ORDER BY position',
        [type],
      ),
  };
}

/** The demo catalog's product of a slug, with its price in a currency. */
export async function productBySlug(t: TestApp, slug: string): Promise<{ id: string; name: string }> {
  const [row] = await t.dataSource.query('SELECT id, name FROM billing.products WHERE slug = $1', [slug]);
  if (!row) throw new Error(`no product ${slug} in the demo catalog`);
  return row as { id: string; name: string };
}

export async function stripeSessionIdOf(t: TestApp, checkoutSessionId: string): Promise<string> {
  const [row] = await t.dataSource.query(
    'SELECT stripe_checkout_session_id FROM billing.checkout_sessions WHERE id = $1',
    [checkoutSessionId],
  );
  return row.stripe_checkout_session_id as string;
}

/** Pays a checkout session on the fake's sandbox endpoint, as a script or the hosted page would. */
export async function payWithCard(
  t: BillingTestApp,
  checkoutSessionId: string,
  card: string,
): Promise<Response> {
  const stripeSessionId = await stripeSessionIdOf(t, checkoutSessionId);
  return fetch(`${t.fake.url}/sandbox/checkout-sessions/${stripeSessionId}/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ card }),
  });
}

export async function chargeOf(t: TestApp, checkoutSessionId: string): Promise<Record<string, unknown>> {
  return eventually(async () => {
    const [charge] = await t.dataSource.query(
      'SELECT * FROM billing.charges WHERE checkout_session_id = $1',
      [checkoutSessionId],
    );
    return charge as Record<string, unknown> | undefined;
  });
}

/** Checkout + payment on the fake + the recorded charge: a completed purchase, for tests that start after one. */
export async function purchase(
  t: BillingTestApp,
  trader: { sub: string; email?: string },
  slug: string,
  card = '4242424242424242',
  extra: { headers?: Record<string, string>; couponCode?: string } = {},
): Promise<{ checkoutSessionId: string; charge: Record<string, unknown> }> {
  const productId = (await productBySlug(t, slug)).id;
  const session = await t.inject({
    method: 'POST',
    url: '/v1/billing/checkout-sessions',
    headers: { ...t.as(trader), ...extra.headers },
    payload: { productId, currency: 'USD', ...(extra.couponCode ? { couponCode: extra.couponCode } : {}) },
  });
  if (session.statusCode !== 201) throw new Error(`checkout failed: ${session.body}`);
  const checkoutSessionId = session.json().id as string;
  await payWithCard(t, checkoutSessionId, card);
  await t.fake.flushWebhooks();
  return { checkoutSessionId, charge: await chargeOf(t, checkoutSessionId) };
}

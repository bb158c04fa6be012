import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AstrixApiError,
  AstrixClient,
  eventGuards,
  isEventOfType,
  verifyWebhook,
  WebhookVerificationError,
} from '@astrix/contracts';
import { expectBooksClean } from '../support/books';
import { type BillingTestApp, payWithCard, productBySlug, startBillingTestApp } from '../support/billing';
import { pdfText } from '../support/pdf';
import { eventually } from '../support/test-app';
import { signToken } from '../support/tokens';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A sibling service's webhook receiver: keeps the raw body and headers of every delivery. */
async function startReceiver(): Promise<{ url: string; deliveries: Delivery[]; server: Server }> {
  const deliveries: Delivery[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, deliveries, server };
}

const TRADER = { sub: 'user_client_e2e', email: 'client.e2e@example.com' };
const ADMIN = { sub: 'staff_client_admin', roles: ['admin'] };

describe('@astrix/contracts AstrixClient and verifyWebhook against the running API', () => {
  let t: BillingTestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let trader: AstrixClient;
  let admin: AstrixClient;

  beforeAll(async () => {
    receiver = await startReceiver();
    // The seller on documents comes from the configuration.
    t = await startBillingTestApp({
      env: {
        SELLER_NAME: 'Astrix Trading Europe GmbH',
        SELLER_ADDRESS: 'Unter den Linden 1\\n10117 Berlin',
        SELLER_TAX_ID: 'DE 811 907 980',
      },
    });
    // Real HTTP on the app's socket, through the global fetch, as a sibling service would call it.
    trader = new AstrixClient({ baseUrl: t.url, token: signToken(TRADER) });
    admin = new AstrixClient({ baseUrl: `${t.url}/`, token: signToken(ADMIN) });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  it('a trader buys an evaluation and reads the purchase back: products, checkout, invoice and PDF, account, events', async () => {
    expect(await trader.me()).toMatchObject({ kind: 'user', userId: TRADER.sub });
    const products = await trader.listProducts({ currency: 'USD' });
    expect(products.data.map((product) => product.id)).toContain(
      (await productBySlug(t, 'evaluation-25k')).id,
    );
    const evaluation = products.data.find((product) => product.kind === 'evaluation')!;

    const session = await trader.createCheckoutSession({ productId: evaluation.id, currency: 'USD' });
    expect(session.id).toMatch(/^chk_/);
    expect((await trader.getCheckoutSession(session.id)).id).toBe(session.id);
    await payWithCard(t, session.id, '4242424242424242');
    await t.fake.flushWebhooks();

    const invoices = await eventually(async () => {
      const page = await trader.listInvoices();
      return page.data.length > 0 ? page : null;
    });
    const invoice = await trader.getInvoice(invoices.data[0].id);
    expect(invoice.total).toBeGreaterThan(0);
    expect(invoice.seller).toEqual({
      name: 'Astrix Trading Europe GmbH',
      address: 'Unter den Linden 1\n10117 Berlin',
      taxId: 'DE 811 907 980',
    });
    const pdf = Buffer.from(await trader.getInvoicePdf(invoice.id));
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdfText(pdf)).not.toContain('Анна');

    // Documents are addressed with the billing details the trader gives, in any script.
    const details = await trader.setBillingDetails({
      name: 'Анна Петрова',
      address: 'ул. Тверская, 1\nМосква',
    });
    expect(details).toEqual({
      name: 'Анна Петрова',
      address: 'ул. Тверская, 1\nМосква',
      email: TRADER.email,
    });
    expect(await trader.getBillingDetails()).toEqual(details);
    const note = await admin.issueCreditNote(invoice.id, {
      amount: 1000,
      reason: 'Goodwill for a platform outage',
    });
    const addressed = pdfText(Buffer.from(await trader.getInvoicePdf(invoice.id)));
    expect(addressed).toContain('Анна Петрова');
    expect(addressed).toContain('Astrix Trading Europe GmbH');
    expect(addressed).toContain('10117 Berlin');
    expect(addressed).toContain(`Credit note ${note.number}`);
    const credit = pdfText(Buffer.from(await trader.getCreditNotePdf(invoice.id, note.id)));
    expect(credit).toContain('CREDIT NOTE');
    expect(credit).toContain(note.number);
    expect(credit).toContain('Анна Петрова');

    const accounts = await eventually(async () => {
      const page = await trader.listAccounts();
      return page.data.length > 0 ? page : null;
    });
    const account = await trader.getAccount(accounts.data[0].id);
    expect(account.kind).toBe('evaluation');
    expect((await trader.getResetOffer(account.id)).accountId).toBe(account.id);

    const events = await eventually(async () => {
      const page = await trader.listEvents({ type: 'billing.payment.completed' });
      return page.data.length > 0 ? page : null;
    });
    expect(isEventOfType(events.data[0], 'billing.payment.completed')).toBe(true);

    const abandoned = await trader.createCheckoutSession({ productId: evaluation.id, currency: 'USD' });
    expect((await trader.cancelCheckoutSession(abandoned.id)).status).toBe('expired');
  }, 60_000);

  it('a trader saves a card, subscribes, schedules a cancellation and takes it back', async () => {
    const created = await t.inject({
      method: 'POST',
      url: '/v1/admin/products',
      headers: t.as(ADMIN),
      payload: {
        slug: 'client-e2e-plan',
        name: 'Client e2e plan',
        kind: 'subscription',
        prices: [{ currency: 'USD', unitAmount: 2900, recurring: { interval: 'month' } }],
      },
    });
    expect(created.statusCode).toBe(201);
    const planId = created.json().id as string;

    await trader.createSetupIntent({ paymentMethodId: 'pm_card_visa' });
    const cards = await trader.listPaymentMethods();
    expect(cards).toHaveLength(1);
    expect((await trader.setDefaultPaymentMethod(cards[0].id)).isDefault).toBe(true);

    const subscription = await trader.createSubscription({ productId: planId, currency: 'USD' });
    expect(subscription.id).toMatch(/^sub_/);
    const active = await eventually(async () => {
      const current = await trader.getSubscription(subscription.id);
      return current.status === 'active' ? current : null;
    });
    expect((await trader.listSubscriptions()).data.map((s) => s.id)).toEqual([active.id]);
    expect((await trader.upcomingInvoice(active.id)).subscriptionId).toBe(active.id);
    expect((await trader.cancelSubscription(active.id, { atPeriodEnd: true })).cancelAtPeriodEnd).toBe(true);
    expect((await trader.reactivateSubscription(active.id)).cancelAtPeriodEnd).toBe(false);
    expect((await trader.createPortalSession({ returnUrl: 'https://app.example/billing' })).url).toMatch(
      /^http/,
    );
    expect((await trader.listPayouts()).data).toEqual([]);
  }, 60_000);

  it('answers errors as AstrixApiError with the envelope', async () => {
    const failure = await trader.getSubscription('sub_missing').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AstrixApiError);
    expect(failure).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const forbidden = await trader.listApiKeys().catch((error: unknown) => error);
    expect(forbidden).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('a sibling service calls with its API key; its webhook deliveries verify with verifyWebhook', async () => {
    const endpoint = await admin.createWebhookEndpoint({
      url: receiver.url,
      eventTypes: ['platform.api_key.created'],
    });
    expect(endpoint.secret).toMatch(/^whsec_/);
    const issued = await admin.createApiKey({ name: 'identity-e2e', scopes: ['kyc:write'] });
    const identity = new AstrixClient({ baseUrl: t.url, token: issued.key });
    expect(await identity.me()).toMatchObject({ kind: 'service', scopes: ['kyc:write'] });
    const kyc = { userId: TRADER.sub, status: 'verified' as const, updatedAt: new Date().toISOString() };
    expect(await identity.recordKycStatus(kyc)).toMatchObject({ userId: TRADER.sub, status: 'verified' });

    const delivery = await eventually(async () =>
      receiver.deliveries.find((received) => received.body.includes(issued.id)),
    );
    const event = verifyWebhook(delivery.body, delivery.headers, endpoint.secret);
    expect(eventGuards['platform.api_key.created'](event)).toBe(true);
    if (!isEventOfType(event, 'platform.api_key.created')) throw new Error('not narrowed');
    expect(event.data.apiKeyId).toBe(issued.id);
    expect(event.id).toBe(delivery.headers['webhook-id']);
    expect(() =>
      verifyWebhook(delivery.body.replace(issued.id, 'key_forged'), delivery.headers, endpoint.secret),
    ).toThrow(WebhookVerificationError);
    await expectBooksClean(t.app);
  }, 60_000);
});

import { AstrixClient } from '@astrix/contracts';
import { productBySlug, purchase } from '../support/billing';
import { startSubscriptionTestApp, type SubscriptionTestApp } from '../support/subscriptions';
import { pdfText } from '../support/pdf';
import { signToken } from '../support/tokens';

const TRADER = { sub: 'user_hosted_invoice', email: 'hosted.invoice@example.com' };
const OTHER = { sub: 'user_hosted_other', email: 'hosted.other@example.com' };
const HOSTILE_NAME = '<script>alert("x")</script> & <b>Bold</b> Ltd';

/** A signed, expiring link to an invoice's hosted page and PDF, opened from an email without a bearer token. */
describe('hosted invoice links', () => {
  let t: SubscriptionTestApp;
  let invoiceId: string;
  let otherInvoiceId: string;
  const now = new Date('2026-12-06T10:00:00.000Z');

  beforeAll(async () => {
    t = await startSubscriptionTestApp(now.toISOString());
    const mine = await purchase(t, TRADER, 'evaluation-25k');
    const theirs = await purchase(t, OTHER, 'evaluation-25k');
    invoiceId = mine.charge.invoice_id as string;
    otherInvoiceId = theirs.charge.invoice_id as string;
    expect(invoiceId).toMatch(/^inv_/);
    const details = await t.inject({
      method: 'PUT',
      url: '/v1/billing/billing-details',
      headers: t.as(TRADER),
      payload: { name: HOSTILE_NAME, address: '1 Main Street' },
    });
    expect(details.statusCode).toBe(200);
  });
  afterAll(() => t.close());

  const mint = async (id = invoiceId, who = TRADER) =>
    t.inject({ method: 'GET', url: `/v1/billing/invoices/${id}/hosted-link`, headers: t.as(who) });
  /** The path and query of a link, to inject without Authorization. */
  const pathOf = (url: string): string => {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  };

  it('mints a link for the owner that opens the page and the PDF without Authorization', async () => {
    const minted = await mint();
    expect(minted.statusCode).toBe(200);
    const link = minted.json<{ url: string; expiresAt: string }>();
    expect(link.expiresAt).toBe('2027-01-05T10:00:00.000Z'); // 30 days
    expect(link.url).toMatch(
      new RegExp(`^http://localhost:\\d+/v1/hosted/invoices/${invoiceId}\\?token=hil_`),
    );

    const page = await t.inject({ method: 'GET', url: pathOf(link.url) });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['x-robots-tag']).toBe('noindex, nofollow');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['content-security-policy']).not.toContain('script-src');
    const invoice = (
      await t.inject({ method: 'GET', url: `/v1/billing/invoices/${invoiceId}`, headers: t.as(TRADER) })
    ).json<{ number: string; status: string; total: number }>();
    expect(page.body).toContain(`Invoice ${invoice.number}`);
    expect(page.body).toContain(`<span class="status">${invoice.status}</span>`);
    expect(page.body).toMatch(/<th>Paid<\/th><td class="amount">USD\s[\d,]+\.\d\d<\/td>/);
    expect(page.body).toMatch(/<th>Amount due<\/th><td class="amount">USD\s0\.00<\/td>/);
    expect(page.body).toContain('<meta name="robots" content="noindex,nofollow">');

    // The page's own PDF link, resolved against the page's URL.
    const pdfHref = /<a href="([^"]+)">Download the PDF<\/a>/.exec(page.body)?.[1].replace(/&amp;/g, '&');
    expect(pdfHref).toBeDefined();
    const pdf = await t.inject({ method: 'GET', url: pathOf(new URL(pdfHref!, link.url).toString()) });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['content-disposition']).toBe(`inline; filename="${invoice.number}.pdf"`);
    expect(pdf.headers['cache-control']).toBe('no-store');
    expect(pdfText(pdf.rawPayload)).toContain(invoice.number);
  });

  it('escapes markup in the buyer name', async () => {
    const page = await t.inject({ method: 'GET', url: pathOf((await mint()).json<{ url: string }>().url) });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('<script>');
    expect(page.body).not.toContain('<b>Bold</b>');
    expect(page.body).toContain(
      'to &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;Bold&lt;/b&gt; Ltd',
    );
  });

  it("cannot mint a link to another user's invoice (404, as if it did not exist), nor without a bearer", async () => {
    const theirs = await mint(otherInvoiceId);
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json().error.code).toBe('NOT_FOUND');
    const anonymous = await t.inject({ method: 'GET', url: `/v1/billing/invoices/${invoiceId}/hosted-link` });
    expect(anonymous.statusCode).toBe(401);
  });

  it('refuses a tampered, another invoice’s, a malformed and a missing token with a precise 4xx', async () => {
    const link = new URL((await mint()).json<{ url: string }>().url);
    const token = link.searchParams.get('token')!;
    const [payload, signature] = token.slice(4).split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, inv: otherInvoiceId })).toString(
      'base64url',
    );

    for (const suffix of ['', '/pdf']) {
      const forged = await t.inject({
        method: 'GET',
        url: `/v1/hosted/invoices/${otherInvoiceId}${suffix}?token=hil_${forgedPayload}.${signature}`,
      });
      expect(forged.statusCode).toBe(403);
      expect(forged.json().error).toMatchObject({
        code: 'INVALID_LINK',
        message: 'the link signature does not match: it was altered or not issued by us',
      });

      const otherInvoice = await t.inject({
        method: 'GET',
        url: `/v1/hosted/invoices/${otherInvoiceId}${suffix}?token=${token}`,
      });
      expect(otherInvoice.statusCode).toBe(403);
      expect(otherInvoice.json().error).toMatchObject({
        code: 'INVALID_LINK',
        message: 'the link is for another invoice',
      });

      const malformed = await t.inject({
        method: 'GET',
        url: `/v1/hosted/invoices/${invoiceId}${suffix}?token=hil_garbage`,
      });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().error.code).toBe('INVALID_LINK');
      expect(malformed.json().error.message).toMatch(/^the link is malformed/);

      const missing = await t.inject({ method: 'GET', url: `/v1/hosted/invoices/${invoiceId}${suffix}` });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error.code).toBe('VALIDATION_ERROR');
    }
  });

  it('says a link has expired (410) once its lifetime has passed on the clock', async () => {
    const link = (await mint()).json<{ url: string; expiresAt: string }>();
    try {
      t.setNow(new Date(now.getTime() + 30 * 86_400_000 - 1000).toISOString());
      expect((await t.inject({ method: 'GET', url: pathOf(link.url) })).statusCode).toBe(200);
      t.setNow(new Date(now.getTime() + 30 * 86_400_000).toISOString());
      for (const url of [pathOf(link.url), pathOf(link.url).replace('?token', '/pdf?token')]) {
        const expired = await t.inject({ method: 'GET', url });
        expect(expired.statusCode).toBe(410);
        expect(expired.json().error).toMatchObject({
          code: 'LINK_EXPIRED',
          message: `the link expired at ${link.expiresAt}: ask for a new one`,
        });
      }
    } finally {
      t.setNow(now.toISOString());
    }
  });

  it('puts a link in billing.invoice.finalized, for the email announcing a new invoice', async () => {
    const subscriber = 'user_hosted_subscriber';
    await t.addCard(subscriber);
    const created = await t.subscribe(subscriber, {
      productId: (await productBySlug(t, 'pro-monthly')).id,
      currency: 'USD',
      trialDays: 0,
    });
    expect(created.statusCode).toBe(201);
    const [invoice] = await t.invoicesOf(created.json().id as string);
    const [event] = (await t.outbox('billing.invoice.finalized')).filter((row) => row.subject === invoice.id);
    const data = event.envelope.data as {
      number: string;
      hostedInvoiceUrl: string;
      hostedInvoiceUrlExpiresAt: string;
    };
    expect(data.hostedInvoiceUrlExpiresAt).toBe('2027-01-05T10:00:00.000Z');
    const page = await t.inject({ method: 'GET', url: pathOf(data.hostedInvoiceUrl) });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`Invoice ${data.number}`);
  });

  it('is reachable from @astrix/contracts', async () => {
    const client = new AstrixClient({ baseUrl: t.url, token: signToken(TRADER) });
    const link = await client.getHostedInvoiceLink(invoiceId);
    const page = await fetch(new URL(new URL(link.url).pathname + new URL(link.url).search, t.url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Amount due');
  });
});

import {
  BillingTestApp,
  chargeOf,
  payWithCard,
  productBySlug,
  startBillingTestApp,
} from '../support/billing';
import { eventually } from '../support/test-app';
import { expectBooksClean } from '../support/books';

describe('buying an evaluation through the fake Stripe, then refunding it', () => {
  let t: BillingTestApp;
  beforeAll(async () => {
    t = await startBillingTestApp();
  });
  afterAll(() => t.close());

  const trader = { sub: 'user_trader_1', email: 'trader1@example.com' };
  const finance = { sub: 'staff_finance', roles: ['finance'] };

  it('pays with a coupon, records one charge, one invoice with a PDF, one redemption and one event; then refunds', async () => {
    const products = await t.inject({
      method: 'GET',
      url: '/v1/billing/products?currency=USD',
      headers: t.as(trader),
    });
    expect(products.statusCode).toBe(200);
    const evaluation = await productBySlug(t, 'evaluation-50k');
    const listed = products.json().data.find((product: { id: string }) => product.id === evaluation.id);
    const listPrice = listed.prices[0].unitAmount as number;

    const checkout = await t.inject({
      method: 'POST',
      url: '/v1/billing/checkout-sessions',
      headers: { ...t.as(trader), 'idempotency-key': 'buy-eval-1' },
      payload: { productId: evaluation.id, currency: 'USD', couponCode: 'welcome20' },
    });
    expect(checkout.statusCode).toBe(201);
    const session = checkout.json();
    expect(session.url).toContain(t.fake.url);
    expect(session.breakdown.subtotal).toEqual({ amount: listPrice, currency: 'USD' });
    expect(session.breakdown.discount.amount).toBe(listPrice / 5);
    const total = session.breakdown.total.amount as number;
    expect(total).toBe(listPrice - listPrice / 5);

    // The same request replayed returns the same session, and opens no second payment page.
    const replay = await t.inject({
      method: 'POST',
      url: '/v1/billing/checkout-sessions',
      headers: { ...t.as(trader), 'idempotency-key': 'buy-eval-1' },
      payload: { productId: evaluation.id, currency: 'USD', couponCode: 'welcome20' },
    });
    expect(replay.json().id).toBe(session.id);
    expect(
      t.fake.state.checkoutSessions.all().filter((s) => s.client_reference_id === session.id),
    ).toHaveLength(1);

    const paid = await payWithCard(t, session.id, '4242424242424242');
    expect(paid.status).toBe(200);
    await t.fake.flushWebhooks();

    const charge = await chargeOf(t, session.id);
    expect(charge).toMatchObject({
      amount: String(total),
      currency: 'USD',
      status: 'succeeded',
      card_last4: '4242',
    });
    expect(charge.card_fingerprint).toEqual(expect.any(String));
    expect(charge.risk_level).toEqual(expect.any(String));
    await eventually(async () => {
      const [row] = await t.dataSource.query('SELECT status FROM billing.checkout_sessions WHERE id = $1', [
        session.id,
      ]);
      return row.status === 'completed';
    });
    const completed = await t.outbox('billing.payment.completed');
    expect(completed.filter((event) => event.subject === charge.id)).toHaveLength(1);
    expect(completed[0].envelope.data).toMatchObject({
      chargeId: charge.id,
      userId: trader.sub,
      productKind: 'evaluation',
      accountSize: 50000,
      amount: total,
      couponCode: 'WELCOME20',
    });
    const redemptions = await t.dataSource.query(
      'SELECT * FROM billing.coupon_redemptions WHERE charge_id = $1',
      [charge.id],
    );
    expect(redemptions).toHaveLength(1);

    const invoices = await t.inject({ method: 'GET', url: '/v1/billing/invoices', headers: t.as(trader) });
    expect(invoices.statusCode).toBe(200);
    const [invoice] = invoices.json().data;
    expect(invoice).toMatchObject({ chargeId: charge.id, status: 'paid', total, discount: listPrice / 5 });
    expect(invoice.number).toMatch(/^AST-\d{4}-\d{6}$/);
    const pdf = await t.inject({
      method: 'GET',
      url: `/v1/billing/invoices/${invoice.id}/pdf`,
      headers: t.as(trader),
    });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');

    // Partial refund, then the rest.
    const partial = await t.inject({
      method: 'POST',
      url: `/v1/admin/charges/${charge.id}/refunds`,
      headers: { ...t.as(finance), 'idempotency-key': 'refund-1' },
      payload: { amount: 5000, reason: 'requested_by_customer: partial goodwill' },
    });
    expect(partial.statusCode).toBe(201);
    expect(partial.json()).toMatchObject({ amount: { amount: 5000, currency: 'USD' }, status: 'succeeded' });
    const rest = await t.inject({
      method: 'POST',
      url: `/v1/admin/charges/${charge.id}/refunds`,
      headers: { ...t.as(finance), 'idempotency-key': 'refund-2' },
      payload: { reason: 'requested_by_customer: cancelled before trading' },
    });
    expect(rest.statusCode).toBe(201);
    expect(rest.json().amount.amount).toBe(total - 5000);
    await t.fake.flushWebhooks();

    const after = await t.inject({
      method: 'GET',
      url: `/v1/admin/charges/${charge.id}`,
      headers: t.as(finance),
    });
    expect(after.json()).toMatchObject({
      status: 'refunded',
      amountRefunded: { amount: total, currency: 'USD' },
    });
    expect(
      after.json().refunds.map((refund: { creditNoteId: string | null }) => refund.creditNoteId),
    ).toEqual([expect.stringMatching(/^cn_/), expect.stringMatching(/^cn_/)]);
    const processed = await t.outbox('billing.refund.processed');
    expect(processed.map((event) => event.envelope.data.amount)).toEqual([5000, total - 5000]);
    // Stripe's own webhooks for those refunds changed nothing more.
    await eventually(async () => {
      const rows = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM billing.stripe_webhook_events WHERE status = 'received'`,
      );
      return rows[0].n === 0;
    });
    expect(await t.outbox('billing.refund.processed')).toHaveLength(2);

    const nothingLeft = await t.inject({
      method: 'POST',
      url: `/v1/admin/charges/${charge.id}/refunds`,
      headers: { ...t.as(finance), 'idempotency-key': 'refund-3' },
      payload: { amount: 1, reason: 'one cent more' },
    });
    expect(nothingLeft.statusCode).toBe(409);
    expect(nothingLeft.json().error.code).toBe('ALREADY_REFUNDED');
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

describe('payment return pages', () => {
  let t: BillingTestApp;
  beforeAll(async () => {
    t = await startBillingTestApp();
  });
  afterAll(() => t.close());

  it('serves static HTML pages the payment page returns to, without credentials', async () => {
    for (const [path, title] of [
      ['/checkout/success?session=cs_test_1', 'Payment received'],
      ['/checkout/cancel', 'Payment cancelled'],
    ]) {
      const response = await t.inject({ method: 'GET', url: path });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(response.body).toContain(title);
    }
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

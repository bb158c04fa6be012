import type { Customer360View, CustomerSummaryView } from '@astrix/contracts';
import { BillingTestApp, purchase, startBillingTestApp } from '../support/billing';
import { idempotent } from '../support/idempotency';
import { outboxSchemaViolations } from '../support/event-schemas';

const SUPPORT = { sub: 'staff_support', roles: ['support'] };
const FINANCE = { sub: 'staff_finance', roles: ['finance'] };
const ALICE = { sub: 'user_alice_360', email: 'Alice.Trader@example.com' };
const BOB = { sub: 'user_bob_360', email: 'bob@example.com' };
const UNKNOWN_CUSTOMER = 'cust_01jzzzzzzzzzzzzzzzzzzzzzzz';

describe('admin: customer 360, search and money actions', () => {
  let t: BillingTestApp;
  let alice: { customerId: string; charges: Array<Record<string, unknown>> };
  let bobCharge: Record<string, unknown>;

  beforeAll(async () => {
    t = await startBillingTestApp();
    const first = await purchase(t, ALICE, 'evaluation-25k');
    const second = await purchase(t, ALICE, 'evaluation-50k');
    bobCharge = (await purchase(t, BOB, 'evaluation-25k')).charge;
    alice = { customerId: first.charge.customer_id as string, charges: [first.charge, second.charge] };
    // A subscription as the subscriptions context stores it: the customer view lists it read-only.
    await t.dataSource.query(
      `INSERT INTO billing.subscriptions (id, customer_id, user_id, product_id, price_id, currency, unit_amount, quantity, status,
         interval, interval_count, billing_anchor, current_period_start, current_period_end, created_at, updated_at)
       VALUES ('sub_01jaaaaaaaaaaaaaaaaaaaaaaa', $1, $2, 'prd_x', 'prc_x', 'USD', 2900, 1, 'active', 'month', 1,
         now(), now(), now() + interval '1 month', now(), now())`,
      [alice.customerId, ALICE.sub],
    );
  });
  afterAll(() => t.close());

  const get = (url: string, user: { sub: string; roles: string[] } = SUPPORT) =>
    t.inject({ method: 'GET', url, headers: t.as(user) });
  const search = async (query: string): Promise<CustomerSummaryView[]> => {
    const response = await get(`/v1/admin/customers?query=${encodeURIComponent(query)}`);
    expect({ query, status: response.statusCode }).toEqual({ query, status: 200 });
    return response.json().data as CustomerSummaryView[];
  };

  it('finds a customer by every identifier a ticket may carry', async () => {
    const [charge] = alice.charges;
    const [customer] = await t.dataSource.query('SELECT * FROM billing.customers WHERE id = $1', [
      alice.customerId,
    ]);
    const [invoice] = await t.dataSource.query('SELECT number FROM billing.invoices WHERE charge_id = $1', [
      charge.id,
    ]);
    const cases: Array<[string, string]> = [
      [alice.customerId, 'customer_id'],
      [ALICE.sub, 'user_id'],
      ['alice.trader@EXAMPLE.com', 'email'],
      ['alice.tr', 'email'],
      [customer.stripe_customer_id as string, 'stripe_customer_id'],
      [charge.id as string, 'charge_id'],
      [charge.stripe_charge_id as string, 'stripe_charge_id'],
      [charge.stripe_payment_intent_id as string, 'payment_intent_id'],
      [charge.invoice_id as string, 'invoice_id'],
      [(invoice.number as string).toLowerCase(), 'invoice_number'],
    ];
    for (const [query, matchedBy] of cases) {
      const found = await search(query);
      expect({ query, found: found.map((c) => [c.id, c.matchedBy]) }).toEqual({
        query,
        found: [[alice.customerId, matchedBy]],
      });
    }
    // Card 4242 was used by Alice and Bob: last4 + fingerprint lists both, most recent payer first.
    const card = await search(`4242 ${charge.card_fingerprint as string}`);
    expect(card.map((c) => c.userId)).toEqual([BOB.sub, ALICE.sub]);
    expect(card.every((c) => c.matchedBy === 'card')).toBe(true);
    expect(await search(`1111 ${charge.card_fingerprint as string}`)).toEqual([]);
    expect(await search('nobody@nowhere.example')).toEqual([]);
    expect(await search('%@example.com')).toEqual([]);
  });

  it('refuses blank, ambiguous and oversized searches with 400', async () => {
    for (const url of [
      '/v1/admin/customers',
      '/v1/admin/customers?query=',
      '/v1/admin/customers?query=%20%20',
      '/v1/admin/customers?query=4242',
      '/v1/admin/customers?query=a%20b%20c',
      '/v1/admin/customers?query=abc%20def',
      `/v1/admin/customers?query=${'x'.repeat(201)}`,
      '/v1/admin/customers?query=x&limit=0',
      '/v1/admin/customers?query=x&limit=51',
    ]) {
      const response = await get(url);
      expect({ url, status: response.statusCode }).toEqual({ url, status: 400 });
      expect(response.json().error.code).toBe('VALIDATION_ERROR');
    }
  });

  it('shows one customer across billing, accounts, payouts and the audit log', async () => {
    const response = await get(`/v1/admin/customers/${alice.customerId}`);
    expect(response.statusCode).toBe(200);
    const view = response.json<Customer360View>();
    expect(view.profile).toMatchObject({
      id: alice.customerId,
      userId: ALICE.sub,
      email: ALICE.email,
      fraudStatus: 'clear',
      totals: [
        {
          currency: 'USD',
          charges: 2,
          paid: alice.charges.reduce((total, charge) => total + Number(charge.amount), 0),
          refunded: 0,
        },
      ],
    });
    expect(view.charges.data.map((charge) => charge.id)).toEqual(alice.charges.map((c) => c.id).reverse());
    expect(view.invoices.data).toHaveLength(2);
    expect(view.refunds).toEqual({ data: [], nextCursor: null });
    expect(view.subscriptions.data.map((sub) => [sub.id, sub.status, sub.unitAmount])).toEqual([
      ['sub_01jaaaaaaaaaaaaaaaaaaaaaaa', 'active', { amount: 2900, currency: 'USD' }],
    ]);
    expect(view.coupons).toEqual({ data: [], nextCursor: null });
    expect(view.payouts).toEqual({ data: [], nextCursor: null });
    // Accounts are provisioned from the payment events by the accounts context.
    expect(view.accounts.data.every((account) => account.userId === ALICE.sub)).toBe(true);
    expect(view.audit.data.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(['charge.succeeded', 'checkout_session.created']),
    );
    expect(view.audit.data.every((entry) => entry.resourceId !== bobCharge.id)).toBe(true);
  });

  it('pages every section on its own, and bounds the page size', async () => {
    const first = await get(`/v1/admin/customers/${alice.customerId}?limit=1`);
    const view = first.json<Customer360View>();
    expect(view.charges.data).toHaveLength(1);
    expect(view.charges.nextCursor).toBe(view.charges.data[0].id);
    const next = await get(
      `/v1/admin/customers/${alice.customerId}/charges?limit=1&cursor=${view.charges.nextCursor}`,
    );
    expect(next.statusCode).toBe(200);
    expect(next.json().data.map((charge: { id: string }) => charge.id)).toEqual([alice.charges[0].id]);
    expect(next.json().nextCursor).toBeNull();

    const audit = await get(`/v1/admin/customers/${alice.customerId}/audit?limit=2`);
    expect(audit.json().data).toHaveLength(2);
    const auditNext = await get(
      `/v1/admin/customers/${alice.customerId}/audit?limit=2&cursor=${audit.json().nextCursor}`,
    );
    const seen = [...audit.json().data, ...auditNext.json().data].map((entry: { id: string }) => entry.id);
    expect(new Set(seen).size).toBe(seen.length);

    for (const section of [
      'accounts',
      'refunds',
      'invoices',
      'subscriptions',
      'coupons',
      'fraud-signals',
      'payouts',
    ]) {
      const page = await get(`/v1/admin/customers/${alice.customerId}/${section}`);
      expect({ section, status: page.statusCode }).toEqual({ section, status: 200 });
      expect(Array.isArray(page.json().data)).toBe(true);
    }
    expect((await get(`/v1/admin/customers/${alice.customerId}/secrets`)).statusCode).toBe(404);
    expect((await get(`/v1/admin/customers/${alice.customerId}?limit=0`)).statusCode).toBe(400);
    expect((await get(`/v1/admin/customers/${alice.customerId}?limit=51`)).statusCode).toBe(400);
    expect((await get(`/v1/admin/customers/${alice.customerId}/charges?limit=101`)).statusCode).toBe(400);
    expect((await get(`/v1/admin/customers/${alice.customerId}/charges?cursor=bogus`)).statusCode).toBe(400);
  });

  it('answers 404 for unknown customers and ids that cannot be ours', async () => {
    for (const url of [
      `/v1/admin/customers/${UNKNOWN_CUSTOMER}`,
      `/v1/admin/customers/${UNKNOWN_CUSTOMER}/charges`,
      '/v1/admin/customers/not-an-id',
      '/v1/admin/invoices/inv_01jzzzzzzzzzzzzzzzzzzzzzzz',
    ]) {
      const response = await get(url);
      expect({ url, status: response.statusCode }).toEqual({ url, status: 404 });
      expect(response.json().error.code).toBe('NOT_FOUND');
    }
  });

  it('issues a credit note without a refund (finance), never above what is creditable', async () => {
    const invoiceId = alice.charges[0].invoice_id as string;
    const url = `/v1/admin/invoices/${invoiceId}/credit-notes`;
    const post = (payload: unknown, user = FINANCE) =>
      t.inject({
        method: 'POST',
        url,
        headers: idempotent(t.as(user)),
        payload: payload as Record<string, unknown>,
      });

    expect((await post({ amount: 1000, reason: 'goodwill' }, SUPPORT)).statusCode).toBe(403);
    for (const bad of [
      { amount: 0, reason: 'x'.repeat(5) },
      { amount: 10.5, reason: 'fine' },
      { amount: 100 },
    ]) {
      expect((await post(bad)).statusCode).toBe(400);
    }
    const created = await post({ amount: 5000, reason: 'paid back by bank transfer' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      invoiceId,
      refundId: null,
      amount: { amount: 5000, currency: 'USD' },
      number: expect.stringMatching(/^AST-CN-\d{4}-\d+$/),
    });
    const tooMuch = await post({ amount: 29900, reason: 'more than is left' });
    expect(tooMuch.statusCode).toBe(409);
    expect(tooMuch.json().error.message).toContain('exceeds');

    const invoice = await get(`/v1/admin/invoices/${invoiceId}`);
    expect(invoice.json().creditNotes.map((note: { id: string }) => note.id)).toEqual([created.json().id]);
    const [audit] = await t.dataSource.query(
      `SELECT actor_id, resource_id FROM platform.audit_log WHERE action = 'credit_note.issued'`,
    );
    expect(audit).toEqual({ actor_id: FINANCE.sub, resource_id: invoiceId });
  });

  it('resends a receipt by emitting billing.receipt.resend_requested', async () => {
    const invoiceId = alice.charges[1].invoice_id as string;
    const url = `/v1/admin/invoices/${invoiceId}/resend-receipt`;
    const resent = await t.inject({ method: 'POST', url, headers: t.as(SUPPORT), payload: {} });
    expect(resent.statusCode).toBe(202);
    expect(resent.json()).toMatchObject({ invoiceId, email: ALICE.email });
    const elsewhere = await t.inject({
      method: 'POST',
      url,
      headers: t.as(SUPPORT),
      payload: { email: 'alice.other@example.com' },
    });
    expect(elsewhere.json().email).toBe('alice.other@example.com');
    const badEmail = await t.inject({
      method: 'POST',
      url,
      headers: t.as(SUPPORT),
      payload: { email: 'nope' },
    });
    expect(badEmail.statusCode).toBe(400);

    const events = await t.outbox('billing.receipt.resend_requested');
    expect(events.map((event) => event.envelope.data)).toEqual([
      expect.objectContaining({ invoiceId, userId: ALICE.sub, email: ALICE.email, requestedBy: SUPPORT.sub }),
      expect.objectContaining({ invoiceId, email: 'alice.other@example.com' }),
    ]);
    const { violations } = await outboxSchemaViolations(t);
    expect(violations).toEqual([]);
  });

  it('filters the audit log by actor, resource, action and time, newest first, paginated', async () => {
    const list = (query: string, user: { sub: string; roles: string[] } = SUPPORT) =>
      get(`/v1/admin/audit-log?${query}`, user);
    const byAction = await list('action=charge.succeeded');
    expect(byAction.statusCode).toBe(200);
    const charges = byAction.json().data as Array<{ resourceId: string; occurredAt: string }>;
    expect(charges.map((entry) => entry.resourceId)).toEqual([
      bobCharge.id,
      alice.charges[1].id,
      alice.charges[0].id,
    ]);

    const firstPage = await list('action=charge.succeeded&limit=2');
    const secondPage = await list(`action=charge.succeeded&limit=2&cursor=${firstPage.json().nextCursor}`);
    expect(
      [...firstPage.json().data, ...secondPage.json().data].map((e: { resourceId: string }) => e.resourceId),
    ).toEqual(charges.map((entry) => entry.resourceId));
    expect(secondPage.json().nextCursor).toBeNull();

    const byResource = await list(`resourceType=charge&resourceId=${bobCharge.id as string}`);
    expect(byResource.json().data.map((e: { action: string }) => e.action)).toEqual(['charge.succeeded']);
    const byIdAlone = await list(`resourceId=${bobCharge.id as string}`);
    expect(byIdAlone.json().data).toHaveLength(1);
    const byActor = await list(`actor=${FINANCE.sub}`);
    expect(byActor.json().data.map((e: { action: string }) => e.action)).toEqual(['credit_note.issued']);
    const future = await list('from=2999-01-01');
    expect(future.json()).toEqual({ data: [], nextCursor: null });
    const window = await list(`action=charge.succeeded&from=2000-01-01&to=${charges[0].occurredAt}`);
    expect(window.json().data.map((e: { resourceId: string }) => e.resourceId)).not.toContain(bobCharge.id);

    for (const bad of [
      'from=yesterday',
      'from=2026-02-01&to=2026-01-01',
      'limit=0',
      'limit=101',
      'action=DROP',
      'cursor=1',
    ]) {
      const response = await list(bad);
      expect({ bad, status: response.statusCode }).toEqual({ bad, status: 400 });
    }
    expect((await list('', { sub: 'trader', roles: [] })).statusCode).toBe(403);
  });

  it('refuses the new admin routes to traders and to support where finance is needed', async () => {
    const trader = { sub: 'user_trader', roles: [] as string[] };
    expect((await get(`/v1/admin/customers?query=x`, trader)).statusCode).toBe(403);
    expect((await get(`/v1/admin/customers/${alice.customerId}`, trader)).statusCode).toBe(403);
    const refund = await t.inject({
      method: 'POST',
      url: `/v1/admin/charges/${alice.charges[1].id as string}/refunds`,
      headers: idempotent(t.as(trader)),
      payload: { reason: 'x' },
    });
    expect(refund.statusCode).toBe(403);
  });
});

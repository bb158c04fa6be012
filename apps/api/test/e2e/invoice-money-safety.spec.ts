import { randomUUID } from 'node:crypto';
import type { PaymentProcessor } from '@astrix/stripe-client';
import { Clock } from '../../src/platform/clock';
import { PAYMENT_PROCESSOR } from '../../src/platform/payment-processor/payment-processor.provider';
import { InvoiceCorrections } from '../../src/modules/billing/invoicing/invoice-corrections.service';
import { BillingTestApp, productBySlug, startBillingTestApp } from '../support/billing';
import { eventually } from '../support/test-app';
import { expectBooksClean } from '../support/books';

const FINANCE = { sub: 'staff_finance', roles: ['finance'] };
const SYSTEM = { actor: { kind: 'system', name: 'test' }, requestId: null } as const;

interface InvoiceRow {
  id: string;
  status: string;
  customer_id: string;
  payment_intent_id: string | null;
  action_url: string | null;
  charge_id: string | null;
  period_start: Date;
  period_end: Date;
}

/**
 * Issue #16, "Charged twice" and the invoice state machine: a customer is never charged twice for an
 * invoice, and void or written-off invoices never silently become paid. Real Postgres, Redis and the
 * fake Stripe (through the official SDK and the sandbox's 3-D Secure page).
 */
describe('money safety of invoice collection', () => {
  let t: BillingTestApp;
  let now: Date;

  beforeAll(async () => {
    t = await startBillingTestApp();
    now = new Date('2026-09-01T00:00:00Z');
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now.getTime()));
  });
  afterAll(() => t.close());

  const as = (sub: string) => t.as({ sub, email: `${sub}@example.com` });
  const staff = () => ({ ...t.as(FINANCE), 'idempotency-key': randomUUID() });

  async function addCard(user: string, token: string): Promise<string> {
    const headers = as(user);
    const listCards = async () =>
      (
        (await t.inject({ method: 'GET', url: '/v1/billing/payment-methods', headers })).json() as Array<{
          id: string;
        }>
      ).map((card) => card.id);
    const before = await listCards();
    const setup = await t.inject({
      method: 'POST',
      url: '/v1/billing/payment-methods/setup-intent',
      headers,
      payload: { paymentMethodId: token },
    });
    expect(setup.statusCode).toBe(201);
    if (setup.json().status === 'requires_action') t.fake.controls.authenticate(setup.json().id, true);
    const added = (await listCards()).filter((id) => !before.includes(id));
    expect(added).toHaveLength(1);
    return added[0];
  }

  async function makeDefault(user: string, cardId: string): Promise<void> {
    const response = await t.inject({
      method: 'POST',
      url: `/v1/billing/payment-methods/${cardId}/default`,
      headers: as(user),
    });
    expect(response.statusCode).toBeLessThan(300);
  }

  /** A subscription (no trial) whose first invoice waits for 3-D Secure, with its confirmation link. */
  async function invoiceAwaitingAuthentication(user: string): Promise<InvoiceRow> {
    const card = await addCard(user, 'pm_card_threeDSecure2Required');
    await makeDefault(user, card);
    const response = await t.inject({
      method: 'POST',
      url: '/v1/billing/subscriptions',
      headers: as(user),
      payload: { productId: (await productBySlug(t, 'pro-monthly')).id, currency: 'USD', trialDays: 0 },
    });
    expect(response.statusCode).toBe(201);
    const [invoice] = (await t.dataSource.query(`SELECT * FROM billing.invoices WHERE subscription_id = $1`, [
      response.json().id,
    ])) as InvoiceRow[];
    expect(invoice).toMatchObject({ status: 'open' });
    expect(invoice.action_url).not.toBeNull();
    await t.fake.flushWebhooks();
    return invoice;
  }

  /** The customer follows the confirmation link on the sandbox and completes 3-D Secure. */
  async function authenticateOnSandbox(paymentIntentId: string): Promise<number> {
    const response = await fetch(`${t.fake.url}/3ds/${paymentIntentId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'succeeded=true',
      redirect: 'manual',
    });
    await t.fake.flushWebhooks();
    return response.status;
  }

  const invoiceRow = async (id: string): Promise<InvoiceRow> =>
    ((await t.dataSource.query(`SELECT * FROM billing.invoices WHERE id = $1`, [id])) as InvoiceRow[])[0];

  /** Money the fake Stripe took for an invoice and still keeps (succeeded, not refunded in full). */
  function keptPaymentsAtStripe(invoiceId: string): Array<{ id: string }> {
    return t.fake.state.paymentIntents
      .all()
      .filter((intent) => intent.metadata.invoiceId === invoiceId && intent.status === 'succeeded')
      .filter((intent) => {
        const chargeId =
          typeof intent.latest_charge === 'string' ? intent.latest_charge : intent.latest_charge?.id;
        const charge = chargeId ? t.fake.state.charges.get(chargeId) : undefined;
        return !charge || charge.amount_refunded < charge.amount;
      });
  }

  const chargesOf = (
    invoiceId: string,
  ): Promise<Array<{ id: string; status: string; amount_refunded: string }>> =>
    t.dataSource.query(
      `SELECT id, status, amount_refunded FROM billing.charges WHERE invoice_id = $1 ORDER BY id`,
      [invoiceId],
    );

  it('old PaymentIntents are never cancelled: a 3-D Secure intent authenticated after a new card paid the invoice charges the customer twice', async () => {
    const user = 'user_two_intents';
    const invoice = await invoiceAwaitingAuthentication(user);
    const firstIntent = invoice.payment_intent_id as string;

    // A new default card: attempt 2 pays the invoice.
    await makeDefault(user, await addCard(user, 'pm_card_visa'));
    const paid = await eventually(async () => {
      const row = await invoiceRow(invoice.id);
      return row.status === 'paid' ? row : undefined;
    });
    expect(paid.payment_intent_id).not.toBe(firstIntent);

    // The customer then follows the old confirmation link.
    await authenticateOnSandbox(firstIntent);

    expect(t.fake.state.paymentIntents.get(firstIntent)?.status).toBe('canceled');
    expect(keptPaymentsAtStripe(invoice.id)).toHaveLength(1);
    expect(await chargesOf(invoice.id)).toHaveLength(1);
  });

  it('a succeeded intent for an invoice already paid is refunded automatically, audited and announced, never swallowed', async () => {
    const user = 'user_stray_intent';
    await makeDefault(user, await addCard(user, 'pm_card_visa'));
    const response = await t.inject({
      method: 'POST',
      url: '/v1/billing/subscriptions',
      headers: as(user),
      payload: { productId: (await productBySlug(t, 'pro-monthly')).id, currency: 'USD', trialDays: 0 },
    });
    expect(response.statusCode).toBe(201);
    const [invoice] = (await t.dataSource.query(`SELECT * FROM billing.invoices WHERE subscription_id = $1`, [
      response.json().id,
    ])) as Array<InvoiceRow & { total: string }>;
    expect(invoice.status).toBe('paid');
    const [customer] = await t.dataSource.query(`SELECT * FROM billing.customers WHERE id = $1`, [
      invoice.customer_id,
    ]);

    // A second payment for the same invoice reaches Stripe (an intent from before the fix, a retry elsewhere).
    const processor = t.app.get<PaymentProcessor>(PAYMENT_PROCESSOR);
    const stray = await processor.createPaymentIntent(
      {
        amountMinor: Number(invoice.total),
        currency: 'USD',
        customerId: customer.stripe_customer_id,
        paymentMethodId: customer.default_payment_method_id,
        confirm: true,
        offSession: true,
        metadata: { invoiceId: invoice.id, subscriptionId: response.json().id, attempt: '1' },
      },
      `stray-${invoice.id}`,
    );
    expect(stray.status).toBe('succeeded');
    await t.fake.flushWebhooks();

    const refunded = await eventually(async () => {
      const [row] = await t.dataSource.query(
        `SELECT c.id, c.status, r.status AS refund_status, r.stripe_refund_id, r.credit_note_id
           FROM billing.charges c JOIN billing.refunds r ON r.charge_id = c.id
          WHERE c.stripe_payment_intent_id = $1`,
        [stray.id],
      );
      return row?.refund_status === 'succeeded' ? row : undefined;
    });
    expect(refunded).toMatchObject({ status: 'refunded', credit_note_id: null });
    expect(keptPaymentsAtStripe(invoice.id)).toHaveLength(1);
    expect((await invoiceRow(invoice.id)).status).toBe('paid');
    expect((await invoiceRow(invoice.id)).payment_intent_id).not.toBe(stray.id);

    const events = await eventually(async () => {
      const rows = (await t.outbox('billing.payment.duplicate_refunded')).filter(
        (event) => event.subject === refunded.id,
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(events).toHaveLength(1);
    expect(events[0].envelope.data).toMatchObject({
      invoiceId: invoice.id,
      chargeId: refunded.id,
      paymentIntentId: stray.id,
      invoiceStatus: 'paid',
      amount: Number(invoice.total),
      currency: 'USD',
    });
    const audit = await t.dataSource.query(
      `SELECT action FROM platform.audit_log WHERE resource_id = $1 AND action = 'charge.duplicate_refunded'`,
      [refunded.id],
    );
    expect(audit).toHaveLength(1);
    // Staff see it on the customer's charges.
    const charges = await t.inject({
      method: 'GET',
      url: `/v1/admin/customers/${invoice.customer_id}/charges`,
      headers: t.as(FINANCE),
    });
    expect(charges.statusCode).toBe(200);
    expect(charges.json().data).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: refunded.id, status: 'refunded' })]),
    );
    // The webhook delivered again changes nothing: one charge, one refund.
    const again = t.fake.state.events
      .all()
      .find(
        (event) =>
          event.type === 'payment_intent.succeeded' && (event.data.object as { id: string }).id === stray.id,
      );
    if (!again) throw new Error('no payment_intent.succeeded for the stray intent');
    t.fake.controls.resendEvent(again.id);
    await t.fake.flushWebhooks();
    const refunds = await t.dataSource.query(
      `SELECT r.id FROM billing.refunds r JOIN billing.charges c ON c.id = r.charge_id WHERE c.stripe_payment_intent_id = $1`,
      [stray.id],
    );
    expect(refunds).toHaveLength(1);
  });

  it('void or uncollectible invoices can become paid: voiding cancels the intent waiting for 3-D Secure, so authenticating it later pays nothing', async () => {
    const user = 'user_void_then_pay';
    const invoice = await invoiceAwaitingAuthentication(user);
    const voided = await t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${invoice.id}/void`,
      headers: staff(),
      payload: { reason: 'customer asked to cancel' },
    });
    expect(voided.statusCode).toBe(200);
    expect(t.fake.state.paymentIntents.get(invoice.payment_intent_id as string)?.status).toBe('canceled');

    await authenticateOnSandbox(invoice.payment_intent_id as string);

    expect((await invoiceRow(invoice.id)).status).toBe('void');
    expect(keptPaymentsAtStripe(invoice.id)).toHaveLength(0);
    expect(await chargesOf(invoice.id)).toHaveLength(0);
  });

  it('an uncollectible invoice paid late through its own outstanding intent becomes paid, recorded as a late payment', async () => {
    const user = 'user_paid_late';
    const invoice = await invoiceAwaitingAuthentication(user);
    const writtenOff = await t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${invoice.id}/mark-uncollectible`,
      headers: staff(),
      payload: { reason: 'no answer from the customer' },
    });
    expect(writtenOff.statusCode).toBe(200);

    await authenticateOnSandbox(invoice.payment_intent_id as string);

    const paid = await eventually(async () => {
      const row = await invoiceRow(invoice.id);
      return row.status === 'paid' ? row : undefined;
    });
    expect(paid.charge_id).not.toBeNull();
    expect(keptPaymentsAtStripe(invoice.id)).toHaveLength(1);
    const audit = await t.dataSource.query(
      `SELECT before, after FROM platform.audit_log WHERE resource_id = $1 AND action = 'invoice.paid_late'`,
      [invoice.id],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0].before).toMatchObject({ status: 'uncollectible' });
    const [event] = (await t.outbox('billing.invoice.paid')).filter((row) => row.subject === invoice.id);
    expect(event.envelope.data).toMatchObject({ status: 'paid', paidLate: true });
  });

  it('refuses every move outside the invoice state machine with 409 and changes nothing', async () => {
    const user = 'user_state_machine';
    const invoice = await invoiceAwaitingAuthentication(user);
    const closing = (action: string, id = invoice.id) =>
      t.inject({
        method: 'POST',
        url: `/v1/admin/invoices/${id}/${action}`,
        headers: staff(),
        payload: { reason: 'test' },
      });
    expect((await closing('void')).statusCode).toBe(200);
    const again = await closing('void');
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('CONFLICT');
    expect((await closing('mark-uncollectible')).statusCode).toBe(409);
    expect((await invoiceRow(invoice.id)).status).toBe('void');
  });

  it('regenerate never leaves two payable invoices for one period, even when staff regenerate twice at once', async () => {
    const user = 'user_regenerate';
    const invoice = await invoiceAwaitingAuthentication(user);
    const voided = await t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${invoice.id}/void`,
      headers: staff(),
      payload: { reason: 'wrong amount' },
    });
    expect(voided.statusCode).toBe(200);

    const corrections = t.app.get(InvoiceCorrections);
    const attempts = await Promise.allSettled([
      corrections.regenerate(invoice.id, 'wrong amount', SYSTEM),
      corrections.regenerate(invoice.id, 'wrong amount', SYSTEM),
    ]);
    const made = attempts.filter((attempt) => attempt.status === 'fulfilled');
    expect(made).toHaveLength(1);
    const first = (made[0] as PromiseFulfilledResult<Awaited<ReturnType<InvoiceCorrections['regenerate']>>>)
      .value;
    expect(attempts.find((attempt) => attempt.status === 'rejected')).toMatchObject({
      reason: { status: 409, code: 'ALREADY_REGENERATED' },
    });
    await t.fake.flushWebhooks();
    const payable = await t.dataSource.query(
      `SELECT id FROM billing.invoices
        WHERE subscription_id = (SELECT subscription_id FROM billing.invoices WHERE id = $1)
          AND period_start = $2 AND status IN ('open', 'uncollectible', 'paid')`,
      [invoice.id, invoice.period_start],
    );
    expect(payable).toHaveLength(1);

    // The replacement is voided and the original regenerated again: still one payable invoice at most.
    const replacementRow = await invoiceRow(first.id);
    if (replacementRow.status === 'open') {
      expect(
        (
          await t.inject({
            method: 'POST',
            url: `/v1/admin/invoices/${first.id}/void`,
            headers: staff(),
            payload: { reason: 'again' },
          })
        ).statusCode,
      ).toBe(200);
    }
    const third = await corrections.regenerate(first.id, 'wrong amount again', SYSTEM);
    const stillPayable = await t.dataSource.query(
      `SELECT id FROM billing.invoices
        WHERE subscription_id = (SELECT subscription_id FROM billing.invoices WHERE id = $1)
          AND period_start = $2 AND status IN ('open', 'uncollectible', 'paid')`,
      [invoice.id, invoice.period_start],
    );
    expect(stillPayable.map((row: { id: string }) => row.id)).toEqual([third.id]);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

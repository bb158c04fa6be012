import type { AstrixEvent, PaymentCompletedData, PaymentFailedData } from '@astrix/contracts';
import type { PaymentProcessor } from '@astrix/stripe-client';
import { InvoiceCollection } from '../../src/modules/billing/collection/invoice-collection.service';
import { PAYMENT_PROCESSOR } from '../../src/platform/payment-processor/payment-processor.provider';
import { EventDispatcher } from '../../src/platform/events/event-dispatcher.service';
import { chargeOf, payWithCard } from '../support/billing';
import { startSubscriptionTestApp, SubscriptionTestApp } from '../support/subscriptions';
import { eventually } from '../support/test-app';
import { expectBooksClean } from '../support/books';

const ADMIN = { sub: 'staff_payment_events', roles: ['admin'] };

/** One charge writer: purchases and subscription invoices alike announce their payments. */
describe('billing.payment.completed and billing.payment.failed for every payment (e2e, sandbox Stripe)', () => {
  let t: SubscriptionTestApp;
  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-05-04T09:00:00Z');
  });
  afterAll(() => t.close());

  const eventsOf = async <T>(type: string, match: (data: T) => boolean): Promise<T[]> =>
    (await t.outbox(type)).map((row) => (row.envelope as unknown as { data: T }).data).filter(match);
  const accountsOf = (userId: string): Promise<Array<Record<string, unknown>>> =>
    t.dataSource.query('SELECT * FROM accounts.accounts WHERE user_id = $1 ORDER BY id', [userId]);

  it('a paid subscription invoice emits billing.payment.completed once, linked to the invoice, and provisions nothing', async () => {
    const user = 'user_invoice_paid';
    await t.addCard(user);
    const plan = await t.createPlan({ name: 'Payment events plan', unitAmount: 3900, interval: 'month' });
    const created = await t.subscribe(user, { productId: plan, currency: 'USD', trialDays: 0 });
    expect(created.statusCode).toBe(201);
    const subscriptionId = created.json().id as string;
    const [invoice] = await t.paidInvoicesOf(subscriptionId, 1);

    const completed = await eventually(async () => {
      const events = await eventsOf<PaymentCompletedData>(
        'billing.payment.completed',
        (data) => data.invoiceId === invoice.id,
      );
      return events.length > 0 ? events : undefined;
    });
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({
      paidFor: 'invoice',
      userId: user,
      checkoutSessionId: null,
      subscriptionId,
      productId: plan,
      productKind: 'subscription',
      accountTerms: null,
      amount: 3900,
      currency: 'USD',
    });
    const [charge] = await t.dataSource.query('SELECT * FROM billing.charges WHERE id = $1', [
      completed[0].chargeId,
    ]);
    expect(charge).toMatchObject({ invoice_id: invoice.id, status: 'succeeded', checkout_session_id: null });
    // The invoice is the receipt: no second invoice was issued for the charge.
    const receipts = await t.dataSource.query('SELECT id FROM billing.invoices WHERE charge_id = $1', [
      charge.id,
    ]);
    expect(receipts).toEqual([{ id: invoice.id }]);

    // The processor announces the payment again: nothing more is recorded or emitted.
    const [{ payment_intent_id: intentId }] = await t.dataSource.query(
      'SELECT payment_intent_id FROM billing.invoices WHERE id = $1',
      [invoice.id],
    );
    const intent = await t.app.get<PaymentProcessor>(PAYMENT_PROCESSOR).getPaymentIntent(intentId);
    await t.app.get(InvoiceCollection).onPaymentIntent(intent);
    await t.app.get(InvoiceCollection).markPaid(invoice.id, intent);
    expect(
      await eventsOf<PaymentCompletedData>(
        'billing.payment.completed',
        (data) => data.invoiceId === invoice.id,
      ),
    ).toHaveLength(1);
    expect(
      await t.dataSource.query('SELECT id FROM billing.charges WHERE stripe_payment_intent_id = $1', [
        intentId,
      ]),
    ).toHaveLength(1);

    // Delivered to the consumers (provisioning among them): no account for a subscription's invoice.
    await eventually(async () => {
      const [row] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM platform.inbox_entries WHERE consumer = 'accounts.provisioning'
            AND event_id = (SELECT event_id FROM platform.outbox_events
                             WHERE type = 'billing.payment.completed' AND subject = $1)`,
        [charge.id],
      );
      return row.n === 1;
    });
    expect(await accountsOf(user)).toEqual([]);
  });

  it('a declined subscription invoice emits billing.payment.failed for that attempt, and no completed payment', async () => {
    const user = 'user_invoice_declined';
    await t.addCard(user);
    const plan = await t.createPlan({ name: 'Declined plan', unitAmount: 2900, interval: 'month' });
    t.fake.controls.declineNextPayments({ count: 1, declineCode: 'insufficient_funds' });
    const created = await t.subscribe(user, { productId: plan, currency: 'USD', trialDays: 0 });
    expect(created.statusCode).toBe(201);
    const subscriptionId = created.json().id as string;

    const failed = await eventually(async () => {
      const events = await eventsOf<PaymentFailedData>(
        'billing.payment.failed',
        (data) => data.subscriptionId === subscriptionId,
      );
      return events.length > 0 ? events : undefined;
    });
    const [invoice] = await t.invoicesOf(subscriptionId);
    expect(invoice.status).toBe('open');
    expect(failed).toEqual([
      {
        paidFor: 'invoice',
        checkoutSessionId: null,
        invoiceId: invoice.id,
        subscriptionId,
        attempt: 1,
        userId: user,
        customerId: expect.any(String),
        productId: plan,
        amount: 2900,
        currency: 'USD',
        reason: expect.any(String),
        declineCode: 'insufficient_funds',
      },
    ]);
    expect(
      await eventsOf<PaymentCompletedData>(
        'billing.payment.completed',
        (data) => data.invoiceId === invoice.id,
      ),
    ).toEqual([]);
    expect(
      await t.dataSource.query('SELECT id FROM billing.charges WHERE invoice_id = $1', [invoice.id]),
    ).toEqual([]);
  });

  it('a retried provisioning creates the account bought, not the product as edited since', async () => {
    const user = 'user_terms_bought';
    const product = await t.inject({
      method: 'POST',
      url: '/v1/admin/products',
      headers: t.as(ADMIN),
      payload: {
        kind: 'evaluation',
        name: 'Terms snapshot 10k',
        attributes: {
          accountSize: 10_000,
          phases: 2,
          profitTargetPercent: ['8', '5'],
          maxDailyLossPercent: '5',
          maxTotalLossPercent: '10',
          minTradingDays: 4,
        },
        prices: [{ currency: 'USD', unitAmount: 9900 }],
      },
    });
    expect(product.statusCode).toBe(201);
    const productId = product.json().id as string;

    // Provisioning fails for this trader until the trigger goes: the event waits to be retried.
    await t.dataSource.query(`
      CREATE OR REPLACE FUNCTION accounts.test_refuse_terms_bought() RETURNS trigger AS $$
      BEGIN RAISE EXCEPTION 'accounts unavailable'; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER test_refuse_terms_bought BEFORE INSERT ON accounts.accounts
        FOR EACH ROW WHEN (NEW.user_id = '${user}') EXECUTE FUNCTION accounts.test_refuse_terms_bought();
    `);
    let chargeId: string;
    try {
      const checkout = await t.inject({
        method: 'POST',
        url: '/v1/billing/checkout-sessions',
        headers: t.trader(user),
        payload: { productId, currency: 'USD' },
      });
      expect(checkout.statusCode).toBe(201);
      const sessionId = checkout.json().id as string;
      expect((await payWithCard(t, sessionId, '4242424242424242')).status).toBe(200);
      await t.fake.flushWebhooks();
      chargeId = (await chargeOf(t, sessionId)).id as string;

      // Support edits the product after the sale.
      const edited = await t.inject({
        method: 'PATCH',
        url: `/v1/admin/products/${productId}`,
        headers: t.as(ADMIN),
        payload: {
          attributes: {
            accountSize: 200_000,
            phases: 1,
            profitTargetPercent: ['20'],
            maxDailyLossPercent: '1',
            maxTotalLossPercent: '2',
            minTradingDays: 30,
          },
        },
      });
      expect(edited.statusCode).toBe(200);
      expect(await accountsOf(user)).toEqual([]);
    } finally {
      await t.dataSource.query(`
        DROP TRIGGER test_refuse_terms_bought ON accounts.accounts;
        DROP FUNCTION accounts.test_refuse_terms_bought();
      `);
    }

    // The retry (here delivered at once; the relay's own retry may get there first).
    const [stored] = (await t.outbox('billing.payment.completed')).filter(
      (event) => event.subject === chargeId,
    );
    expect((stored.envelope as unknown as { data: PaymentCompletedData }).data).toMatchObject({
      paidFor: 'purchase',
      accountTerms: { accountSize: 10_000, phases: 2, profitTargetPercent: ['8', '5'] },
    });
    await t.app.get(EventDispatcher).dispatch(stored.envelope as unknown as AstrixEvent);
    const [account] = await eventually(async () => {
      const rows = await accountsOf(user);
      return rows.length > 0 ? rows : undefined;
    });
    expect(await accountsOf(user)).toHaveLength(1);
    expect(account).toMatchObject({
      size: 10000,
      phases: 2,
      starting_balance: '1000000',
      rules: {
        profitTargetPercent: ['8', '5'],
        maxDailyLossPercent: '5',
        maxTotalLossPercent: '10',
        minTradingDays: 4,
      },
    });
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

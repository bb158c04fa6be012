import { BillingTestApp, purchase, productBySlug, startBillingTestApp } from '../support/billing';
import { createTestDatabase, type TestDatabase } from '../support/databases';

// The sandbox's fake Stripe keeps its state in memory: after an API restart it no longer knows the
// customers our database links users to (as a live Stripe account that was switched or cleaned
// would not). A returning user must still be able to buy: the processor customer is rebuilt once,
// even when several of the user's requests find it missing at the same moment.

describe('a returning sandbox user after an API restart', () => {
  let database: TestDatabase;
  let t: BillingTestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    t = await startBillingTestApp({ database });
  });
  afterAll(async () => {
    await t?.close();
    await database.drop();
  });

  async function restart(): Promise<void> {
    await t.close();
    t = await startBillingTestApp({ database });
  }

  async function processorCustomerOf(
    userId: string,
  ): Promise<{ id: string; stripe: string; pm: string | null }> {
    const [row] = await t.dataSource.query(
      'SELECT id, stripe_customer_id AS stripe, default_payment_method_id AS pm FROM billing.customers WHERE user_id = $1',
      [userId],
    );
    return row;
  }

  it('buys again: the processor customer Stripe no longer knows is created anew and relinked', async () => {
    const trader = { sub: 'returning_1', email: 'returning1@example.com' };
    await purchase(t, trader, 'evaluation-25k');
    const before = await processorCustomerOf('returning_1');

    await restart();
    const again = await purchase(t, trader, 'evaluation-25k');
    const after = await processorCustomerOf('returning_1');

    expect(again.charge).toMatchObject({ status: 'succeeded' });
    expect(after.id).toBe(before.id);
    expect(after.stripe).not.toBe(before.stripe);
    expect(t.fake.state.customers.get(after.stripe)).toMatchObject({
      email: 'returning1@example.com',
      metadata: { customerId: before.id, userId: 'returning_1' },
    });
    const [audit] = await t.dataSource.query(
      `SELECT before, after FROM platform.audit_log WHERE action = 'customer.processor_customer_replaced' AND resource_id = $1`,
      [before.id],
    );
    expect(audit).toMatchObject({
      before: { stripeCustomerId: before.stripe },
      after: { stripeCustomerId: after.stripe },
    });
  });

  it('creates one processor customer when concurrent requests all find it missing', async () => {
    const trader = { sub: 'returning_2', email: 'returning2@example.com' };
    await purchase(t, trader, 'evaluation-25k');
    // The user had saved a card too: it died with the old processor customer.
    const card = await t.inject({
      method: 'POST',
      url: '/v1/billing/payment-methods/setup-intent',
      headers: t.as(trader),
      payload: { paymentMethodId: 'pm_card_visa' },
    });
    expect(card.statusCode).toBe(201);
    const before = await processorCustomerOf('returning_2');
    expect(before.pm).not.toBeNull();

    await restart();
    const productId = (await productBySlug(t, 'evaluation-25k')).id;
    const replies = await Promise.all([
      ...Array.from({ length: 4 }, () =>
        t.inject({
          method: 'POST',
          url: '/v1/billing/checkout-sessions',
          headers: t.as(trader),
          payload: { productId, currency: 'USD' },
        }),
      ),
      t.inject({
        method: 'POST',
        url: '/v1/billing/payment-methods/setup-intent',
        headers: t.as(trader),
        payload: {},
      }),
    ]);
    const after = await processorCustomerOf('returning_2');

    expect(replies.map((reply) => reply.statusCode)).toEqual([201, 201, 201, 201, 201]);
    const rebuilt = t.fake.state.customers
      .all()
      .filter((customer) => customer.metadata.customerId === before.id);
    expect(rebuilt.map((customer) => customer.id)).toEqual([after.stripe]);
    // Every session and the setup intent went to the one new customer.
    for (const reply of replies.slice(0, 4)) {
      const [row] = await t.dataSource.query(
        'SELECT stripe_checkout_session_id FROM billing.checkout_sessions WHERE id = $1',
        [reply.json().id],
      );
      expect(t.fake.state.checkoutSessions.get(row.stripe_checkout_session_id)?.customer).toBe(after.stripe);
    }
    expect(t.fake.state.setupIntents.get(replies[4]?.json().id)?.customer).toBe(after.stripe);
    // The old default card no longer exists at the processor: renewals must not try it.
    expect(after.pm).toBeNull();
  });

  it('subscribes again: the renewal card died with the old customer, so the invoice waits for a new card', async () => {
    const trader = { sub: 'returning_4', email: 'returning4@example.com' };
    const as = t.as(trader);
    const addCard = () =>
      t.inject({
        method: 'POST',
        url: '/v1/billing/payment-methods/setup-intent',
        headers: as,
        payload: { paymentMethodId: 'pm_card_visa' },
      });
    expect((await addCard()).statusCode).toBe(201);

    await restart();
    const pro = (await productBySlug(t, 'pro-monthly')).id;
    const created = await t.inject({
      method: 'POST',
      url: '/v1/billing/subscriptions',
      headers: { ...as, 'idempotency-key': 'returning-4-sub' },
      payload: { productId: pro, currency: 'USD', trialDays: 0 },
    });
    const [replaced] = await t.dataSource.query(
      `SELECT a.actor_id, a.after FROM platform.audit_log a JOIN billing.customers c ON c.id = a.resource_id
        WHERE a.action = 'customer.processor_customer_replaced' AND c.user_id = $1`,
      ['returning_4'],
    );
    const added = await addCard();
    const subscription = await t.inject({
      method: 'GET',
      url: `/v1/billing/subscriptions/${created.json().id}`,
      headers: as,
    });

    expect(created.statusCode).toBe(201);
    expect(created.json().status).toBe('incomplete');
    // Collection found the processor customer gone, linked a new one and waits for a card.
    expect(replaced).toMatchObject({ actor_id: 'collection', after: { defaultPaymentMethodId: null } });
    expect(added.statusCode).toBe(201);
    // The new card became the default and the waiting invoice was collected on it.
    expect(subscription.json().status).toBe('active');
  });

  it('lists no cards rather than failing while the processor customer is missing', async () => {
    const trader = { sub: 'returning_3', email: 'returning3@example.com' };
    await t.inject({
      method: 'POST',
      url: '/v1/billing/payment-methods/setup-intent',
      headers: t.as(trader),
      payload: { paymentMethodId: 'pm_card_visa' },
    });

    await restart();
    const cards = await t.inject({
      method: 'GET',
      url: '/v1/billing/payment-methods',
      headers: t.as(trader),
    });

    expect(cards.statusCode).toBe(200);
    expect(cards.json()).toEqual([]);
  });
});

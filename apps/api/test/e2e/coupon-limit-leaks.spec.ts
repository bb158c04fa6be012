import type { PaymentProcessor } from '@astrix/stripe-client';
import { PAYMENT_PROCESSOR } from '../../src/platform/payment-processor/payment-processor.provider';
import {
  BillingTestApp,
  chargeOf,
  payWithCard,
  productBySlug,
  startBillingTestApp,
  stripeSessionIdOf,
} from '../support/billing';
import { checkBooks, expectBooksClean } from '../support/books';
import { outboxSchemaViolations } from '../support/event-schemas';
import { eventually } from '../support/test-app';

/**
 * Issue 17, coupons: limits are reserved by open checkout sessions, not just counted at payment, and
 * a redemption refused at payment anyway does not leave the discount with the customer.
 */
describe('coupon limits hold across open checkout sessions', () => {
  let t: BillingTestApp;
  let evaluation: { id: string };
  beforeAll(async () => {
    t = await startBillingTestApp();
    evaluation = await productBySlug(t, 'evaluation-50k');
  });
  afterAll(() => t.close());

  const ADMIN = { sub: 'staff_coupon_admin', roles: ['admin'] };
  let keys = 0;
  const openCheckout = (trader: { sub: string; email: string }, couponCode: string) =>
    t.inject({
      method: 'POST',
      url: '/v1/billing/checkout-sessions',
      headers: { ...t.as(trader), 'idempotency-key': `coupon-leak-${(keys += 1)}` },
      payload: { productId: evaluation.id, currency: 'USD', couponCode },
    });
  const discountedCharges = (userId: string): Promise<Array<{ id: string; discount_amount: string }>> =>
    t.dataSource.query(
      'SELECT id, discount_amount FROM billing.charges WHERE user_id = $1 AND discount_amount > 0',
      [userId],
    );
  const redemptionsOf = async (code: string, userId: string): Promise<number> => {
    const [row] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM billing.coupon_redemptions r
         JOIN billing.coupons c ON c.id = r.coupon_id
         JOIN billing.customers cu ON cu.id = r.customer_id
        WHERE c.code = $1 AND cu.user_id = $2`,
      [code, userId],
    );
    return row.n as number;
  };

  it('leak: a new trader who opens five WELCOME20 checkouts and pays all five gets one discount, not five', async () => {
    const trader = { sub: 'user_five_sessions', email: 'five@example.com' };
    const opened = [];
    for (let i = 0; i < 5; i += 1) opened.push(await openCheckout(trader, 'WELCOME20'));
    const accepted = opened.filter((response) => response.statusCode === 201);
    for (const response of accepted) {
      expect((await payWithCard(t, response.json().id, '4242424242424242')).status).toBe(200);
    }
    await t.fake.flushWebhooks();
    for (const response of accepted) await chargeOf(t, response.json().id);

    expect(await discountedCharges(trader.sub)).toHaveLength(1);
    expect(await redemptionsOf('WELCOME20', trader.sub)).toBe(1);
    // The others were refused when opened, in the error envelope, naming the limit.
    expect(accepted).toHaveLength(1);
    for (const refused of opened.filter((response) => response.statusCode !== 201)) {
      expect(refused.statusCode).toBe(422);
      expect(refused.json().error).toMatchObject({
        code: 'COUPON_NOT_APPLICABLE',
        details: [{ field: 'couponCode', message: 'customer_limit_reached' }],
      });
    }
  });

  it('leak: five WELCOME20 checkouts opened concurrently give one discount', async () => {
    const trader = { sub: 'user_five_racing', email: 'racing@example.com' };
    const opened = await Promise.all([1, 2, 3, 4, 5].map(() => openCheckout(trader, 'WELCOME20')));
    const accepted = opened.filter((response) => response.statusCode === 201);
    for (const response of accepted) await payWithCard(t, response.json().id, '4242424242424242');
    await t.fake.flushWebhooks();
    for (const response of accepted) await chargeOf(t, response.json().id);

    expect(await discountedCharges(trader.sub)).toHaveLength(1);
    expect(accepted).toHaveLength(1);
    expect(opened.filter((response) => response.statusCode === 422)).toHaveLength(4);
  });

  it('five traders racing for the last two uses of a coupon: two sessions open, three are refused', async () => {
    const created = await t.inject({
      method: 'POST',
      url: '/v1/admin/coupons',
      headers: t.as(ADMIN),
      payload: {
        code: 'LASTTWO',
        kind: 'amount_off',
        amountOff: { USD: 1000 },
        duration: 'once',
        maxRedemptions: 2,
      },
    });
    expect(created.statusCode).toBe(201);
    const traders = [1, 2, 3, 4, 5].map((n) => ({
      sub: `user_last_two_${n}`,
      email: `last${n}@example.com`,
    }));
    const opened = await Promise.all(traders.map((trader) => openCheckout(trader, 'LASTTWO')));
    const accepted = opened.filter((response) => response.statusCode === 201);
    expect(accepted).toHaveLength(2);
    for (const refused of opened.filter((response) => response.statusCode !== 201)) {
      expect(refused.statusCode).toBe(422);
      expect(refused.json().error.details).toEqual([
        { field: 'couponCode', message: 'redemption_limit_reached' },
      ]);
    }
    for (const response of accepted) await payWithCard(t, response.json().id, '4242424242424242');
    await t.fake.flushWebhooks();
    for (const response of accepted) await chargeOf(t, response.json().id);
    const [coupon] = await t.dataSource.query(
      'SELECT redemption_count FROM billing.coupons WHERE code = $1',
      ['LASTTWO'],
    );
    expect(coupon.redemption_count).toBe(2);
  });

  it('an expired checkout session releases its reservation: the coupon can be used again', async () => {
    const trader = { sub: 'user_expired_session', email: 'expired@example.com' };
    const first = await openCheckout(trader, 'WELCOME20');
    expect(first.statusCode).toBe(201);
    expect((await openCheckout(trader, 'WELCOME20')).statusCode).toBe(422);

    const processor = t.app.get<PaymentProcessor>(PAYMENT_PROCESSOR);
    await processor.expireCheckoutSession(await stripeSessionIdOf(t, first.json().id), 'expire-test-1');
    await t.fake.flushWebhooks();
    await eventually(async () => {
      const [row] = await t.dataSource.query(
        'SELECT status FROM billing.coupon_reservations WHERE checkout_session_id = $1',
        [first.json().id],
      );
      return row?.status === 'released';
    });

    const again = await openCheckout(trader, 'WELCOME20');
    expect(again.statusCode).toBe(201);
    await payWithCard(t, again.json().id, '4242424242424242');
    await t.fake.flushWebhooks();
    await chargeOf(t, again.json().id);
    expect(await discountedCharges(trader.sub)).toHaveLength(1);
    expect(await redemptionsOf('WELCOME20', trader.sub)).toBe(1);
  });

  it('a cancelled checkout session releases its reservation; a paid one cannot be cancelled', async () => {
    const trader = { sub: 'user_cancelled_session', email: 'cancelled@example.com' };
    const cancel = (id: string, who: { sub: string } = trader) =>
      t.inject({ method: 'POST', url: `/v1/billing/checkout-sessions/${id}/cancel`, headers: t.as(who) });
    const first = await openCheckout(trader, 'WELCOME20');
    expect(first.statusCode).toBe(201);
    expect((await openCheckout(trader, 'WELCOME20')).statusCode).toBe(422);

    // Someone else's session is not theirs to cancel: nothing changes.
    const foreign = await cancel(first.json().id, { sub: 'user_someone_else' });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('NOT_FOUND');

    const cancelled = await cancel(first.json().id);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().status).toBe('expired');
    expect((await cancel(first.json().id)).json().status).toBe('expired');
    // The page is closed at Stripe: it can no longer be paid.
    const stripeSession = t.fake.state.checkoutSessions
      .all()
      .find((session) => session.client_reference_id === first.json().id);
    expect(stripeSession?.status).toBe('expired');

    const again = await openCheckout(trader, 'WELCOME20');
    expect(again.statusCode).toBe(201);
    await payWithCard(t, again.json().id, '4242424242424242');
    await t.fake.flushWebhooks();
    await chargeOf(t, again.json().id);
    const paid = await cancel(again.json().id);
    expect(paid.statusCode).toBe(409);
    expect(paid.json().error.code).toBe('CHECKOUT_COMPLETED');
    expect(await discountedCharges(trader.sub)).toHaveLength(1);
    const audits = await t.dataSource.query(
      `SELECT action FROM platform.audit_log WHERE resource_id = $1 AND action = 'checkout_session.cancelled'`,
      [first.json().id],
    );
    expect(audits).toHaveLength(1);
  });

  it('leak: a redemption refused at payment (staff lowered the limit) does not keep the discount: the payment is refunded, audited and announced', async () => {
    const created = await t.inject({
      method: 'POST',
      url: '/v1/admin/coupons',
      headers: t.as(ADMIN),
      payload: {
        code: 'TWOONLY',
        kind: 'percent_off',
        percentOff: '10',
        duration: 'once',
        maxRedemptions: 2,
      },
    });
    expect(created.statusCode).toBe(201);
    const coupon = created.json();
    const alice = { sub: 'user_alice_two', email: 'alice@example.com' };
    const bob = { sub: 'user_bob_two', email: 'bob@example.com' };
    const aliceSession = await openCheckout(alice, 'TWOONLY');
    const bobSession = await openCheckout(bob, 'TWOONLY');
    expect([aliceSession.statusCode, bobSession.statusCode]).toEqual([201, 201]);

    // Staff lower the limit while both sessions are open.
    const lowered = await t.inject({
      method: 'PATCH',
      url: `/v1/admin/coupons/${coupon.id}`,
      headers: t.as(ADMIN),
      payload: { maxRedemptions: 1 },
    });
    expect(lowered.statusCode).toBe(200);

    await payWithCard(t, aliceSession.json().id, '4242424242424242');
    await t.fake.flushWebhooks();
    await chargeOf(t, aliceSession.json().id);
    await payWithCard(t, bobSession.json().id, '4242424242424242');
    await t.fake.flushWebhooks();
    const bobCharge = await chargeOf(t, bobSession.json().id);

    // Bob's discounted payment is refunded in full, not kept at the discount.
    const refunded = await eventually(async () => {
      await t.fake.flushWebhooks();
      const [row] = await t.dataSource.query(
        `SELECT status, amount FROM billing.refunds WHERE charge_id = $1 AND status = 'succeeded'`,
        [bobCharge.id],
      );
      return row as { status: string; amount: string } | undefined;
    }, 15_000);
    expect(Number(refunded.amount)).toBe(Number(bobCharge.amount));
    const [coupons] = await t.dataSource.query('SELECT redemption_count FROM billing.coupons WHERE id = $1', [
      coupon.id,
    ]);
    expect(coupons.redemption_count).toBe(1);

    // Nothing is provisioned for Bob; the refusal is announced and audited instead.
    const completed = await t.outbox('billing.payment.completed');
    expect(completed.filter((event) => event.subject === bobCharge.id)).toHaveLength(0);
    // Announced after the refund is made, which may settle before the announcement commits.
    const refused = await eventually(async () => {
      const events = await t.outbox('billing.payment.coupon_refused');
      return events.length > 0 && events;
    });
    expect(refused.filter((event) => event.subject === bobCharge.id)).toHaveLength(1);
    expect(refused[0].envelope.data).toMatchObject({
      chargeId: bobCharge.id,
      couponCode: 'TWOONLY',
      reason: 'redemption_limit_reached',
      outcome: 'refund_payment',
    });
    const audits = await t.dataSource.query(
      `SELECT action FROM platform.audit_log WHERE resource_id = $1 AND action = 'charge.coupon_refused_refunded'`,
      [bobCharge.id],
    );
    expect(audits).toHaveLength(1);
    const { checked, violations } = await outboxSchemaViolations(t);
    expect(checked.has('billing.payment.coupon_refused')).toBe(true);
    expect(violations).toEqual([]);
  });

  it('books check reports a discounted charge without a redemption and redemptions above the limit', async () => {
    const trader = { sub: 'user_books_probe', email: 'probe@example.com' };
    const opened = await openCheckout(trader, 'WELCOME20');
    await payWithCard(t, opened.json().id, '4242424242424242');
    await t.fake.flushWebhooks();
    const charge = await chargeOf(t, opened.json().id);
    // Corrupt the books as a past defect would have: the redemption disappears, then the limit drops.
    await t.dataSource.query('DELETE FROM billing.coupon_redemptions WHERE charge_id = $1', [charge.id]);
    const kinds = (await checkBooks(t.app)).findings.map((finding) => finding.kind);
    expect(kinds).toContain('discount_without_redemption');
    await t.dataSource.query(
      `INSERT INTO billing.coupon_redemptions (id, coupon_id, customer_id, charge_id, subscription_id, discount_amount, currency, redeemed_at)
       SELECT 'red_probe', coupon_id, customer_id, id, NULL, discount_amount, currency, paid_at FROM billing.charges WHERE id = $1`,
      [charge.id],
    );
    await t.dataSource.query(
      `INSERT INTO billing.coupon_redemptions (id, coupon_id, customer_id, charge_id, subscription_id, discount_amount, currency, redeemed_at)
       SELECT 'red_probe_2', coupon_id, customer_id, 'chg_phantom', NULL, discount_amount, currency, paid_at FROM billing.charges WHERE id = $1`,
      [charge.id],
    );
    const after = (await checkBooks(t.app)).findings.map((finding) => finding.kind);
    expect(after).not.toContain('discount_without_redemption');
    expect(after).toContain('coupon_over_limit');
    await t.dataSource.query(`DELETE FROM billing.coupon_redemptions WHERE id = 'red_probe_2'`);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

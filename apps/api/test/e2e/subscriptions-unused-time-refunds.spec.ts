import { productBySlug } from '../support/billing';
import { startSubscriptionTestApp, SubscriptionTestApp } from '../support/subscriptions';
import { eventually } from '../support/test-app';
import { expectBooksClean } from '../support/books';

const SUPPORT = { sub: 'staff_unused_time_refunds', roles: ['support', 'finance'] };

describe('unused paid time is net of refunds and credit notes (e2e, fake Stripe, controllable clock)', () => {
  let t: SubscriptionTestApp;
  let pro: string;
  let elite: string;

  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-04-01T00:00:00Z');
    pro = (await productBySlug(t, 'pro-monthly')).id;
    elite = (await productBySlug(t, 'elite-monthly')).id;
  });
  afterAll(() => t.close());

  /** A paid monthly Pro subscription (49.00) from 1 April, a 30-day period; returns it and its charge. */
  async function paidSubscription(
    user: string,
  ): Promise<{ id: string; invoiceId: string; chargeId: string }> {
    t.setNow('2026-04-01T00:00:00Z');
    await t.addCard(user);
    const created = await t.subscribe(user, { productId: pro, currency: 'USD', trialDays: 0 });
    expect(created.statusCode).toBe(201);
    const [invoice] = await t.paidInvoicesOf(created.json().id, 1);
    const [{ charge_id: chargeId }] = await t.dataSource.query(
      'SELECT charge_id FROM billing.invoices WHERE id = $1',
      [invoice.id],
    );
    return { id: created.json().id, invoiceId: invoice.id, chargeId };
  }

  /** A support refund through the admin route, settled at the (fake) processor. */
  async function refund(chargeId: string, amount: number | undefined, key: string): Promise<void> {
    const response = await t.inject({
      method: 'POST',
      url: `/v1/admin/charges/${chargeId}/refunds`,
      headers: { ...t.as(SUPPORT), 'idempotency-key': key },
      payload: { ...(amount === undefined ? {} : { amount }), reason: 'requested_by_customer: goodwill' },
    });
    expect(response.statusCode).toBe(201);
    await eventually(async () => {
      const [row] = await t.dataSource.query('SELECT status FROM billing.refunds WHERE id = $1', [
        response.json().id,
      ]);
      return row?.status === 'succeeded';
    });
  }

  const cancelNow = (user: string, id: string) =>
    t.inject({
      method: 'POST',
      url: `/v1/billing/subscriptions/${id}/cancel`,
      headers: t.trader(user),
      payload: { atPeriodEnd: false, prorate: true },
    });
  const cancellationCreditsOf = (id: string): Promise<Array<{ kind: string; amount: string }>> =>
    t.dataSource.query(
      `SELECT b.kind, b.amount FROM billing.customer_balance_transactions b
         JOIN billing.subscriptions s ON s.customer_id = b.customer_id
        WHERE s.id = $1 ORDER BY b.id`,
      [id],
    );
  const linesOf = (invoiceId: string): Promise<Array<{ kind: string; amount: string }>> =>
    t.dataSource.query(
      'SELECT kind, amount FROM billing.invoice_lines WHERE invoice_id = $1 ORDER BY position',
      [invoiceId],
    );

  it('proration credits time that was refunded: a prorated cancel after a full refund credits nothing', async () => {
    const user = 'user_unused_full_refund';
    const { id, chargeId } = await paidSubscription(user);
    await refund(chargeId, undefined, 'unused-time-full-refund');
    t.setNow('2026-04-16T00:00:00Z');
    const canceled = await cancelNow(user, id);
    expect(canceled.statusCode).toBe(200);
    expect(canceled.json()).toMatchObject({ status: 'canceled' });
    // The 49.00 went back to the card: the unused half of it is not given again as balance.
    expect(await cancellationCreditsOf(id)).toEqual([]);
    expect(await t.invoicesOf(id)).toHaveLength(1);
  });

  it('proration credits time that was refunded: after half was refunded, half the unused time is credited', async () => {
    const user = 'user_unused_half_refund';
    const { id, chargeId } = await paidSubscription(user);
    await refund(chargeId, 2450, 'unused-time-half-refund');
    t.setNow('2026-04-16T00:00:00Z');
    expect((await cancelNow(user, id)).statusCode).toBe(200);
    // 15 of 30 days unused of the 24.50 still paid: 12.25, not 24.50.
    expect(await cancellationCreditsOf(id)).toEqual([{ kind: 'cancellation_credit', amount: '1225' }]);
    const [, credit] = await t.paidInvoicesOf(id, 2);
    expect(await linesOf(credit.id)).toEqual([{ kind: 'proration_credit', amount: '-1225' }]);
  });

  it('a staff credit note counts like a refund, and a plan change credits only what stayed paid', async () => {
    const user = 'user_unused_credit_note';
    const { id, invoiceId } = await paidSubscription(user);
    const note = await t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${invoiceId}/credit-notes`,
      headers: { ...t.as(SUPPORT), 'idempotency-key': 'unused-time-credit-note' },
      payload: { amount: 3675, reason: 'service outage: three quarters credited' },
    });
    expect(note.statusCode).toBe(201);
    t.setNow('2026-04-16T00:00:00Z');
    const change = await t.inject({
      method: 'POST',
      url: `/v1/billing/subscriptions/${id}/change-plan`,
      headers: t.trader(user),
      payload: { productId: elite },
    });
    expect(change.statusCode).toBe(200);
    const [, changeInvoice] = await t.paidInvoicesOf(id, 2);
    // 12.25 stayed paid of 49.00; half of the period left: 6.12 (rounded down), then Elite's 49.50.
    expect(await linesOf(changeInvoice.id)).toEqual([
      { kind: 'proration_credit', amount: '-612' },
      { kind: 'proration_charge', amount: '4950' },
    ]);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

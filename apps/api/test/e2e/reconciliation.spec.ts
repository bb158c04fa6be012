import { randomUUID } from 'node:crypto';
import type { ReconciliationView } from '@astrix/contracts';
import { PAYMENT_PROCESSOR } from '../../src/platform/payment-processor/payment-processor.provider';
import type { PaymentProcessor } from '@astrix/stripe-client';
import { productBySlug, purchase } from '../support/billing';
import { checkBooks, expectBooksClean } from '../support/books';
import { startSubscriptionTestApp, type SubscriptionTestApp } from '../support/subscriptions';
import { eventually } from '../support/test-app';

const FINANCE = { sub: 'staff_recon_finance', roles: ['finance'] };
const DAY_MS = 86_400_000;

/**
 * Reconciliation of a day against the fake Stripe: every kind of money movement the app makes,
 * reconciled clean; the ledger's Stripe balance equal to Stripe's; a re-run posting nothing; then
 * each injected discrepancy found and named.
 */
describe('reconciliation against Stripe', () => {
  let t: SubscriptionTestApp;
  const today = new Date().toISOString().slice(0, 10);
  beforeAll(async () => {
    t = await startSubscriptionTestApp(new Date().toISOString());
    // Funds available at once and payouts arriving the same day: a payout can be made and arrive today.
    t.fake.controls.updateBalanceSettings({ availabilityDelayDays: 0, payoutArrivalDays: 0 });
  });
  afterAll(() => t.close());

  const finance = (extra: Record<string, string> = {}) => ({ ...t.as(FINANCE), ...extra });
  const reconcile = async (): Promise<ReconciliationView> => {
    const started = await t.inject({
      method: 'POST',
      url: '/v1/admin/reconciliations',
      headers: finance({ 'idempotency-key': randomUUID() }),
      payload: { date: today },
    });
    expect(started.statusCode).toBe(202);
    const id = started.json<ReconciliationView>().id;
    return eventually(async () => {
      const view = await t.inject({
        method: 'GET',
        url: `/v1/admin/reconciliations/${id}?limit=100`,
        headers: finance(),
      });
      const body = view.json<ReconciliationView>();
      return body.status === 'completed' ? body : null;
    }, 30_000);
  };
  const balanceOf = async (account: string): Promise<number> => {
    const [row] = await t.dataSource.query(
      `SELECT COALESCE(sum(debit) - sum(credit), 0)::bigint AS balance FROM billing.journal_lines WHERE account = $1 AND currency = 'USD'`,
      [account],
    );
    return Number(row.balance);
  };
  const entries = async (): Promise<number> =>
    Number((await t.dataSource.query('SELECT count(*) AS n FROM billing.journal_entries'))[0].n);
  const refundCharge = async (chargeId: unknown, amount: number) => {
    const refund = await t.inject({
      method: 'POST',
      url: `/v1/admin/charges/${String(chargeId)}/refunds`,
      headers: finance({ 'idempotency-key': randomUUID() }),
      payload: { amount, reason: 'requested_by_customer' },
    });
    expect(refund.statusCode).toBe(201);
    await t.fake.flushWebhooks();
    return eventually(async () => {
      const [row] = await t.dataSource.query('SELECT * FROM billing.refunds WHERE id = $1', [
        refund.json().id,
      ]);
      return row?.status === 'succeeded' ? (row as Record<string, unknown>) : null;
    }, 20_000);
  };

  it('every kind of money movement of a day reconciles clean, and the ledger holds what Stripe holds', async () => {
    // Purchases, one partly refunded.
    await purchase(t, { sub: 'user_recon_a', email: 'recon.a@example.com' }, 'evaluation-25k');
    const { charge: refunded } = await purchase(
      t,
      { sub: 'user_recon_b', email: 'recon.b@example.com' },
      'evaluation-50k',
    );
    await refundCharge(refunded.id, 1000);

    // A credit note without a refund (settled outside Stripe).
    const credit = await t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${String(refunded.invoice_id)}/credit-notes`,
      headers: finance({ 'idempotency-key': randomUUID() }),
      payload: { amount: 500, reason: 'goodwill credit settled outside Stripe' },
    });
    expect(credit.statusCode).toBe(201);

    // A dispute, lost.
    const { charge: disputed } = await purchase(
      t,
      { sub: 'user_recon_c', email: 'recon.c@example.com' },
      'evaluation-25k',
      '4000000000000259',
    );
    const dispute = await eventually(async () => {
      const [row] = await t.dataSource.query('SELECT * FROM billing.disputes WHERE charge_id = $1', [
        disputed.id,
      ]);
      return row as Record<string, unknown> | undefined;
    });
    t.fake.controls.closeDispute(String(dispute.stripe_dispute_id), 'lost');
    await t.fake.flushWebhooks();
    await eventually(async () => {
      const [row] = await t.dataSource.query('SELECT status FROM billing.disputes WHERE id = $1', [
        dispute.id,
      ]);
      return row.status === 'lost';
    });

    // A subscription, renewed by card, then an invoice settled from the customer's balance.
    const subscriber = 'user_recon_sub';
    await t.addCard(subscriber);
    const productId = (await productBySlug(t, 'pro-monthly')).id;
    const start = Date.now();
    t.setNow(new Date(start).toISOString());
    const created = await t.subscribe(subscriber, { productId, currency: 'USD', trialDays: 0 });
    expect(created.statusCode).toBe(201);
    const subscription = created.json();
    await t.runBillingAt(new Date(start + 32 * DAY_MS).toISOString());
    await t.paidInvoicesOf(subscription.id, 2);
    const [customer] = await t.dataSource.query('SELECT id FROM billing.customers WHERE user_id = $1', [
      subscriber,
    ]);
    const goodwill = await t.inject({
      method: 'POST',
      url: `/v1/admin/customers/${String(customer.id)}/balance-credits`,
      headers: finance({ 'idempotency-key': randomUUID() }),
      payload: { amount: 100_000, currency: 'USD', reason: 'service credit' },
    });
    expect(goodwill.statusCode).toBe(201);
    await t.runBillingAt(new Date(start + 64 * DAY_MS).toISOString());
    const invoices = await t.paidInvoicesOf(subscription.id, 3);
    expect(invoices[2]).toMatchObject({ status: 'paid', amount_due: '0' });

    // Stripe pays the available balance out to the bank.
    await t.fake.flushWebhooks();
    const [payout] = t.fake.controls.runPayouts({ automatic: true });
    expect(payout).toBeDefined();

    const view = await reconcile();
    expect(view.exceptions.data).toEqual([]);
    expect(view).toMatchObject({ status: 'completed', date: today, clean: true });
    expect(view.counts).toMatchObject({
      unmatchedInStripe: 0,
      unmatchedInBooks: 0,
      amountMismatch: 0,
      feeMismatch: 0,
      payoutMismatch: 0,
      payouts: 1,
    });
    // 5 charges (3 purchases, 2 card-paid subscription invoices), a refund, a dispute, the payout.
    expect(view.counts?.balanceTransactions).toBe(8);
    expect(view.counts?.matched).toBe(8);

    // Balanced per currency, clearing back to zero, and the ledger's Stripe balance is Stripe's.
    const unbalanced = await t.dataSource.query(
      'SELECT currency FROM billing.journal_lines GROUP BY currency HAVING sum(debit) <> sum(credit)',
    );
    expect(unbalanced).toEqual([]);
    expect(await balanceOf('processor_clearing')).toBe(0);
    expect(await balanceOf('bank_in_transit')).toBe(0);
    expect(await balanceOf('suspense')).toBe(0);
    const [stripe] = (await t.app.get<PaymentProcessor>(PAYMENT_PROCESSOR).retrieveBalance()).filter(
      (balance) => balance.currency === 'USD',
    );
    expect({
      pending: await balanceOf('stripe_balance_pending'),
      available: await balanceOf('stripe_balance_available'),
    }).toEqual({ pending: stripe.pendingMinor, available: stripe.availableMinor });
    expect(await balanceOf('bank')).toBe(payout.amount);

    // Running the day again posts nothing and reports the same.
    const before = await entries();
    const again = await reconcile();
    expect(again.id).toBe(view.id);
    expect(again.counts).toEqual(view.counts);
    expect(await entries()).toBe(before);

    const completed = await t.outbox('billing.reconciliation.completed');
    expect(completed.at(-1)?.envelope.data).toMatchObject({
      reconciliationId: view.id,
      date: today,
      matched: 8,
      clean: true,
    });
    await expectBooksClean(t.app);
  });

  it('names each injected discrepancy: missing refund, unknown charge, fee change, payout not matching its transactions', async () => {
    // Back to today's time (the renewals moved the app's clock ahead).
    t.setNow(new Date().toISOString());
    // A refund whose balance transaction Stripe lost.
    const { charge: first } = await purchase(
      t,
      { sub: 'user_recon_d', email: 'recon.d@example.com' },
      'evaluation-25k',
    );
    const refund = await refundCharge(first.id, 2500);
    t.fake.controls.dropBalanceTransactionsOf(String(refund.stripe_refund_id));
    // A charge no row of ours explains.
    const unknown = t.fake.controls.addBalanceTransaction({ type: 'charge', amount: 7_700, currency: 'usd' });
    // A charge paid out, whose fee then changes: a fee mismatch and a payout not matching what it swept.
    const { charge: second } = await purchase(
      t,
      { sub: 'user_recon_e', email: 'recon.e@example.com' },
      'evaluation-25k',
    );
    await t.fake.flushWebhooks();
    const [payout] = t.fake.controls.runPayouts({ automatic: true });
    t.fake.controls.setChargeFee(String(second.stripe_charge_id), 999);

    const view = await reconcile();
    const byKind = Object.fromEntries(view.exceptions.data.map((row) => [row.kind, row]));
    expect(Object.keys(byKind).sort()).toEqual([
      'fee_mismatch',
      'payout_mismatch',
      'unmatched_in_books',
      'unmatched_in_stripe',
    ]);
    expect(byKind.unmatched_in_stripe).toMatchObject({
      ourSourceType: 'refund',
      ourSourceId: refund.id,
      ourAmount: 2500,
    });
    expect(byKind.unmatched_in_books).toMatchObject({ subject: unknown.id, processorAmount: 7_700 });
    expect(byKind.unmatched_in_books.message).toContain('posted to suspense');
    expect(byKind.fee_mismatch).toMatchObject({ ourSourceId: second.id, processorAmount: 999 });
    expect(byKind.payout_mismatch).toMatchObject({ subject: payout.id, processorAmount: payout.amount });
    expect(view.clean).toBe(false);
    expect(await balanceOf('suspense')).toBe(-7_700);

    // The CSV names them too.
    const csv = await t.inject({
      method: 'GET',
      url: `/v1/admin/reconciliations/${view.id}`,
      headers: finance({ accept: 'text/csv' }),
    });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toContain('unmatched_in_books');
    expect(csv.body).toContain(String(unknown.id));

    // The books check lists them as open finance tasks; resolving one closes it.
    const report = await checkBooks(t.app);
    const open = report.findings.filter((finding) => finding.kind === 'reconciliation_exception_open');
    expect(open.map((finding) => finding.subject).sort()).toEqual(
      view.exceptions.data.map((row) => row.id).sort(),
    );
    const resolved = await t.inject({
      method: 'POST',
      url: `/v1/admin/reconciliations/exceptions/${byKind.fee_mismatch.id}/resolve`,
      headers: finance(),
      payload: { resolution: 'fee confirmed with Stripe support' },
    });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json()).toMatchObject({
      status: 'resolved',
      resolution: 'fee confirmed with Stripe support',
    });
    const again = await t.inject({
      method: 'POST',
      url: `/v1/admin/reconciliations/exceptions/${byKind.fee_mismatch.id}/resolve`,
      headers: finance(),
      payload: { resolution: 'twice' },
    });
    expect(again.statusCode).toBe(409);
  });

  it('resumes a run stopped mid-day from its last committed page, posting each balance transaction once', async () => {
    const day = new Date(Date.now() - 3 * DAY_MS).toISOString().slice(0, 10);
    const seeded = t.fake.controls.seedBalanceTransactions({ count: 1_000, day, seed: 7, refundEvery: 0 });
    const processor = t.app.get<PaymentProcessor>(PAYMENT_PROCESSOR);
    const original = processor.listBalanceTransactions.bind(processor);
    const asked: Array<string | undefined> = [];
    // Pages of 100, written five to a transaction: the eighth page fails once, after five committed.
    const spy = jest.spyOn(processor, 'listBalanceTransactions').mockImplementation(async (query) => {
      asked.push(query.startingAfter);
      if (asked.length === 8) throw new Error('processor went away after 7 pages');
      return original(query);
    });
    const started = await t.inject({
      method: 'POST',
      url: '/v1/admin/reconciliations',
      headers: finance({ 'idempotency-key': randomUUID() }),
      payload: { date: day },
    });
    const { id } = started.json<ReconciliationView>();
    // The job stops, BullMQ retries it, and the retry resumes from the cursor.
    const done = await eventually(async () => {
      const view = await t.inject({
        method: 'GET',
        url: `/v1/admin/reconciliations/${id}`,
        headers: finance(),
      });
      const body = view.json<ReconciliationView>();
      return body.status === 'completed' ? body : null;
    }, 60_000);
    spy.mockRestore();
    // After the failure the walk asked for the page after the fifth again, not for the first.
    expect(asked[8]).toBe(asked[5]);
    expect(asked[8]).toBeDefined();
    expect(done.counts).toMatchObject({ balanceTransactions: 1_000, unmatchedInBooks: 1_000 });
    const [items] = await t.dataSource.query(
      'SELECT count(*)::int AS n, sum(amount)::bigint AS amount FROM billing.reconciliation_items WHERE run_id = $1',
      [id],
    );
    expect(items.n).toBe(1_000);
    expect(seeded.charges).toBe(1_000);
    // Each posted once: the suspense of these items is exactly their amounts.
    const [posted] = await t.dataSource.query(
      `SELECT COALESCE(sum(l.credit) - sum(l.debit), 0)::bigint AS suspense
         FROM billing.journal_lines l JOIN billing.journal_entries e ON e.id = l.entry_id
        WHERE l.account = 'suspense' AND e.event = 'processor.balance_transactions'
          AND e.occurred_at >= $1 AND e.occurred_at < $2`,
      [new Date(`${day}T00:00:00Z`), new Date(new Date(`${day}T00:00:00Z`).getTime() + DAY_MS)],
    );
    expect(Number(posted.suspense)).toBe(Number(items.amount));
  });
});

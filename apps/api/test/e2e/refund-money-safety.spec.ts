import { randomUUID } from 'node:crypto';
import { BillingTestApp, purchase, startBillingTestApp } from '../support/billing';
import { eventually } from '../support/test-app';
import { Clock } from '../../src/platform/clock';
import { JobQueue } from '../../src/platform/queues/job-queue.service';
import { expectBooksClean } from '../support/books';

/**
 * Issue #16, "money stranded": refunds that stay pending forever, and a credit-note cap that the
 * refund path did not know about. Real Postgres, Redis and workers; Stripe is the fake, with faults.
 */
describe('refund money safety', () => {
  let t: BillingTestApp;
  let userCounter = 0;
  const finance = { sub: 'staff_finance', roles: ['finance'] };

  beforeAll(async () => {
    t = await startBillingTestApp({
      env: { STRIPE_TIMEOUT_MS: '400', REFUND_RETRY_DELAY_MS: '200', REFUND_PENDING_BOUND_SECONDS: '3600' },
    });
  });
  afterAll(() => t.close());
  afterEach(() => {
    t.fake.controls.clearFaults();
    t.fake.controls.setWebhookEndpoint(`${t.url}/webhooks/stripe`, t.webhookSecret);
    jest.restoreAllMocks();
  });

  const newTrader = () => ({
    sub: `user_refund_safety_${(userCounter += 1)}`,
    email: `refund-safety${userCounter}@example.com`,
  });
  const asFinance = () => ({ ...t.as(finance), 'idempotency-key': randomUUID() });
  const refundCharge = (chargeId: string, payload: { amount?: number; reason: string }) =>
    t.inject({
      method: 'POST',
      url: `/v1/admin/charges/${chargeId}/refunds`,
      headers: asFinance(),
      payload,
    });
  const creditInvoice = (invoiceId: string, amount: number) =>
    t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${invoiceId}/credit-notes`,
      headers: asFinance(),
      payload: { amount, reason: 'goodwill credit settled outside Stripe' },
    });
  const refundRow = async (refundId: string) =>
    (await t.dataSource.query('SELECT * FROM billing.refunds WHERE id = $1', [refundId]))[0] as {
      status: string;
      stripe_refund_id: string | null;
    };
  const refundsAtStripe = (stripeChargeId: unknown) =>
    t.fake.state.refunds.all().filter((refund) => refund.charge === stripeChargeId);
  const creditedOn = async (invoiceId: string) =>
    Number(
      (
        await t.dataSource.query(
          'SELECT COALESCE(SUM(amount), 0)::bigint AS credited FROM billing.credit_notes WHERE invoice_id = $1',
          [invoiceId],
        )
      )[0].credited,
    );

  describe('Refund retries dead-end', () => {
    it('a refund whose processor calls keep failing, its first retry too, still settles once Stripe answers', async () => {
      const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
      // The SDK makes each call up to three times: six failures fail the request and its first retry.
      t.fake.controls.injectFault({ kind: 'server_error', path: '/v1/refunds', method: 'POST', times: 6 });

      const response = await refundCharge(String(charge.id), { reason: 'requested_by_customer: retried' });
      expect(response.statusCode).toBe(201);
      expect(response.json().status).toBe('pending');
      const refundId = response.json().id as string;

      const settled = await eventually(async () => {
        const row = await refundRow(refundId);
        return row.status === 'succeeded' ? row : null;
      }, 60_000);
      expect(settled.stripe_refund_id).toMatch(/^re_/);
      const atStripe = refundsAtStripe(charge.stripe_charge_id);
      expect(atStripe).toHaveLength(1);
      expect(atStripe[0]!.amount).toBe(Number(charge.amount));
      const [after] = await t.dataSource.query(
        'SELECT amount_refunded, status FROM billing.charges WHERE id = $1',
        [charge.id],
      );
      expect(after).toMatchObject({ amount_refunded: String(charge.amount), status: 'refunded' });
    }, 120_000);

    it('a refund left pending when Redis lost its retry is settled by the sweep, from what Stripe recorded', async () => {
      const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
      // Stripe makes the refund, but every answer is lost on its way back, and its webhooks too.
      t.fake.controls.setWebhookEndpoint(null);
      t.fake.controls.injectFault({
        kind: 'server_error',
        path: '/v1/refunds',
        method: 'POST',
        times: 3,
        phase: 'after_processing',
      });
      const response = await refundCharge(String(charge.id), {
        reason: 'requested_by_customer: lost answer',
      });
      expect(response.statusCode).toBe(201);
      const refundId = response.json().id as string;
      expect((await refundRow(refundId)).status).toBe('pending');
      expect(refundsAtStripe(charge.stripe_charge_id)).toHaveLength(1);

      // Redis loses the retry the refund scheduled (a crash right after commit has the same effect).
      const queue = t.app.get(JobQueue).queue('billing');
      for (const job of await queue.getJobs(['delayed', 'waiting', 'prioritized'])) {
        if (job?.name === 'billing.retry-refund') await job.remove();
      }

      // Past the pending bound, the sweep asks Stripe and settles it, without refunding twice.
      const later = new Date(Date.now() + 2 * 3_600_000);
      jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(later.getTime()));
      await t.app.get(JobQueue).enqueue({
        name: 'billing.settle-pending-refunds',
        payload: {},
        jobId: `sweep-${refundId}`,
      });
      const settled = await eventually(async () => {
        const row = await refundRow(refundId);
        return row.status === 'succeeded' ? row : null;
      }, 20_000);
      expect(settled.stripe_refund_id).toBe(refundsAtStripe(charge.stripe_charge_id)[0]!.id);
      expect(refundsAtStripe(charge.stripe_charge_id)).toHaveLength(1);
      const [after] = await t.dataSource.query('SELECT amount_refunded FROM billing.charges WHERE id = $1', [
        charge.id,
      ]);
      expect(Number(after.amount_refunded)).toBe(Number(charge.amount));
    }, 60_000);
  });

  describe('Credit-note cap and refund cap disagree', () => {
    it('after a credit note for the invoice total, a refund of its charge is refused before Stripe is called', async () => {
      const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
      const invoiceId = String(charge.invoice_id);
      const total = Number(charge.amount);
      expect((await creditInvoice(invoiceId, total)).statusCode).toBe(201);

      const refused = await refundCharge(String(charge.id), {
        reason: 'requested_by_customer: after credit',
      });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error.code).toBe('ALREADY_CREDITED');
      expect(refused.json().error.message).toContain('credit notes');
      expect(refundsAtStripe(charge.stripe_charge_id)).toHaveLength(0);
      const rows = await t.dataSource.query('SELECT * FROM billing.refunds WHERE charge_id = $1', [
        charge.id,
      ]);
      expect(rows).toHaveLength(0);
      expect(await creditedOn(invoiceId)).toBe(total);
    });

    it('after a partial credit note, a refund may take only what the invoice can still credit', async () => {
      const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
      const invoiceId = String(charge.invoice_id);
      const total = Number(charge.amount);
      const credited = Math.floor((total * 3) / 10);
      expect((await creditInvoice(invoiceId, credited)).statusCode).toBe(201);

      const tooMuch = await refundCharge(String(charge.id), {
        amount: total,
        reason: 'requested_by_customer',
      });
      expect(tooMuch.statusCode).toBe(422);
      expect(tooMuch.json().error).toMatchObject({
        code: 'REFUND_EXCEEDS_REMAINING',
        details: [{ field: 'amount', message: `at most ${total - credited}` }],
      });
      expect(refundsAtStripe(charge.stripe_charge_id)).toHaveLength(0);

      const rest = await refundCharge(String(charge.id), { reason: 'requested_by_customer: the rest' });
      expect(rest.statusCode).toBe(201);
      expect(rest.json()).toMatchObject({ amount: { amount: total - credited }, status: 'succeeded' });
      expect(await creditedOn(invoiceId)).toBe(total);
      expect(refundsAtStripe(charge.stripe_charge_id).map((refund) => refund.amount)).toEqual([
        total - credited,
      ]);
    });

    it('a refund racing a credit note for the whole invoice: one wins, nothing is given back twice', async () => {
      for (let round = 0; round < 3; round++) {
        const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
        const invoiceId = String(charge.invoice_id);
        const total = Number(charge.amount);
        const [refund, note] = await Promise.all([
          refundCharge(String(charge.id), { reason: 'requested_by_customer: racing a credit note' }),
          creditInvoice(invoiceId, total),
        ]);
        const statuses = [refund.statusCode, note.statusCode].sort();
        expect(statuses[0]).toBe(201);
        expect(statuses[1]).toBeGreaterThanOrEqual(409);
        expect(statuses[1]).toBeLessThan(500);
        await t.fake.flushWebhooks();
        const refundedAtStripe = refundsAtStripe(charge.stripe_charge_id).reduce(
          (sum, r) => sum + r.amount,
          0,
        );
        expect(refundedAtStripe).toBe(refund.statusCode === 201 ? total : 0);
        expect(await creditedOn(invoiceId)).toBe(total);
        if (refund.statusCode === 201) {
          expect(refund.json().status).toBe('succeeded');
        }
      }
    });

    it('two refunds racing after a partial credit note never exceed what the invoice can credit', async () => {
      const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
      const invoiceId = String(charge.invoice_id);
      const total = Number(charge.amount);
      const credited = Math.floor((total * 4) / 10);
      expect((await creditInvoice(invoiceId, credited)).statusCode).toBe(201);
      const share = Math.floor((total * 4) / 10);
      const responses = await Promise.all(
        [1, 2].map(() =>
          refundCharge(String(charge.id), { amount: share, reason: 'requested_by_customer: racing' }),
        ),
      );
      expect(responses.map((response) => response.statusCode).sort()).toEqual([201, 422]);
      await t.fake.flushWebhooks();
      expect(refundsAtStripe(charge.stripe_charge_id).map((refund) => refund.amount)).toEqual([share]);
      expect(await creditedOn(invoiceId)).toBe(credited + share);
    });
  });

  describe('Refund of a charge Stripe has already charged back', () => {
    // Found by the chaos harness: the dispute was lost at Stripe before its webhooks reached us, so
    // our charge still looked refundable, Stripe refused the refund and the caller got 502.
    it('answers 409 CHARGE_DISPUTED naming the charge, records the refund failed and pays nothing back', async () => {
      const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
      const stripeChargeId = charge.stripe_charge_id as string;
      t.fake.controls.setWebhookEndpoint(null);
      const dispute = t.fake.controls.openDispute(stripeChargeId);
      t.fake.controls.closeDispute(dispute.id, 'lost');

      const refused = await refundCharge(charge.id as string, { reason: 'requested_by_customer' });

      expect(refused.statusCode).toBe(409);
      expect(refused.json().error.code).toBe('CHARGE_DISPUTED');
      expect(refused.json().error.message).toBe(
        `charge ${charge.id as string} has been charged back at the payment processor (a dispute we have not heard of yet); refunding it would pay the amount back twice`,
      );
      const rows: Array<{ status: string }> = await t.dataSource.query(
        'SELECT status FROM billing.refunds WHERE charge_id = $1',
        [charge.id],
      );
      expect(rows.map((row) => row.status)).toEqual(['failed']);
      expect(refundsAtStripe(stripeChargeId)).toHaveLength(0);
    });
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

import { randomUUID } from 'node:crypto';
import { BillingTestApp, purchase, startBillingTestApp } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { eventually } from '../support/test-app';
import { RefundsService } from '../../src/modules/billing/refunds/refunds.service';
import { LedgerChecks } from '../../src/modules/billing/ledger/ledger-checks.service';
import { MONEY_OUT_SOURCE_RULES } from '../../src/modules/billing/ledger/money-out-sources';
import type { PaymentProcessor } from '@astrix/stripe-client';
import { PAYMENT_PROCESSOR } from '../../src/platform/payment-processor/payment-processor.provider';

/**
 * Issue #19, the money going back: refunds settled (and failed after settling) and disputes opened,
 * won and lost post their journal entries once each, in the transaction of the change, whatever
 * order and however many times Stripe's webhooks arrive. Real Postgres, Redis, workers, fake Stripe.
 */
describe('ledger: refunds and disputes', () => {
  let t: BillingTestApp;
  let userCounter = 0;
  const finance = { sub: 'staff_finance', roles: ['finance'] };

  beforeAll(async () => {
    t = await startBillingTestApp({
      // No retry job may settle a refund behind a test's back: the tests settle them by webhook.
      env: { STRIPE_TIMEOUT_MS: '400', REFUND_RETRY_DELAY_MS: '3600000' },
    });
  });
  afterAll(() => t.close());
  afterEach(() => {
    t.fake.controls.clearFaults();
    t.fake.controls.setWebhookEndpoint(`${t.url}/webhooks/stripe`, t.webhookSecret);
  });

  const newTrader = () => ({
    sub: `user_ledger_out_${(userCounter += 1)}`,
    email: `ledger-out${userCounter}@example.com`,
  });
  const refundCharge = (chargeId: string, payload: { amount?: number; reason: string }) =>
    t.inject({
      method: 'POST',
      url: `/v1/admin/charges/${chargeId}/refunds`,
      headers: { ...t.as(finance), 'idempotency-key': randomUUID() },
      payload,
    });
  const refundRow = async (refundId: string) =>
    (await t.dataSource.query('SELECT * FROM billing.refunds WHERE id = $1', [refundId]))[0] as Record<
      string,
      unknown
    >;
  const refundSettled = (refundId: string) =>
    eventually(async () => {
      const row = await refundRow(refundId);
      return row.status === 'succeeded' ? row : null;
    }, 20_000);

  /** The entries of a source, oldest first, with their lines as [account, debit, credit]. */
  const entriesOf = async (sourceId: string) => {
    const rows: Array<{
      id: string;
      event: string;
      customer_id: string | null;
      reverses_entry_id: string | null;
      lines: Array<[string, number, number]>;
    }> = await t.dataSource.query(
      `SELECT e.id, e.event, e.customer_id, e.reverses_entry_id,
              json_agg(json_build_array(l.account, l.debit, l.credit) ORDER BY l.id) AS lines
         FROM billing.journal_entries e JOIN billing.journal_lines l ON l.entry_id = e.id
        WHERE e.source_id = $1 GROUP BY e.id ORDER BY e.posted_at, e.id`,
      [sourceId],
    );
    return rows.map((row) => ({ ...row, lines: row.lines.map(([a, d, c]) => [a, Number(d), Number(c)]) }));
  };
  /** A customer's balance per account across all its journal lines (debit positive). */
  const customerBalances = async (customerId: unknown) => {
    const rows: Array<{ account: string; net: string }> = await t.dataSource.query(
      `SELECT account, (SUM(debit) - SUM(credit))::text AS net FROM billing.journal_lines
        WHERE customer_id = $1 GROUP BY account`,
      [customerId],
    );
    return Object.fromEntries(rows.map((row) => [row.account, Number(row.net)]));
  };
  const unbalancedEntries = async () =>
    t.dataSource.query(
      `SELECT entry_id, currency FROM billing.journal_lines GROUP BY entry_id, currency HAVING SUM(debit) <> SUM(credit)`,
    );
  const processed = (eventIds: string[]) =>
    eventually(async () => {
      const [row] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM billing.stripe_webhook_events WHERE id = ANY($1) AND status IN ('processed', 'ignored')`,
        [eventIds],
      );
      return row.n === eventIds.length;
    }, 20_000);
  const sentEvent = (type: string, matches: (object: Record<string, unknown>) => boolean) =>
    t.fake.controls
      .sentEvents()
      .filter(
        (event) => event.type === type && matches(event.data.object as unknown as Record<string, unknown>),
      )
      .at(-1)!;
  type SentEvent = ReturnType<BillingTestApp['fake']['controls']['sentEvents']>[number];
  const copyOf = (event: SentEvent, id: string, type: string, object: Record<string, unknown>) =>
    JSON.stringify({ ...event, id, type, data: { object: { ...event.data.object, ...object } } });

  describe('refunds', () => {
    it('a settled refund posts refund.settled once; with the sale and its credit note the net is revenue − refunds', async () => {
      const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
      const amount = Number(charge.amount);
      const response = await refundCharge(String(charge.id), {
        amount: 1000,
        reason: 'requested_by_customer',
      });
      expect(response.statusCode).toBe(201);
      const refund = await refundSettled(response.json().id as string);

      expect(await entriesOf(String(refund.id))).toEqual([
        expect.objectContaining({
          event: 'refund.settled',
          customer_id: charge.customer_id,
          lines: [
            ['accounts_receivable', 1000, 0],
            ['processor_clearing', 0, 1000],
          ],
        }),
      ]);
      // Sale (receivable and deferred revenue: an evaluation is earned over its expected duration),
      // payment (receivable into clearing), credit note (refunds against receivable; nothing earned
      // yet, so it comes off deferred revenue), refund (receivable back out of clearing).
      expect(await customerBalances(charge.customer_id)).toEqual({
        accounts_receivable: 0,
        deferred_revenue: -(amount - 1000),
        refunds: 0,
        processor_clearing: amount - 1000,
      });
      expect(await unbalancedEntries()).toEqual([]);
    });

    it('racing duplicate webhooks of one refund settle it and post its entry once', async () => {
      const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
      // Stripe makes the refund but its answer and its webhook are lost: the refund stays pending.
      t.fake.controls.setWebhookEndpoint(null);
      t.fake.controls.injectFault({
        kind: 'server_error',
        path: '/v1/refunds',
        method: 'POST',
        phase: 'after_processing',
        times: 3,
      });
      const response = await refundCharge(String(charge.id), { reason: 'requested_by_customer: raced' });
      expect(response.statusCode).toBe(201);
      const refundId = response.json().id as string;
      expect((await refundRow(refundId)).status).toBe('pending');
      t.fake.controls.clearFaults();
      t.fake.controls.setWebhookEndpoint(`${t.url}/webhooks/stripe`, t.webhookSecret);

      const created = sentEvent(
        'refund.created',
        (object) => (object.metadata as Record<string, string>).refundId === refundId,
      );
      const bodies = [
        copyOf(created, `${created.id}_a`, 'refund.created', {}),
        copyOf(created, `${created.id}_b`, 'refund.updated', {}),
      ];
      const deliveries = await Promise.all(bodies.map((body) => t.deliver(body)));
      expect(deliveries.map((delivery) => delivery.status)).toEqual([200, 200]);
      await processed([`${created.id}_a`, `${created.id}_b`]);
      await refundSettled(refundId);

      expect((await entriesOf(refundId)).map((entry) => entry.event)).toEqual(['refund.settled']);
      const [notes] = await t.dataSource.query(
        'SELECT count(*)::int AS n FROM billing.credit_notes WHERE refund_id = $1',
        [refundId],
      );
      expect(notes.n).toBe(1);
    });

    it('two settlements of one refund racing in the database post its entry once', async () => {
      const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
      t.fake.controls.setWebhookEndpoint(null);
      t.fake.controls.injectFault({
        kind: 'server_error',
        path: '/v1/refunds',
        method: 'POST',
        phase: 'after_processing',
        times: 3,
      });
      const refundId = (
        await refundCharge(String(charge.id), { reason: 'requested_by_customer: db race' })
      ).json().id as string;
      t.fake.controls.clearFaults();
      const atStripe = t.fake.state.refunds.all().find((refund) => refund.metadata?.refundId === refundId)!;
      const processorRefund = await t.app.get<PaymentProcessor>(PAYMENT_PROCESSOR).getRefund(atStripe.id);
      const refunds = t.app.get(RefundsService);
      await Promise.all([
        refunds.applyProcessorRefund(processorRefund),
        refunds.applyProcessorRefund(processorRefund),
      ]);
      await refundSettled(refundId);
      expect((await entriesOf(refundId)).map((entry) => entry.event)).toEqual(['refund.settled']);
      const [after] = await t.dataSource.query('SELECT amount_refunded FROM billing.charges WHERE id = $1', [
        charge.id,
      ]);
      expect(Number(after.amount_refunded)).toBe(Number(charge.amount));
    });

    it('the refund of a duplicate payment (no credit note) takes the overpayment out of the receivable', async () => {
      const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
      const amount = Number(charge.amount);
      const [customer] = await t.dataSource.query(
        'SELECT stripe_customer_id FROM billing.customers WHERE id = $1',
        [charge.customer_id],
      );
      // The paid receipt is paid a second time at Stripe (e.g. a stale payment link).
      await t.app.get<PaymentProcessor>(PAYMENT_PROCESSOR).createPaymentIntent(
        {
          amountMinor: amount,
          currency: 'USD',
          customerId: customer.stripe_customer_id,
          paymentMethodId: 'pm_card_visa',
          confirm: true,
          offSession: true,
          metadata: { invoiceId: String(charge.invoice_id) },
        },
        `duplicate-${String(charge.id)}`,
      );
      await t.fake.flushWebhooks();
      const duplicate = await eventually(async () => {
        const [row] = await t.dataSource.query(
          `SELECT c.id, r.id AS refund_id, r.status, r.credit_note_id FROM billing.charges c
             JOIN billing.refunds r ON r.charge_id = c.id
            WHERE c.invoice_id = $1 AND c.id <> $2`,
          [charge.invoice_id, charge.id],
        );
        return row?.status === 'succeeded' ? (row as Record<string, string | null>) : undefined;
      }, 20_000);
      expect(duplicate.credit_note_id).toBeNull();
      expect(
        (await entriesOf(String(duplicate.refund_id))).map((entry) => [entry.event, entry.lines]),
      ).toEqual([
        [
          'refund.settled',
          [
            ['accounts_receivable', amount, 0],
            ['processor_clearing', 0, amount],
          ],
        ],
      ]);
      // The sale was paid once: deferred as sold (not yet earned), nothing in refunds, receivable and
      // clearing as after one payment.
      expect(await customerBalances(charge.customer_id)).toEqual({
        accounts_receivable: 0,
        deferred_revenue: -amount,
        processor_clearing: amount,
      });
    });

    it('a refund Stripe fails after it settled is reversed: failed, charge total back, refund.reversed naming refund.settled', async () => {
      const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
      const refundId = (
        await refundCharge(String(charge.id), { amount: 2000, reason: 'requested_by_customer' })
      ).json().id as string;
      await refundSettled(refundId);
      await t.fake.flushWebhooks();

      // Stripe: the card account was closed; the money comes back to our balance.
      // The fake has no control for this, so the test edits its records as Stripe would.
      const atStripe = t.fake.state.refunds.all().find((refund) => refund.metadata?.refundId === refundId)!;
      const writable = <T>(collection: unknown) => collection as { save(item: T): T };
      writable<typeof atStripe>(t.fake.state.refunds).save({
        ...atStripe,
        status: 'failed',
        failure_reason: 'expired_or_canceled_card',
      });
      const stripeCharge = t.fake.state.charges.all().find((item) => item.id === charge.stripe_charge_id)!;
      writable<typeof stripeCharge>(t.fake.state.charges).save({
        ...stripeCharge,
        amount_refunded: stripeCharge.amount_refunded - 2000,
        refunded: false,
      });
      const created = sentEvent('refund.created', (object) => object.id === atStripe.id);
      const failed = copyOf(created, `${created.id}_failed`, 'refund.failed', {
        status: 'failed',
        failure_reason: 'expired_or_canceled_card',
      });
      // Delivered twice: the second changes nothing.
      await Promise.all([t.deliver(failed), t.deliver(failed)]);
      await processed([`${created.id}_failed`]);

      const row = await refundRow(refundId);
      expect(row).toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card' });
      expect(row.reversed_at).not.toBeNull();
      const [after] = await t.dataSource.query(
        'SELECT amount_refunded, status FROM billing.charges WHERE id = $1',
        [charge.id],
      );
      expect(after).toEqual({ amount_refunded: '0', status: 'succeeded' });
      const entries = await entriesOf(refundId);
      expect(entries.map((entry) => entry.event)).toEqual(['refund.settled', 'refund.reversed']);
      expect(entries[1]).toMatchObject({
        reverses_entry_id: entries[0]!.id,
        lines: [
          ['accounts_receivable', 0, 2000],
          ['processor_clearing', 2000, 0],
        ],
      });
      // The credit note stands: the customer is owed the 2000 again (a credit in their receivable).
      expect((await customerBalances(charge.customer_id)).accounts_receivable).toBe(-2000);

      // A late "succeeded" for the failed refund does not settle it again.
      await t.deliver(copyOf(created, `${created.id}_late`, 'refund.updated', {}));
      await processed([`${created.id}_late`]);
      expect((await refundRow(refundId)).status).toBe('failed');
      expect(await entriesOf(refundId)).toHaveLength(2);
    });
  });

  describe('disputes', () => {
    const disputeRow = (chargeId: unknown, status?: string) =>
      eventually(async () => {
        const [row] = await t.dataSource.query('SELECT * FROM billing.disputes WHERE charge_id = $1', [
          chargeId,
        ]);
        return row && (!status || row.status === status) ? (row as Record<string, unknown>) : undefined;
      }, 20_000);

    it('opened → lost: the amount held with the fee, then lost', async () => {
      const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
      const amount = Number(charge.amount);
      const opened = t.fake.controls.openDispute(String(charge.stripe_charge_id));
      await t.fake.flushWebhooks();
      const dispute = await disputeRow(charge.id);
      const fee = Number(dispute.fee_amount);
      expect(fee).toBeGreaterThan(0);
      expect(await entriesOf(String(dispute.id))).toEqual([
        expect.objectContaining({
          event: 'dispute.opened',
          customer_id: charge.customer_id,
          lines: [
            ['dispute_held', amount, 0],
            ['dispute_fees', fee, 0],
            ['processor_clearing', 0, amount],
            ['processor_clearing', 0, fee],
          ],
        }),
      ]);
      t.fake.controls.closeDispute(opened.id, 'lost');
      await t.fake.flushWebhooks();
      await disputeRow(charge.id, 'lost');
      const entries = await entriesOf(String(dispute.id));
      expect(entries.map((entry) => [entry.event, entry.lines])).toEqual([
        ['dispute.opened', expect.any(Array)],
        [
          'dispute.lost',
          [
            ['dispute_losses', amount, 0],
            ['dispute_held', 0, amount],
          ],
        ],
      ]);
      expect((await customerBalances(charge.customer_id)).dispute_held).toBe(0);
    });

    it('opened → won: the held amount comes back to clearing, the fee stays an expense', async () => {
      const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
      const amount = Number(charge.amount);
      const opened = t.fake.controls.openDispute(String(charge.stripe_charge_id));
      await t.fake.flushWebhooks();
      const dispute = await disputeRow(charge.id);
      t.fake.controls.closeDispute(opened.id, 'won');
      await t.fake.flushWebhooks();
      await disputeRow(charge.id, 'won');
      const entries = await entriesOf(String(dispute.id));
      expect(entries.map((entry) => entry.event)).toEqual(['dispute.opened', 'dispute.won']);
      expect(entries[1]!.lines).toEqual([
        ['processor_clearing', amount, 0],
        ['dispute_held', 0, amount],
      ]);
      const balances = await customerBalances(charge.customer_id);
      expect(balances).toMatchObject({ dispute_held: 0, dispute_fees: Number(dispute.fee_amount) });
    });

    it('updates arriving twice and out of order (closed first) post opened and lost once each', async () => {
      const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
      t.fake.controls.setWebhookEndpoint(null);
      const opened = t.fake.controls.openDispute(String(charge.stripe_charge_id));
      t.fake.controls.closeDispute(opened.id, 'lost');
      const isOurs = (object: Record<string, unknown>) => object.id === opened.id;
      const created = sentEvent('charge.dispute.created', isOurs);
      const closed = sentEvent('charge.dispute.closed', isOurs);
      const updated = copyOf(created, `${created.id}_updated`, 'charge.dispute.updated', {
        status: 'under_review',
      });
      t.fake.controls.setWebhookEndpoint(`${t.url}/webhooks/stripe`, t.webhookSecret);

      // The close first (twice at once), then the opening and a stale update, the close again.
      await Promise.all([
        t.deliver(JSON.stringify(closed)),
        t.deliver(copyOf(closed, `${closed.id}_dup`, closed.type, {})),
      ]);
      await processed([closed.id, `${closed.id}_dup`]);
      await Promise.all([t.deliver(JSON.stringify(created)), t.deliver(updated)]);
      await processed([created.id, `${created.id}_updated`]);

      const dispute = await disputeRow(charge.id, 'lost');
      const entries = await entriesOf(String(dispute.id));
      expect(entries.map((entry) => entry.event)).toEqual(['dispute.opened', 'dispute.lost']);
      expect((await customerBalances(charge.customer_id)).dispute_losses).toBe(Number(charge.amount));
      expect(await unbalancedEntries()).toEqual([]);
    });
  });

  describe('inquiries', () => {
    it('an inquiry posts nothing, closed or open; one that escalates posts as a dispute, once', async () => {
      const quiet = await purchase(t, newTrader(), 'evaluation-25k');
      const escalated = await purchase(t, newTrader(), 'evaluation-25k');
      t.fake.controls.setWebhookEndpoint(null);
      const events = [quiet, escalated].map(({ charge }) => {
        const opened = t.fake.controls.openDispute(String(charge.stripe_charge_id));
        return sentEvent('charge.dispute.created', (object) => object.id === opened.id);
      });
      // The fake's own (escalated) events stay undelivered during the test: only ours arrive. Both
      // disputes are closed by the end, so a late delivery of those changes nothing.
      const deliver = async (event: SentEvent, suffix: string, type: string, status: string) => {
        await t.deliver(copyOf(event, `${event.id}_${suffix}`, type, { status }));
        await processed([`${event.id}_${suffix}`]);
      };
      const [quietEvent, escalatedEvent] = events as [SentEvent, SentEvent];
      const rowOf = async (chargeId: unknown) =>
        (
          await t.dataSource.query('SELECT * FROM billing.disputes WHERE charge_id = $1', [chargeId])
        )[0] as Record<string, unknown>;

      // Asked, then closed in our favour: Stripe never took the money, nothing posts.
      await deliver(quietEvent, 'inquiry', 'charge.dispute.created', 'warning_needs_response');
      await deliver(quietEvent, 'inquiry_closed', 'charge.dispute.closed', 'warning_closed');
      const quietRow = await rowOf(quiet.charge.id);
      expect(quietRow).toMatchObject({ inquiry: true, status: 'won' });
      expect(await entriesOf(String(quietRow.id))).toEqual([]);

      // Asked, escalated to a chargeback (funds withdrawn), a stale inquiry update, then lost.
      await deliver(escalatedEvent, 'inquiry', 'charge.dispute.created', 'warning_needs_response');
      const asked = await rowOf(escalated.charge.id);
      expect(await entriesOf(String(asked.id))).toEqual([]);
      await deliver(escalatedEvent, 'escalated', 'charge.dispute.updated', 'needs_response');
      await deliver(escalatedEvent, 'stale', 'charge.dispute.updated', 'warning_under_review');
      expect(await rowOf(escalated.charge.id)).toMatchObject({ inquiry: false });
      await deliver(escalatedEvent, 'lost', 'charge.dispute.closed', 'lost');
      expect((await entriesOf(String(asked.id))).map((entry) => entry.event)).toEqual([
        'dispute.opened',
        'dispute.lost',
      ]);
    });
  });

  it('the books check names a settled refund and a lost dispute without their entries', async () => {
    const { charge } = await purchase(t, newTrader(), 'evaluation-25k');
    const at = new Date('2026-11-01T00:00:00Z');
    await t.dataSource.query(
      `INSERT INTO billing.refunds (id, charge_id, amount, currency, reason, status, requested_by, created_at, processed_at)
       VALUES ('ref_unposted', $1, 500, 'USD', 'seeded without its entry', 'succeeded', 'test', $2, $2)`,
      [charge.id, at],
    );
    await t.dataSource.query(
      `INSERT INTO billing.disputes (id, charge_id, stripe_dispute_id, amount, currency, reason, status, fee_amount, lost_amount, created_at, updated_at, closed_at)
       VALUES ('dsp_unposted', $1, 'dp_unposted', 700, 'USD', 'fraudulent', 'lost', 1500, 700, $2, $2, $2)`,
      [charge.id, at],
    );
    try {
      const findings = await t.app.get(LedgerChecks).findings(MONEY_OUT_SOURCE_RULES);
      expect(findings.map((finding) => [finding.kind, finding.subject]).sort()).toEqual([
        ['money_row_without_entry', 'dsp_unposted'],
        ['money_row_without_entry', 'dsp_unposted'],
        ['money_row_without_entry', 'ref_unposted'],
      ]);
    } finally {
      await t.dataSource.query(`DELETE FROM billing.refunds WHERE id = 'ref_unposted'`);
      await t.dataSource.query(`DELETE FROM billing.disputes WHERE id = 'dsp_unposted'`);
    }
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

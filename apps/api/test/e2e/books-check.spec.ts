import type { PaymentProcessor } from '@astrix/stripe-client';
import { PAYMENT_PROCESSOR } from '../../src/platform/payment-processor/payment-processor.provider';
import { BillingTestApp, purchase, startBillingTestApp } from '../support/billing';
import { checkBooks, expectBooksClean } from '../support/books';

const HOUR = 3_600_000;

describe('books check: finds each kind of finding, against real Postgres and the fake Stripe', () => {
  let t: BillingTestApp;
  let processor: PaymentProcessor;
  let charge: { id: string; amount: number; invoiceId: string; customerId: string; stripeChargeId: string };

  const query = (sql: string, params: unknown[] = []) => t.dataSource.query(sql, params);
  const findingsOf = async (kind: string) =>
    (await checkBooks(t.app)).findings.filter((finding) => finding.kind === kind);

  beforeAll(async () => {
    t = await startBillingTestApp();
    processor = t.app.get<PaymentProcessor>(PAYMENT_PROCESSOR);
    const bought = await purchase(t, { sub: 'user_books', email: 'books@example.com' }, 'evaluation-25k');
    charge = {
      id: bought.charge.id as string,
      amount: Number(bought.charge.amount),
      invoiceId: bought.charge.invoice_id as string,
      customerId: bought.charge.customer_id as string,
      stripeChargeId: bought.charge.stripe_charge_id as string,
    };
  });
  afterAll(() => t.close());

  /** A charge row of ours, as if recorded (no processor ids unless given). */
  const insertCharge = (id: string, extra: { invoiceId?: string; stripeChargeId?: string } = {}) =>
    query(
      `INSERT INTO billing.charges (id, customer_id, user_id, product_id, amount, currency, status, stripe_charge_id, invoice_id, paid_at)
       VALUES ($1, $2, 'user_books', 'prd_books', 4200, 'USD', 'succeeded', $3, $4, now())`,
      [id, charge.customerId, extra.stripeChargeId ?? null, extra.invoiceId ?? null],
    );

  it('is clean after a real purchase through the fake Stripe', async () => {
    await expectBooksClean(t.app);
  });

  it('finds a charge without its invoice', async () => {
    await insertCharge('chg_books_orphan');
    try {
      expect(await findingsOf('charge_without_invoice')).toEqual([
        expect.objectContaining({ subject: 'chg_books_orphan', amount: 4200, currency: 'USD' }),
      ]);
    } finally {
      await query(`DELETE FROM billing.charges WHERE id = 'chg_books_orphan'`);
    }
  });

  it('finds an invoice with a second payment that was not refunded', async () => {
    await insertCharge('chg_books_second', { invoiceId: charge.invoiceId });
    try {
      const [finding] = await findingsOf('invoice_paid_more_than_once');
      expect(finding).toMatchObject({ subject: charge.invoiceId, amount: 4200, currency: 'USD' });
      expect(finding.ids).toEqual(expect.arrayContaining([charge.id, 'chg_books_second']));
      // Refunded in full, the extra is no longer kept.
      await query(`UPDATE billing.charges SET amount_refunded = amount WHERE id = 'chg_books_second'`);
      expect(await findingsOf('invoice_paid_more_than_once')).toEqual([]);
    } finally {
      await query(`DELETE FROM billing.charges WHERE id = 'chg_books_second'`);
    }
  });

  it('finds a refund pending longer than the bound, not a recent one', async () => {
    await query(
      `INSERT INTO billing.refunds (id, charge_id, amount, currency, reason, status, requested_by, created_at)
       VALUES ('ref_books_old', $1, 100, 'USD', 'requested_by_customer', 'pending', 'staff_books', $2),
              ('ref_books_new', $1, 100, 'USD', 'requested_by_customer', 'pending', 'staff_books', now())`,
      [charge.id, new Date(Date.now() - 2 * HOUR)],
    );
    try {
      expect(await findingsOf('refund_pending_too_long')).toEqual([
        expect.objectContaining({ subject: 'ref_books_old', ids: ['ref_books_old', charge.id], amount: 100 }),
      ]);
    } finally {
      await query(`DELETE FROM billing.refunds WHERE id IN ('ref_books_old', 'ref_books_new')`);
    }
  });

  it('finds refunds adding up to more than the charge', async () => {
    await query(
      `INSERT INTO billing.refunds (id, charge_id, amount, currency, reason, status, requested_by, created_at, processed_at)
       VALUES ('ref_books_over', $1, $2, 'USD', 'requested_by_customer', 'succeeded', 'staff_books', now(), now())`,
      [charge.id, charge.amount + 1],
    );
    try {
      expect(await findingsOf('refunded_more_than_charged')).toEqual([
        expect.objectContaining({ subject: charge.id, ids: [charge.id, 'ref_books_over'], amount: 1 }),
      ]);
    } finally {
      await query(`DELETE FROM billing.refunds WHERE id = 'ref_books_over'`);
    }
  });

  it('finds credit notes adding up to more than the invoice', async () => {
    await query(
      `INSERT INTO billing.credit_notes (id, number, invoice_id, amount, currency, reason, issued_at)
       SELECT 'cn_books_over', 'CN-BOOKS-1', id, total + 50, currency, 'test', now() FROM billing.invoices WHERE id = $1`,
      [charge.invoiceId],
    );
    try {
      expect(await findingsOf('credited_more_than_invoiced')).toEqual([
        expect.objectContaining({
          subject: charge.invoiceId,
          ids: [charge.invoiceId, 'cn_books_over'],
          amount: 50,
        }),
      ]);
    } finally {
      await query(`DELETE FROM billing.credit_notes WHERE id = 'cn_books_over'`);
    }
  });

  it('finds a payout left processing past the bound with no open task, through payouts', async () => {
    await query(
      `INSERT INTO payouts.payouts (id, account_id, user_id, method, status, amount, profit_consumed, currency, requires_second_approval, requested_at, updated_at)
       VALUES ('po_books_stuck', 'acc_books', 'user_books', 'stripe_connect', 'processing', 5000, 6000, 'USD', false, $1, $1),
              ('po_books_recent', 'acc_books', 'user_books', 'stripe_connect', 'processing', 5000, 6000, 'USD', false, now(), now()),
              ('po_books_paid', 'acc_books', 'user_books', 'stripe_connect', 'paid', 5000, 6000, 'USD', false, $1, $1)`,
      [new Date(Date.now() - 2 * HOUR)],
    );
    try {
      expect(await findingsOf('payout_stuck')).toEqual([
        expect.objectContaining({
          subject: 'po_books_stuck',
          ids: ['po_books_stuck', 'acc_books'],
          amount: 5000,
        }),
      ]);
    } finally {
      await query(`DELETE FROM payouts.payouts WHERE id LIKE 'po_books_%'`);
    }
  });

  it('finds money the fake Stripe took from our customer that our books never recorded, until it is refunded', async () => {
    const [{ stripe_customer_id: stripeCustomerId }] = await query(
      'SELECT stripe_customer_id FROM billing.customers WHERE id = $1',
      [charge.customerId],
    );
    const intent = await processor.createPaymentIntent(
      {
        amountMinor: 1_234,
        currency: 'USD',
        customerId: stripeCustomerId,
        paymentMethodId: 'pm_card_visa',
        confirm: true,
        offSession: true,
      },
      'books-test-unrecorded',
    );
    await t.fake.flushWebhooks();

    const findings = await findingsOf('processor_payment_not_in_books');
    await processor.createRefund({ paymentIntentId: intent.id }, 'books-test-unrecorded-refund');
    await t.fake.flushWebhooks();

    expect(findings).toEqual([
      expect.objectContaining({
        subject: intent.latestChargeId,
        ids: [intent.latestChargeId, intent.id],
        amount: 1_234,
        currency: 'USD',
      }),
    ]);
    expect(await findingsOf('processor_payment_not_in_books')).toEqual([]);
  });

  it('finds a charge of ours the fake Stripe never made', async () => {
    await insertCharge('chg_books_ghost', {
      invoiceId: charge.invoiceId,
      stripeChargeId: 'ch_books_never_made',
    });
    await query(`UPDATE billing.charges SET amount_refunded = amount WHERE id = 'chg_books_ghost'`);
    try {
      expect(await findingsOf('charge_not_at_processor')).toEqual([
        expect.objectContaining({
          subject: 'chg_books_ghost',
          ids: ['chg_books_ghost', 'ch_books_never_made'],
        }),
      ]);
    } finally {
      await query(`DELETE FROM billing.charges WHERE id = 'chg_books_ghost'`);
    }
  });

  it('finds refund totals that disagree with the fake Stripe', async () => {
    await query(`UPDATE billing.charges SET amount_refunded = 700 WHERE id = $1`, [charge.id]);
    try {
      expect(await findingsOf('refund_totals_disagree')).toEqual([
        expect.objectContaining({
          subject: charge.id,
          ids: [charge.id, charge.stripeChargeId, expect.any(String)],
          amount: 700,
        }),
      ]);
    } finally {
      await query(`UPDATE billing.charges SET amount_refunded = 0 WHERE id = $1`, [charge.id]);
    }
  });

  it('is clean again once every seeded defect is gone', async () => {
    await expectBooksClean(t.app);
  });
});

import { parse } from 'csv-parse/sync';
import { Queue, Worker } from 'bullmq';
import type { DisputeStatus, ProductKind, RevenueReport } from '@astrix/contracts';
import type { JournalEntryDraft } from '../../src/modules/billing/ledger/journal.service';
import { Journal } from '../../src/modules/billing/ledger/journal.service';
import { balanceTransactionEntry } from '../../src/modules/billing/ledger/postings/balance-postings';
import { chargeSucceededEntry } from '../../src/modules/billing/ledger/postings/charge-postings';
import { disputeEntries } from '../../src/modules/billing/ledger/postings/dispute-postings';
import {
  creditNoteIssuedEntry,
  invoiceFinalizedEntry,
  type InvoiceLineForPosting,
} from '../../src/modules/billing/ledger/postings/invoice-postings';
import { refundSettledEntry } from '../../src/modules/billing/ledger/postings/refund-postings';
import { startTestApp, TestApp } from '../support/test-app';

const FINANCE = { sub: 'staff_finance', roles: ['finance'] };
const SUPPORT = { sub: 'staff_support', roles: ['support'] };
const ADMIN = { sub: 'staff_admin', roles: ['admin'] };

const KINDS: Record<string, ProductKind> = {
  prd_eval: 'evaluation',
  prd_inst: 'instant_funded',
  prd_sub: 'subscription',
};
const kindOf = (productId: string | null): ProductKind | null =>
  productId === null ? null : (KINDS[productId] ?? null);

/** Posts entries through the journal, each in its own transaction, as the live paths do. */
async function post(t: TestApp, drafts: readonly JournalEntryDraft[]): Promise<void> {
  const journal = t.app.get(Journal);
  for (const draft of drafts) await t.dataSource.transaction((manager) => journal.post(manager, draft));
}

/**
 * A month of sales, refunds and disputes, written straight into billing's tables with fixed dates,
 * so every figure of the report can be worked out by hand below. The revenue report reads the
 * ledger: each sale, refund and dispute also posts the entries its live path posts (the checkout
 * receipt finalized and its charge; the credit note and the refund when it settles; the dispute
 * opened and closed), built by the same posting functions.
 */
async function loadFixture(t: TestApp): Promise<void> {
  const q = (sql: string, parameters: unknown[] = []) => t.dataSource.query(sql, parameters);
  const sales = new Map<string, { customerId: string; currency: string; line: InvoiceLineForPosting }>();
  await q(
    `INSERT INTO billing.products (id, kind, name, slug, status, created_at, updated_at) VALUES
       ('prd_eval', 'evaluation', 'Evaluation 50k', 'fx-eval', 'active', now(), now()),
       ('prd_inst', 'instant_funded', 'Instant 25k', 'fx-inst', 'active', now(), now()),
       ('prd_sub', 'subscription', 'Pro', 'fx-sub', 'active', now(), now())`,
  );
  await q(
    `INSERT INTO billing.customers (id, user_id, email, created_at) VALUES
       ('cust_fx1', 'user_fx1', 'one@example.com', '2026-01-01'), ('cust_fx2', 'user_fx2', 'two@example.com', '2026-01-01')`,
  );
  const charge = async (
    id: string,
    user: string,
    product: string,
    amount: number,
    discount: number,
    currency: string,
    paidAt: string,
  ) => {
    await q(
      `INSERT INTO billing.charges (id, customer_id, user_id, checkout_session_id, product_id, amount, currency, status, discount_amount, paid_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'succeeded', $8, $9)`,
      [id, `cust_${user}`, `user_${user}`, `chk_${id}`, product, amount, currency, discount, paidAt],
    );
    const customerId = `cust_${user}`;
    const line: InvoiceLineForPosting = {
      kind: 'purchase',
      productId: product,
      amount: amount + discount,
      discount,
    };
    sales.set(id, { customerId, currency, line });
    const at = new Date(paidAt);
    const receipt = { id: `inv_${id}`, customerId, currency, discount, tax: 0, total: amount, issuedAt: at };
    await post(t, [
      invoiceFinalizedEntry(receipt, [line], kindOf),
      chargeSucceededEntry({ id, customerId, amount, currency, invoiceId: receipt.id, paidAt: at }),
    ]);
  };
  // Before the range: only its refund (inside the range) counts.
  await charge('chg_feb', 'fx1', 'prd_eval', 10000, 0, 'USD', '2026-02-27T12:00:00Z');
  // Monday 2 March
  await charge('chg_a', 'fx1', 'prd_eval', 10000, 0, 'USD', '2026-03-02T09:00:00Z');
  await charge('chg_b', 'fx2', 'prd_eval', 8000, 2000, 'USD', '2026-03-02T23:59:59Z');
  await charge('chg_c', 'fx2', 'prd_inst', 50000, 0, 'EUR', '2026-03-02T10:00:00Z');
  // Tuesday 3 March (just after midnight UTC)
  await charge('chg_d', 'fx1', 'prd_sub', 2900, 0, 'USD', '2026-03-03T00:00:00Z');
  // Monday 9 March: the next week
  await charge('chg_e', 'fx1', 'prd_eval', 10000, 1000, 'USD', '2026-03-09T08:00:00Z');
  // After the range
  await charge('chg_apr', 'fx1', 'prd_eval', 10000, 0, 'USD', '2026-04-01T00:00:00Z');

  const refund = async (
    id: string,
    chargeId: string,
    amount: number,
    currency: string,
    status: string,
    processedAt: string | null,
  ) => {
    await q(
      `INSERT INTO billing.refunds (id, charge_id, amount, currency, reason, status, requested_by, created_at, processed_at)
       VALUES ($1, $2, $3, $4, 'requested', $5, 'staff', '2026-03-01', $6)`,
      [id, chargeId, amount, currency, status, processedAt],
    );
    if (status !== 'succeeded' || processedAt === null) return;
    const sale = sales.get(chargeId)!;
    const at = new Date(processedAt);
    const note = {
      id: `cn_${id}`,
      invoiceId: `inv_${chargeId}`,
      refundId: id,
      amount,
      currency,
      issuedAt: at,
    };
    await post(t, [
      creditNoteIssuedEntry(note, sale, [sale.line], kindOf),
      refundSettledEntry(
        { id, amount, currency, processedAt: at, createdAt: new Date('2026-03-01') },
        sale.customerId,
      ),
    ]);
  };
  await refund('ref_a', 'chg_a', 3000, 'USD', 'succeeded', '2026-03-03T10:00:00Z');
  await refund('ref_feb', 'chg_feb', 10000, 'USD', 'succeeded', '2026-03-02T15:00:00Z');
  await refund('ref_pending', 'chg_b', 8000, 'USD', 'pending', null);
  await refund('ref_failed', 'chg_e', 1000, 'USD', 'failed', '2026-03-09T09:00:00Z');

  // A lost chargeback on the EUR charge: fee when opened (3 March), the amount when closed (5 March).
  await q(
    `INSERT INTO billing.disputes (id, charge_id, stripe_dispute_id, amount, currency, reason, status, fee_amount, lost_amount, created_at, updated_at, closed_at)
     VALUES ('dsp_c', 'chg_c', 'dp_c', 50000, 'EUR', 'fraudulent', 'lost', 1500, 50000, '2026-03-03T12:00:00Z', '2026-03-05T12:00:00Z', '2026-03-05T12:00:00Z'),
            ('dsp_d', 'chg_d', 'dp_d', 2900, 'USD', 'general', 'won', 1500, 0, '2026-03-10T12:00:00Z', '2026-03-12T12:00:00Z', '2026-03-12T12:00:00Z')`,
  );
  const dispute = (
    id: string,
    chargeId: string,
    amount: number,
    status: DisputeStatus,
    openedAt: string,
    closedAt: string,
  ) => {
    const sale = sales.get(chargeId)!;
    return disputeEntries(
      {
        id,
        amount,
        currency: sale.currency,
        feeAmount: 1500,
        status,
        createdAt: new Date(openedAt),
        closedAt: new Date(closedAt),
      },
      sale.customerId,
    );
  };
  await post(t, [
    ...dispute('dsp_c', 'chg_c', 50000, 'lost', '2026-03-03T12:00:00Z', '2026-03-05T12:00:00Z'),
    ...dispute('dsp_d', 'chg_d', 2900, 'won', '2026-03-10T12:00:00Z', '2026-03-12T12:00:00Z'),
  ]);

  const payout = (id: string, amount: number, status: string, paidAt: string | null) =>
    q(
      `INSERT INTO payouts.payouts (id, account_id, user_id, method, status, amount, profit_consumed, currency, requires_second_approval, requested_at, paid_at, updated_at)
       VALUES ($1, 'acc_x', 'user_fx1', 'stripe_connect', $2, $3, $3, 'USD', false, '2026-03-01', $4, now())`,
      [id, status, amount, paidAt],
    );
  await payout('po_1', 40000, 'paid', '2026-03-04T10:00:00Z');
  await payout('po_2', 10000, 'paid', '2026-03-04T11:00:00Z');
  await payout('po_3', 99999, 'processing', null);

  const subscription = (
    id: string,
    currency: string,
    unitAmount: number,
    quantity: number,
    status: string,
    interval: string,
    intervalCount: number,
    createdAt: string,
    canceledAt: string | null,
  ) =>
    q(
      `INSERT INTO billing.subscriptions (id, customer_id, user_id, product_id, price_id, currency, unit_amount, quantity, status, interval, interval_count,
         billing_anchor, current_period_start, current_period_end, canceled_at, ended_at, created_at, updated_at)
       VALUES ($1, 'cust_fx1', 'user_fx1', 'prd_sub', 'prc_x', $2, $3, $4, $5, $6, $7, $8, $8, '2027-01-01', $9, $9, $8, now())`,
      [id, currency, unitAmount, quantity, status, interval, intervalCount, createdAt, canceledAt],
    );
  await subscription('sub_1', 'USD', 2900, 2, 'active', 'month', 1, '2026-01-05', null);
  await subscription('sub_2', 'USD', 30000, 1, 'active', 'year', 1, '2026-02-01', null);
  await subscription('sub_3', 'USD', 1000, 1, 'past_due', 'month', 1, '2026-02-10', null);
  await subscription('sub_4', 'USD', 2900, 1, 'canceled', 'month', 1, '2026-01-20', '2026-03-04T00:00:00Z');
  await subscription('sub_5', 'USD', 9900, 1, 'active', 'month', 1, '2026-03-15', null);
  await subscription('sub_6', 'EUR', 9000, 1, 'active', 'month', 3, '2026-01-01', null);
  await subscription('sub_7', 'USD', 2900, 1, 'canceled', 'month', 1, '2026-01-01', '2026-02-15T00:00:00Z');
  await subscription('sub_8', 'USD', 2900, 1, 'active', 'month', 1, '2026-03-20', null);
  await subscription('sub_9', 'USD', 2900, 1, 'active', 'month', 1, '2026-03-20', null);
  await subscription('sub_10', 'USD', 2900, 1, 'trialing', 'month', 1, '2026-03-25', null);

  // What the subscriptions were billed: MRR at the end of March comes from the lines covering it.
  let invoices = 0;
  const invoice = async (
    subscriptionId: string,
    currency: string,
    status: string,
    lines: Array<[kind: string, amount: number, discount: number, start: string, end: string]>,
  ) => {
    invoices += 1;
    const id = `inv_mrr_${invoices}`;
    const subtotal = lines.reduce((total, [, amount]) => total + amount, 0);
    const discount = lines.reduce((total, [, , lineDiscount]) => total + lineDiscount, 0);
    await q(
      `INSERT INTO billing.invoices (id, number, customer_id, user_id, status, currency, subtotal, discount, tax, total, amount_paid,
         seller, issued_at, billing_reason, subscription_id)
       VALUES ($1, $2, 'cust_fx1', 'user_fx1', $3, $4, $5::bigint, $6::bigint, 0, $5::bigint - $6::bigint, 0, '{}', $7, 'subscription_cycle', $8)`,
      [id, `AST-MRR-${invoices}`, status, currency, subtotal, discount, lines[0][3], subscriptionId],
    );
    for (const [position, [kind, amount, lineDiscount, start, end]] of lines.entries()) {
      await q(
        `INSERT INTO billing.invoice_lines (invoice_id, position, description, quantity, unit_amount, amount, discount, tax, kind, period_start, period_end)
         VALUES ($1, $2, $3, 1, $4, $4, $5, 0, $3, $6, $7)`,
        [id, position + 1, kind, amount, lineDiscount, start, end],
      );
    }
  };
  await invoice('sub_1', 'USD', 'paid', [['plan', 5800, 0, '2026-03-05', '2026-04-05']]);
  await invoice('sub_2', 'USD', 'paid', [['plan', 30000, 0, '2026-02-01', '2027-02-01']]);
  // Past due: the open invoice still counts.
  await invoice('sub_3', 'USD', 'open', [['plan', 1000, 0, '2026-03-10', '2026-04-10']]);
  // Canceled on 4 March: its period would cover the end of March, but it has ended.
  await invoice('sub_4', 'USD', 'paid', [['plan', 2900, 0, '2026-03-01', '2026-04-01T12:00:00Z']]);
  // 29.00 a month for 30 days, upgraded to 99.00 with 15 days left: credit 14.50, charge 49.50.
  await invoice('sub_5', 'USD', 'paid', [['plan', 2900, 0, '2026-03-15', '2026-04-14']]);
  await invoice('sub_5', 'USD', 'paid', [
    ['proration_credit', -1450, 0, '2026-03-30', '2026-04-14'],
    ['proration_charge', 4950, 0, '2026-03-30', '2026-04-14'],
  ]);
  // A quarter ending exactly when the range does still covers its end.
  await invoice('sub_6', 'EUR', 'paid', [['plan', 9000, 0, '2026-01-01', '2026-04-01']]);
  // Voided: billed nothing.
  await invoice('sub_8', 'USD', 'void', [['plan', 2900, 0, '2026-03-20', '2026-04-20']]);
  // A 20% coupon.
  await invoice('sub_9', 'USD', 'paid', [['plan', 2900, 580, '2026-03-20', '2026-04-20']]);
  // An earlier period of sub_1 does not cover the end of March.
  await invoice('sub_1', 'USD', 'paid', [['plan', 5800, 0, '2026-02-05', '2026-03-05']]);
}

describe('admin reports (fixture computed by hand)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await loadFixture(t);
  });
  afterAll(() => t.close());

  const report = (query: string, user = FINANCE, headers: Record<string, string> = {}) =>
    t.inject({
      method: 'GET',
      url: `/v1/admin/reports/revenue?${query}`,
      headers: { ...t.as(user), ...headers },
    });

  it('groups revenue by day, currency and product kind', async () => {
    const response = await report('from=2026-03-01&to=2026-04-01&groupBy=day');
    expect(response.statusCode).toBe(200);
    const body = response.json<RevenueReport>();
    expect(body.rows).toEqual([
      // 2 March: A (100.00) and B (80.00 paid + 20.00 discount); the February charge's refund.
      {
        period: '2026-03-02',
        currency: 'EUR',
        productKind: 'instant_funded',
        charges: 1,
        gross: 50000,
        discounts: 0,
        refunds: 0,
        disputes: 0,
        net: 50000,
      },
      {
        period: '2026-03-02',
        currency: 'USD',
        productKind: 'evaluation',
        charges: 2,
        gross: 20000,
        discounts: 2000,
        refunds: 10000,
        disputes: 0,
        net: 8000,
      },
      // 3 March: the dispute's fee, A's partial refund, and D paid at midnight.
      {
        period: '2026-03-03',
        currency: 'EUR',
        productKind: 'instant_funded',
        charges: 0,
        gross: 0,
        discounts: 0,
        refunds: 0,
        disputes: 1500,
        net: -1500,
      },
      {
        period: '2026-03-03',
        currency: 'USD',
        productKind: 'evaluation',
        charges: 0,
        gross: 0,
        discounts: 0,
        refunds: 3000,
        disputes: 0,
        net: -3000,
      },
      {
        period: '2026-03-03',
        currency: 'USD',
        productKind: 'subscription',
        charges: 1,
        gross: 2900,
        discounts: 0,
        refunds: 0,
        disputes: 0,
        net: 2900,
      },
      // 5 March: the chargeback is lost.
      {
        period: '2026-03-05',
        currency: 'EUR',
        productKind: 'instant_funded',
        charges: 0,
        gross: 0,
        discounts: 0,
        refunds: 0,
        disputes: 50000,
        net: -50000,
      },
      // 9 March: E with a 10.00 discount; its failed refund does not count.
      {
        period: '2026-03-09',
        currency: 'USD',
        productKind: 'evaluation',
        charges: 1,
        gross: 11000,
        discounts: 1000,
        refunds: 0,
        disputes: 0,
        net: 10000,
      },
      // 10 March: the won dispute still cost its fee.
      {
        period: '2026-03-10',
        currency: 'USD',
        productKind: 'subscription',
        charges: 0,
        gross: 0,
        discounts: 0,
        refunds: 0,
        disputes: 1500,
        net: -1500,
      },
    ]);
    expect(body.totals).toEqual([
      { currency: 'EUR', charges: 1, gross: 50000, discounts: 0, refunds: 0, disputes: 51500, net: -1500 },
      {
        currency: 'USD',
        charges: 4,
        gross: 33900,
        discounts: 3000,
        refunds: 13000,
        disputes: 1500,
        net: 16400,
      },
    ]);
    expect(body.payoutsPaid).toEqual([{ period: '2026-03-04', currency: 'USD', payouts: 2, amount: 50000 }]);
    // MRR at the end of March: USD 2 × 29.00 + 300.00/12 + 10.00 (past due) + 99.00 (sub_5 since its
    // upgrade: 29.00 − 14.50 × 2 + 49.50 × 2) + 23.20 (sub_9, 20% off); EUR 90.00 a quarter.
    // Churn: USD active on 1 March were sub_1..sub_4 (sub_7 left in February), sub_4 canceled: 1/4.
    expect(body.subscriptions).toEqual([
      { currency: 'EUR', mrr: 3000, activeAtStart: 1, canceledInPeriod: 0, churnRate: '0.0000' },
      {
        currency: 'USD',
        mrr: 5800 + 2500 + 1000 + 9900 + 2320,
        activeAtStart: 4,
        canceledInPeriod: 1,
        churnRate: '0.2500',
      },
    ]);
  });

  it('gives MRR as it stood when an earlier range ended, not as it is now', async () => {
    const early = (await report('from=2026-03-01&to=2026-03-10&groupBy=day')).json<RevenueReport>();
    // On 10 March: sub_1's March period and sub_2's year (sub_3's period starts that instant, sub_4
    // had ended, sub_5, sub_8 and sub_9 did not exist yet); EUR: the quarter.
    expect(early.subscriptions).toEqual([
      { currency: 'EUR', mrr: 3000, activeAtStart: 1, canceledInPeriod: 0, churnRate: '0.0000' },
      { currency: 'USD', mrr: 5800 + 2500, activeAtStart: 4, canceledInPeriod: 1, churnRate: '0.2500' },
    ]);
  });

  it('groups by ISO week (Monday) and by month', async () => {
    const weekly = (await report('from=2026-03-01&to=2026-04-01&groupBy=week')).json<RevenueReport>();
    const usdEvaluation = weekly.rows.filter(
      (row) => row.currency === 'USD' && row.productKind === 'evaluation',
    );
    expect(usdEvaluation.map((row) => [row.period, row.net])).toEqual([
      ['2026-03-02', 8000 - 3000],
      ['2026-03-09', 10000],
    ]);
    const monthly = (await report('from=2026-02-01&to=2026-04-01&groupBy=month')).json<RevenueReport>();
    expect(monthly.rows.filter((row) => row.currency === 'USD' && row.productKind === 'evaluation')).toEqual([
      {
        period: '2026-02-01',
        currency: 'USD',
        productKind: 'evaluation',
        charges: 1,
        gross: 10000,
        discounts: 0,
        refunds: 0,
        disputes: 0,
        net: 10000,
      },
      {
        period: '2026-03-01',
        currency: 'USD',
        productKind: 'evaluation',
        charges: 3,
        gross: 31000,
        discounts: 3000,
        refunds: 13000,
        disputes: 0,
        net: 15000,
      },
    ]);
  });

  it('exports the revenue lines as CSV that parses back to the same figures', async () => {
    const response = await report('from=2026-03-01&to=2026-04-01&groupBy=day', FINANCE, {
      accept: 'text/csv',
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    expect(response.headers['content-disposition']).toContain('revenue-2026-03-01-2026-04-01.csv');
    const records = parse(response.body, { columns: true }) as Array<Record<string, string>>;
    expect(records).toHaveLength(8);
    expect(records[1]).toEqual({
      period: '2026-03-02',
      currency: 'USD',
      product_kind: 'evaluation',
      charges: '2',
      gross: '200.00',
      discounts: '20.00',
      refunds: '100.00',
      disputes: '0.00',
      net: '80.00',
    });
    expect(records[2]).toMatchObject({ currency: 'EUR', disputes: '15.00', net: '-15.00' });
  });

  it('counts an invoice settled from the customer balance and a credit note without a refund', async () => {
    // Neither moves card money, so the charge-based report never saw them: a subscription invoice
    // paid entirely with credit granted in April, and 25.00 credited on E's receipt with no refund.
    const invoice = {
      id: 'inv_balance_paid',
      customerId: 'cust_fx1',
      currency: 'USD',
      discount: 0,
      tax: 0,
      total: 2900,
      issuedAt: new Date('2026-05-04T10:00:00Z'),
    };
    const subscriptionLine: InvoiceLineForPosting = {
      kind: 'plan',
      productId: 'prd_sub',
      amount: 2900,
      discount: 0,
    };
    const balance = (
      id: string,
      kind: 'goodwill_credit' | 'applied_to_invoice',
      amount: number,
      at: string,
    ) =>
      balanceTransactionEntry({
        id,
        customerId: 'cust_fx1',
        currency: 'USD',
        amount,
        kind,
        invoiceId: kind === 'applied_to_invoice' ? invoice.id : null,
        createdAt: new Date(at),
      });
    const evaluationLine: InvoiceLineForPosting = {
      kind: 'purchase',
      productId: 'prd_eval',
      amount: 11000,
      discount: 1000,
    };
    await post(t, [
      balance('cbt_goodwill', 'goodwill_credit', 2900, '2026-04-20T00:00:00Z'),
      invoiceFinalizedEntry(invoice, [subscriptionLine], kindOf),
      balance('cbt_applied', 'applied_to_invoice', -2900, '2026-05-04T10:00:00Z'),
      creditNoteIssuedEntry(
        {
          id: 'cn_no_refund',
          invoiceId: 'inv_chg_e',
          refundId: null,
          amount: 2500,
          currency: 'USD',
          issuedAt: new Date('2026-05-06T09:00:00Z'),
        },
        { customerId: 'cust_fx1' },
        [evaluationLine],
        kindOf,
      ),
    ]);
    const may = (await report('from=2026-05-01&to=2026-06-01&groupBy=month')).json<RevenueReport>();
    expect(may.rows).toEqual([
      {
        period: '2026-05-01',
        currency: 'USD',
        productKind: 'evaluation',
        charges: 0,
        gross: 0,
        discounts: 0,
        refunds: 2500,
        disputes: 0,
        net: -2500,
      },
      {
        period: '2026-05-01',
        currency: 'USD',
        productKind: 'subscription',
        charges: 1,
        gross: 2900,
        discounts: 0,
        refunds: 0,
        disputes: 0,
        net: 2900,
      },
    ]);
    expect(may.totals).toEqual([
      { currency: 'USD', charges: 1, gross: 2900, discounts: 0, refunds: 2500, disputes: 0, net: 400 },
    ]);
    // The goodwill credit is a credit given back, without a product: April, unassigned.
    const april = (await report('from=2026-04-02&to=2026-05-01&groupBy=month')).json<RevenueReport>();
    expect(april.rows).toEqual([
      {
        period: '2026-04-01',
        currency: 'USD',
        productKind: 'unassigned',
        charges: 0,
        gross: 0,
        discounts: 0,
        refunds: 2900,
        disputes: 0,
        net: -2900,
      },
    ]);
  });

  it('refuses bad ranges and groupings with 400, and support staff with 403', async () => {
    for (const [query, message] of [
      ['to=2026-04-01', 'from must be an ISO 8601'],
      ['from=yesterday&to=2026-04-01', 'from must be an ISO 8601'],
      ['from=2026-04-01&to=2026-03-01', 'to must be after from'],
      ['from=2026-03-01&to=2026-04-01&groupBy=year', 'groupBy must be day, week or month'],
      ['from=2020-01-01&to=2026-04-01&groupBy=day', 'groupBy=day covers at most 366 days'],
      ['from=2026-03-01&to=2026-04-01&extra=1', 'property extra should not exist'],
    ]) {
      const response = await report(query);
      expect({ query, status: response.statusCode }).toEqual({ query, status: 400 });
      expect(response.json().error.message).toContain(message);
    }
    expect((await report('from=2026-03-01&to=2026-04-01', SUPPORT)).statusCode).toBe(403);
    expect((await report('from=2026-03-01&to=2026-04-01', ADMIN)).statusCode).toBe(200);
  });
});

describe('admin operations: queues, outbox, dashboard', () => {
  let t: TestApp;
  let connection: { host: string; port: number };
  beforeAll(async () => {
    t = await startTestApp();
    connection = { host: '127.0.0.1', port: 6379 };
  });
  afterAll(() => t.close());

  /** Two jobs that fail once and stay failed (no app workers run here). */
  async function failTwoJobs(): Promise<void> {
    const queue = new Queue('maintenance', { connection, prefix: t.queuePrefix });
    const worker = new Worker(
      'maintenance',
      async () => {
        throw new Error('boom');
      },
      { connection, prefix: t.queuePrefix },
    );
    try {
      await queue.add('maintenance.purge-idempotency-records', {}, { jobId: 'purge-1', attempts: 1 });
      await queue.add('maintenance.purge-idempotency-records', {}, { jobId: 'purge-2', attempts: 1 });
      for (;;) {
        if ((await queue.getFailedCount()) >= 2) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await worker.close();
      await queue.close();
    }
  }

  it('lists failed jobs of a queue, retries one and discards another (admin only)', async () => {
    await failTwoJobs();
    const counts = await t.inject({ method: 'GET', url: '/v1/admin/queues', headers: t.as(SUPPORT) });
    expect(counts.statusCode).toBe(200);
    expect(
      counts.json().data.find((queue: { name: string }) => queue.name === 'maintenance').counts.failed,
    ).toBe(2);

    const failed = await t.inject({
      method: 'GET',
      url: '/v1/admin/queues/maintenance/jobs?state=failed&limit=1',
      headers: t.as(SUPPORT),
    });
    expect(failed.statusCode).toBe(200);
    expect(failed.json().data).toHaveLength(1);
    expect(failed.json().data[0]).toMatchObject({
      queue: 'maintenance',
      state: 'failed',
      failedReason: 'boom',
    });
    const next = await t.inject({
      method: 'GET',
      url: `/v1/admin/queues/maintenance/jobs?state=failed&limit=1&cursor=${failed.json().nextCursor}`,
      headers: t.as(SUPPORT),
    });
    const ids = [failed.json().data[0].id, next.json().data[0].id].sort();
    expect(ids).toEqual(['purge-1', 'purge-2']);
    expect(next.json().nextCursor).toBeNull();

    const retried = await t.inject({
      method: 'POST',
      url: '/v1/admin/queues/maintenance/jobs/purge-1/retry',
      headers: t.as(SUPPORT),
    });
    expect(retried.statusCode).toBe(202);
    expect(retried.json().state).toBe('waiting');
    const again = await t.inject({
      method: 'POST',
      url: '/v1/admin/queues/maintenance/jobs/purge-1/retry',
      headers: t.as(SUPPORT),
    });
    expect(again.statusCode).toBe(409);

    const byFinance = await t.inject({
      method: 'POST',
      url: '/v1/admin/queues/maintenance/jobs/purge-2/discard',
      headers: t.as(FINANCE),
    });
    expect(byFinance.statusCode).toBe(403);
    const discarded = await t.inject({
      method: 'POST',
      url: '/v1/admin/queues/maintenance/jobs/purge-2/discard',
      headers: t.as(ADMIN),
    });
    expect(discarded.statusCode).toBe(200);
    const gone = await t.inject({
      method: 'POST',
      url: '/v1/admin/queues/maintenance/jobs/purge-2/retry',
      headers: t.as(ADMIN),
    });
    expect(gone.statusCode).toBe(404);

    const audit = await t.dataSource.query(
      `SELECT action, actor_id, resource_id FROM platform.audit_log WHERE resource_type = 'job' ORDER BY occurred_at, id`,
    );
    expect(audit).toEqual([
      { action: 'job.retried', actor_id: 'staff_support', resource_id: 'maintenance:purge-1' },
      { action: 'job.discarded', actor_id: 'staff_admin', resource_id: 'maintenance:purge-2' },
    ]);
  });

  it('refuses unknown queues (404) and bad states or cursors (400)', async () => {
    const get = (url: string) => t.inject({ method: 'GET', url, headers: t.as(SUPPORT) });
    expect((await get('/v1/admin/queues/nope/jobs')).statusCode).toBe(404);
    expect((await get('/v1/admin/queues/billing/jobs?state=exploded')).statusCode).toBe(400);
    expect((await get('/v1/admin/queues/billing/jobs?cursor=abc')).statusCode).toBe(400);
    expect((await get('/v1/admin/queues/billing/jobs?limit=101')).statusCode).toBe(400);
  });

  it('shows the outbox backlog: unpublished events, the oldest, failures by type', async () => {
    await t.dataSource.query(
      `INSERT INTO platform.outbox_events (event_id, type, subject, envelope, occurred_at, publish_attempts, last_error) VALUES
         ('evt_backlog_1', 'billing.payment.completed', 's1', '{}', '2026-03-01T00:00:00Z', 3, 'redis down'),
         ('evt_backlog_2', 'billing.payment.completed', 's2', '{}', '2026-03-01T00:01:00Z', 0, NULL),
         ('evt_backlog_3', 'billing.refund.processed', 's3', '{}', '2026-03-01T00:02:00Z', 0, NULL)`,
    );
    const response = await t.inject({ method: 'GET', url: '/v1/admin/outbox', headers: t.as(SUPPORT) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      unpublished: 3,
      oldestUnpublishedAt: '2026-03-01T00:00:00.000Z',
      byType: [
        { type: 'billing.payment.completed', count: 2 },
        { type: 'billing.refund.processed', count: 1 },
      ],
      failing: [
        {
          eventId: 'evt_backlog_1',
          type: 'billing.payment.completed',
          attempts: 3,
          lastError: 'redis down',
          occurredAt: '2026-03-01T00:00:00.000Z',
        },
      ],
    });
  });

  it('serves the queue dashboard to admins only', async () => {
    const page = (headers: Record<string, string>) =>
      t.inject({ method: 'GET', url: '/admin/queues', headers: { accept: 'application/json', ...headers } });
    const anonymous = await page({});
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('UNAUTHENTICATED');
    expect((await page(t.as({ roles: ['trader'] }))).statusCode).toBe(403);
    expect((await page(t.as(SUPPORT))).statusCode).toBe(403);
    expect((await page({ authorization: 'Bearer not-a-token' })).statusCode).toBe(401);

    const asAdmin = await page(t.as(ADMIN));
    expect(asAdmin.statusCode).toBe(200);
    expect(asAdmin.body).toContain('Astrix queues');
    // The board's own API sits behind the same check, and sees our queues.
    const api = await t.inject({
      method: 'GET',
      url: '/admin/queues/api/queues',
      headers: { cookie: `astrix_staff_token=${t.as(ADMIN).authorization.slice(7)}` },
    });
    expect(api.statusCode).toBe(200);
    expect(
      api
        .json()
        .queues.map((queue: { name: string }) => queue.name)
        .sort(),
    ).toEqual(['billing', 'events', 'maintenance', 'outbound', 'payouts']);
    const apiAsTrader = await t.inject({
      method: 'GET',
      url: '/admin/queues/api/queues',
      headers: t.as({ roles: ['trader'] }),
    });
    expect(apiAsTrader.statusCode).toBe(403);

    const browser = await t.inject({ method: 'GET', url: '/admin/queues', headers: { accept: 'text/html' } });
    expect(browser.statusCode).toBe(401);
    expect(browser.body).toContain('Paste a staff token');
  });
});

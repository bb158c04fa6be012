import { randomUUID } from 'node:crypto';
import type { ReconciliationView } from '@astrix/contracts';
import type { PaymentProcessor } from '@astrix/stripe-client';
import { Clock } from '../../src/platform/clock';
import { PAYMENT_PROCESSOR } from '../../src/platform/payment-processor/payment-processor.provider';
import { type BillingTestApp, chargeOf, payWithCard, startBillingTestApp } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { eventually } from '../support/test-app';

const FINANCE = { sub: 'staff_fx_finance', roles: ['finance'] };
const ADMIN = { sub: 'staff_fx_admin', roles: ['admin'] };

/** A billing app whose Stripe account settles in USD (Stripe's rate 1.085 per euro), selling a €100 evaluation. */
async function startUsdSettlingApp(): Promise<{ t: BillingTestApp; productId: string }> {
  const t = await startBillingTestApp();
  t.fake.controls.updateBalanceSettings({
    availabilityDelayDays: 0,
    payoutArrivalDays: 0,
    payoutSchedule: 'manual',
    settlementCurrency: 'usd',
    exchangeRates: { eur: '1.085' },
  });
  const product = await t.inject({
    method: 'POST',
    url: '/v1/admin/products',
    headers: t.as(ADMIN),
    payload: {
      kind: 'evaluation',
      name: 'EUR Evaluation',
      attributes: { accountSize: 25_000 },
      prices: [{ currency: 'EUR', unitAmount: 10_000 }],
    },
  });
  expect(product.statusCode).toBe(201);
  return { t, productId: product.json<{ id: string }>().id };
}

/** Our FX rate (finance's daily rate) from EUR to USD on a day. */
async function putEurUsdRate(t: BillingTestApp, day: string, rate: string): Promise<void> {
  const put = await t.inject({
    method: 'PUT',
    url: '/v1/admin/fx-rates',
    headers: { ...t.as(FINANCE), 'idempotency-key': randomUUID() },
    payload: { day, base: 'EUR', quote: 'USD', rate },
  });
  expect(put.statusCode).toBe(200);
}

/** Runs the reconciliation of a day and waits for it to complete. */
async function reconcileDay(t: BillingTestApp, date: string): Promise<ReconciliationView> {
  const started = await t.inject({
    method: 'POST',
    url: '/v1/admin/reconciliations',
    headers: { ...t.as(FINANCE), 'idempotency-key': randomUUID() },
    payload: { date },
  });
  expect(started.statusCode).toBe(202);
  return eventually(async () => {
    const view = await t.inject({
      method: 'GET',
      url: `/v1/admin/reconciliations/${started.json<ReconciliationView>().id}?limit=100`,
      headers: t.as(FINANCE),
    });
    const body = view.json<ReconciliationView>();
    return body.status === 'completed' ? body : null;
  }, 30_000);
}

/** An account's balance in one currency (debits minus credits) over the whole journal. */
async function balanceIn(t: BillingTestApp, account: string, currency: string): Promise<number> {
  const [row] = (await t.dataSource.query(
    `SELECT COALESCE(sum(debit) - sum(credit), 0)::bigint AS balance FROM billing.journal_lines
      WHERE account = $1 AND currency = $2`,
    [account, currency],
  )) as Array<{ balance: string }>;
  return Number(row.balance);
}

/** Whether the trial balance (every entry so far) says each currency balances. */
async function trialBalanced(t: BillingTestApp): Promise<boolean> {
  const trial = await t.inject({
    method: 'GET',
    url: `/v1/admin/ledger/trial-balance?at=${new Date(Date.now() + 60_000).toISOString()}`,
    headers: t.as(FINANCE),
  });
  expect(trial.statusCode).toBe(200);
  return trial.json<{ balanced: boolean }>().balanced;
}

/**
 * Issue #20, realised FX: the Stripe account settles in USD; a charge presented in EUR is booked at
 * our FX snapshot rate (1 EUR = 1.08 USD that day) and settled by Stripe at its own rate. The
 * reconciliation clears the EUR charge, takes the USD Stripe really credited, and posts the
 * difference to fx_gains_losses, exactly; the books balance per currency and check clean, the
 * payout of the USD balance reconciles, and the ledger's Stripe balance is Stripe's.
 */
describe('reconciliation: realised FX on charges settled in the USD balance', () => {
  let t: BillingTestApp;
  let productId: string;
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    ({ t, productId } = await startUsdSettlingApp());
    await putEurUsdRate(t, today, '1.08');
  });
  afterAll(() => t.close());

  async function buyInEur(sub: string): Promise<Record<string, unknown>> {
    const session = await t.inject({
      method: 'POST',
      url: '/v1/billing/checkout-sessions',
      headers: t.as({ sub, email: `${sub}@example.com` }),
      payload: { productId, currency: 'EUR' },
    });
    expect(session.statusCode).toBe(201);
    const id = session.json<{ id: string }>().id;
    await payWithCard(t, id, '4242424242424242');
    await t.fake.flushWebhooks();
    return chargeOf(t, id);
  }

  const reconcile = (): Promise<ReconciliationView> => reconcileDay(t, today);

  const balanceOf = (account: string, currency: string): Promise<number> => balanceIn(t, account, currency);

  it('a gain at Stripe 1.085, a loss at 1.07 and a refund at 1.10 against our 1.08: each exactly the difference; books clean', async () => {
    // €100.00 at Stripe's 1.085 = $108.50, booked at our 1.08 = $108.00: a gain of $0.50.
    const first = await buyInEur('user_fx_gain');
    expect(first).toMatchObject({ currency: 'EUR', amount: '10000' });
    // The next one at Stripe's 1.07 = $107.00 against $108.00: a loss of $1.00.
    t.fake.controls.updateBalanceSettings({ exchangeRates: { eur: '1.07' } });
    await buyInEur('user_fx_loss');
    // Half of the first charge refunded when Stripe converts at 1.10: €50.00 leaves as $55.00 while
    // our books value it at 1.08, $54.00: a loss of $1.00 more.
    t.fake.controls.updateBalanceSettings({ exchangeRates: { eur: '1.10' } });
    const refund = await t.inject({
      method: 'POST',
      url: `/v1/admin/charges/${String(first.id)}/refunds`,
      headers: { ...t.as(FINANCE), 'idempotency-key': randomUUID() },
      payload: { amount: 5_000, reason: 'requested_by_customer' },
    });
    expect(refund.statusCode).toBe(201);
    await t.fake.flushWebhooks();
    await eventually(async () => {
      const [row] = (await t.dataSource.query('SELECT status FROM billing.refunds WHERE id = $1', [
        refund.json<{ id: string }>().id,
      ])) as Array<{ status: string }>;
      return row?.status === 'succeeded';
    }, 20_000);
    const processor = t.app.get<PaymentProcessor>(PAYMENT_PROCESSOR);
    const settled = (await processor.listBalanceTransactions({ type: 'charge' })).data;
    expect(settled.map((txn) => [txn.amountMinor, txn.currency, txn.exchangeRate]).sort()).toEqual([
      [10_700, 'USD', '1.07'],
      [10_850, 'USD', '1.085'],
    ]);

    // Stripe pays the USD balance out to the bank the same day.
    t.fake.controls.runPayouts({ currency: 'usd' });
    await t.fake.flushWebhooks();

    const view = await reconcile();
    expect(view.exceptions.data).toEqual([]);
    expect(view.counts).toMatchObject({ matched: 4 });

    // FX: −50 (gain, a credit) + 100 (loss) + 100 (refund loss) = 150 net loss, in USD only.
    const fxLines = (await t.dataSource.query(
      `SELECT currency, debit::int AS debit, credit::int AS credit FROM billing.journal_lines
        WHERE account = 'fx_gains_losses' ORDER BY currency`,
    )) as Array<{ currency: string; debit: number; credit: number }>;
    expect(fxLines.map((line) => line.currency)).toEqual(['USD']);
    expect(await balanceOf('fx_gains_losses', 'USD')).toBe(-50 + 100 + 100);
    // EUR: the charges and the refund cleared; the conversion holds them at our rate on both sides.
    expect(await balanceOf('processor_clearing', 'EUR')).toBe(0);
    expect(await balanceOf('currency_conversion', 'EUR')).toBe(20_000 - 5_000);
    expect(await balanceOf('currency_conversion', 'USD')).toBe(-21_600 + 5_400);
    // USD: what Stripe credited less its fees, paid out to the bank.
    const fees = settled.reduce((sum, txn) => sum + txn.feeMinor, 0);
    expect(await balanceOf('processor_fees', 'USD')).toBe(fees);
    expect(await balanceOf('bank', 'USD')).toBe(10_850 + 10_700 - 5_500 - fees);
    const stripe = (await processor.retrieveBalance()).find((balance) => balance.currency === 'USD');
    expect({
      pending: await balanceOf('stripe_balance_pending', 'USD'),
      available: await balanceOf('stripe_balance_available', 'USD'),
    }).toEqual({ pending: stripe?.pendingMinor ?? 0, available: stripe?.availableMinor ?? 0 });

    // Each currency balances; in the reporting currency the conversion nets to zero.
    expect(await trialBalanced(t)).toBe(true);
    const [conversion] = (await t.dataSource.query(
      `SELECT sum((debit - credit) * fx_rate::numeric) AS reporting FROM billing.journal_lines
        WHERE account = 'currency_conversion'`,
    )) as Array<{ reporting: string }>;
    expect(Number(conversion.reporting)).toBe(0);
    await expectBooksClean(t.app);

    // A second run posts nothing more.
    const entries = Number(
      (await t.dataSource.query('SELECT count(*) AS n FROM billing.journal_entries'))[0].n,
    );
    await reconcile();
    expect(Number((await t.dataSource.query('SELECT count(*) AS n FROM billing.journal_entries'))[0].n)).toBe(
      entries,
    );
  });
});

/**
 * The same conversion when our row was booked on one day and Stripe's balance transaction (and so
 * the reconciliation entry) falls on the next, whose EUR→USD rate differs: the row-currency half of
 * the entry is valued at the rate the conversion was booked at (the row's day), so
 * currency_conversion and processor_clearing net to exactly zero in the reporting currency.
 */
describe('reconciliation: realised FX when the reconciliation entry falls on a later day than our row', () => {
  let t: BillingTestApp;
  let productId: string;
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.parse(`${today}T00:00:00.000Z`) - 86_400_000).toISOString().slice(0, 10);

  beforeAll(async () => {
    ({ t, productId } = await startUsdSettlingApp());
    // Our rate the day the refund was booked, and a different one the next day.
    for (const [day, rate] of [
      [yesterday, '1.08'],
      [today, '1.10'],
    ]) {
      await putEurUsdRate(t, day, rate);
    }
  });
  afterAll(() => t.close());

  const reconcile = (date: string): Promise<ReconciliationView> => reconcileDay(t, date);

  const balanceOf = (account: string, currency: string): Promise<number> => balanceIn(t, account, currency);

  /** An account's balance in the reporting currency: each line at the FX snapshot it carries. */
  const reportingBalanceOf = async (account: string): Promise<string> => {
    const [row] = (await t.dataSource.query(
      `SELECT COALESCE(sum((debit - credit) * fx_rate::numeric), 0)::text AS reporting,
              count(*) FILTER (WHERE fx_rate IS NULL)::int AS unvalued
         FROM billing.journal_lines WHERE account = $1`,
      [account],
    )) as Array<{ reporting: string; unvalued: number }>;
    expect(row.unvalued).toBe(0);
    return row.reporting;
  };

  it('a refund booked at 1.08 on our day, settled by Stripe at 1.09 on its next day (our 1.10): conversion and clearing net to exactly zero in USD, realised FX is exactly $1.50 + $1.00', async () => {
    // €100.00 presented in EUR, paid today; Stripe settles it at 1.085.
    const session = await t.inject({
      method: 'POST',
      url: '/v1/billing/checkout-sessions',
      headers: t.as({ sub: 'user_fx_days', email: 'user_fx_days@example.com' }),
      payload: { productId, currency: 'EUR' },
    });
    expect(session.statusCode).toBe(201);
    const sessionId = session.json<{ id: string }>().id;
    await payWithCard(t, sessionId, '4242424242424242');
    await t.fake.flushWebhooks();
    const charge = await chargeOf(t, sessionId);

    // Refunded in full; our books settle the refund at 23:59 of the day before Stripe's balance
    // transaction for it (our clock, yesterday at 1.08), Stripe converts at 1.09: €100.00 leaves as
    // $109.00 against the $108.00 we booked, a loss of exactly $1.00.
    t.fake.controls.updateBalanceSettings({ exchangeRates: { eur: '1.09' } });
    const clock = jest
      .spyOn(t.app.get(Clock), 'now')
      .mockImplementation(() => new Date(`${yesterday}T23:59:00.000Z`));
    let refundId = '';
    try {
      const refund = await t.inject({
        method: 'POST',
        url: `/v1/admin/charges/${String(charge.id)}/refunds`,
        headers: { ...t.as(FINANCE), 'idempotency-key': randomUUID() },
        payload: { amount: 10_000, reason: 'requested_by_customer' },
      });
      expect(refund.statusCode).toBe(201);
      refundId = refund.json<{ id: string }>().id;
      await t.fake.flushWebhooks();
      await eventually(async () => {
        const [row] = (await t.dataSource.query('SELECT status FROM billing.refunds WHERE id = $1', [
          refundId,
        ])) as Array<{ status: string }>;
        return row?.status === 'succeeded';
      }, 20_000);
    } finally {
      clock.mockRestore();
    }
    const [booked] = (await t.dataSource.query(
      `SELECT to_char(processed_at, 'YYYY-MM-DD') AS day FROM billing.refunds WHERE id = $1`,
      [refundId],
    )) as Array<{ day: string }>;
    expect(booked.day).toBe(yesterday);
    const processor = t.app.get<PaymentProcessor>(PAYMENT_PROCESSOR);
    const refunds = (await processor.listBalanceTransactions({ type: 'refund' })).data;
    expect(
      refunds.map((txn) => [txn.amountMinor, txn.currency, txn.createdAt.toISOString().slice(0, 10)]),
    ).toEqual([[-10_900, 'USD', today]]);

    const view = await reconcile(today);
    expect(view.exceptions.data).toEqual([]);
    expect(view.counts).toMatchObject({ matched: 2 });

    // Realised FX, exactly: the charge booked today at 1.10 ($110.00) and credited by Stripe at
    // 1.085 ($108.50) loses $1.50; the refund booked yesterday at 1.08 ($108.00) and taken by
    // Stripe at 1.09 ($109.00) loses $1.00.
    expect(await balanceOf('fx_gains_losses', 'USD')).toBe(150 + 100);
    expect(Number(await reportingBalanceOf('fx_gains_losses'))).toBe(150 + 100);
    // The conversion and the EUR clearing net to exactly zero in the reporting currency.
    expect(Number(await reportingBalanceOf('currency_conversion'))).toBe(0);
    expect(Number(await reportingBalanceOf('processor_clearing'))).toBe(0);
    // The refund's EUR lines of the reconciliation entry carry the rate of the day it was booked.
    const refundLines = (await t.dataSource.query(
      `SELECT DISTINCT l.fx_rate, to_char(l.fx_as_of, 'YYYY-MM-DD') AS as_of
         FROM billing.journal_lines l JOIN billing.journal_entries e ON e.id = l.entry_id
        WHERE e.event = 'processor.balance_transactions' AND l.currency = 'EUR' AND l.credit > 0
          AND l.account = 'currency_conversion'`,
    )) as Array<{ fx_rate: string; as_of: string }>;
    expect(refundLines).toEqual([{ fx_rate: '1.08', as_of: yesterday }]);

    // Each currency balances, and so does the whole ledger in the reporting currency.
    expect(await trialBalanced(t)).toBe(true);
    const [whole] = (await t.dataSource.query(
      `SELECT sum((debit - credit) * fx_rate::numeric)::text AS reporting,
              count(*) FILTER (WHERE fx_rate IS NULL)::int AS unvalued
         FROM billing.journal_lines`,
    )) as Array<{ reporting: string; unvalued: number }>;
    expect(whole.unvalued).toBe(0);
    expect(Number(whole.reporting)).toBe(0);
    await expectBooksClean(t.app);
  });
});

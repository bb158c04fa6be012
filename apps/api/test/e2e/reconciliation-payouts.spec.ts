import { randomUUID } from 'node:crypto';
import type { ReconciliationView } from '@astrix/contracts';
import type { PaymentProcessor } from '@astrix/stripe-client';
import { PAYMENT_PROCESSOR } from '../../src/platform/payment-processor/payment-processor.provider';
import { BillingTestApp, productBySlug, startBillingTestApp } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { idempotent } from '../support/idempotency';
import { fundedAccount } from '../support/payouts';
import { eventually, issueApiKey } from '../support/test-app';

/**
 * A trader payout sent through a Stripe transfer is matched to the payout by the transfer id
 * (payouts answers through its registered lookup): the transfer clears trader payouts clearing,
 * the evaluation fee refunded with it clears processor clearing, and the ledger's Stripe balance
 * is Stripe's.
 */
describe('reconciliation: trader payout transfers', () => {
  let t: BillingTestApp;
  const finance = { sub: 'staff_fin_recon_1', roles: ['finance'] };
  const finance2 = { sub: 'staff_fin_recon_2', roles: ['finance'] };
  beforeAll(async () => {
    t = await startBillingTestApp();
    const product = await productBySlug(t, 'evaluation-50k');
    const rules = await t.inject({
      method: 'PUT',
      url: `/v1/admin/payouts/rules/${product.id}`,
      headers: t.as(finance),
      payload: { minTradingDays: 0, cycleDays: 0, fourEyesAbove: 100_000, capPerCycle: 300_000 },
    });
    expect(rules.statusCode).toBe(200);
  });
  afterAll(() => t.close());

  const balanceOf = async (account: string): Promise<number> => {
    const [row] = await t.dataSource.query(
      `SELECT COALESCE(sum(debit) - sum(credit), 0)::bigint AS balance FROM billing.journal_lines WHERE account = $1 AND currency = 'USD'`,
      [account],
    );
    return Number(row.balance);
  };

  it('matches the transfer to the trader payout and leaves every clearing account at zero', async () => {
    const keys = {
      platformKey: await issueApiKey(t, 'trading-platform', ['accounts:write']),
      identityKey: await issueApiKey(t, 'identity', ['kyc:write']),
    };
    const sub = 'user_recon_payout';
    const account = await fundedAccount(t, keys, sub, 250_000);
    const requested = await t.inject({
      method: 'POST',
      url: '/v1/payouts',
      headers: idempotent(t.as({ sub })),
      payload: { method: 'stripe_connect', accountId: account.id },
    });
    expect(requested.statusCode).toBe(201);
    const payout = requested.json();
    for (const who of [finance, finance2]) {
      await t.inject({
        method: 'POST',
        url: `/v1/admin/payouts/${payout.id}/approve`,
        headers: idempotent(t.as(who)),
      });
    }
    await eventually(async () => {
      const view = (
        await t.inject({ method: 'GET', url: `/v1/payouts/${payout.id}`, headers: t.as({ sub }) })
      ).json();
      return view.status === 'paid';
    }, 20_000);
    await t.fake.flushWebhooks();

    const today = new Date().toISOString().slice(0, 10);
    const started = await t.inject({
      method: 'POST',
      url: '/v1/admin/reconciliations',
      headers: { ...t.as(finance), 'idempotency-key': randomUUID() },
      payload: { date: today },
    });
    expect(started.statusCode).toBe(202);
    const view = await eventually(async () => {
      const body = (
        await t.inject({
          method: 'GET',
          url: `/v1/admin/reconciliations/${started.json().id}`,
          headers: t.as(finance),
        })
      ).json<ReconciliationView>();
      return body.status === 'completed' ? body : null;
    }, 30_000);
    expect(view.exceptions.data).toEqual([]);
    // The purchase, the fee refunded with the first payout, the transfer.
    expect(view.counts).toMatchObject({ balanceTransactions: 3, matched: 3 });
    const [transfer] = await t.dataSource.query(
      `SELECT our_source_type, our_source_id, amount FROM billing.reconciliation_items WHERE type = 'transfer'`,
    );
    expect(transfer).toEqual({
      our_source_type: 'trader_payout',
      our_source_id: payout.id,
      amount: String(-payout.amount),
    });
    expect(await balanceOf('trader_payouts_clearing')).toBe(0);
    expect(await balanceOf('processor_clearing')).toBe(0);
    const [stripe] = (await t.app.get<PaymentProcessor>(PAYMENT_PROCESSOR).retrieveBalance()).filter(
      (balance) => balance.currency === 'USD',
    );
    expect({
      pending: await balanceOf('stripe_balance_pending'),
      available: await balanceOf('stripe_balance_available'),
    }).toEqual({ pending: stripe.pendingMinor, available: stripe.availableMinor });
    await expectBooksClean(t.app);
  });
});

import type { BillingTestApp } from '../billing';
import { fundedAccount } from '../payouts';

/** Tables whose ids the fuzz suite puts in paths, so that requests reach past "not found". */
const ID_TABLES = [
  'billing.products',
  'billing.customers',
  'billing.charges',
  'billing.invoices',
  'billing.checkout_sessions',
  'billing.subscriptions',
  'billing.coupons',
  'billing.fraud_signals',
  'billing.billing_runs',
  'billing.usage_alerts',
  'billing.features',
  'accounts.accounts',
  'payouts.payouts',
  'payouts.payout_tasks',
  'platform.webhook_endpoints',
];

/**
 * Real data for the fuzz suite, built through the API as production builds it: the trader
 * `trader.sub` buys an evaluation that is funded, KYC-verified and has a balance and a payout
 * destination; staff add a coupon and a webhook endpoint. Returns the ids of the rows it made
 * (never API key ids: a fuzzed revoke must not cut the suite's own key).
 */
export async function seedForFuzz(
  t: BillingTestApp,
  serviceKey: string,
  trader: { sub: string },
  staff: Record<string, string>,
): Promise<string[]> {
  await fundedAccount(t, { platformKey: serviceKey, identityKey: serviceKey }, trader.sub, 250_000);
  const created = await Promise.all([
    t.inject({
      method: 'POST',
      url: '/v1/admin/coupons',
      headers: staff,
      payload: { code: 'FUZZ10', kind: 'percent_off', percentOff: '10' },
    }),
    t.inject({
      method: 'POST',
      url: '/v1/admin/webhook-endpoints',
      headers: staff,
      payload: { url: 'http://127.0.0.1:9/fuzz', eventTypes: ['billing.payment.completed'] },
    }),
  ]);
  for (const response of created) {
    if (response.statusCode !== 201) throw new Error(`fuzz seed refused: ${response.body}`);
  }
  const ids: string[] = [];
  for (const table of ID_TABLES) {
    const rows = (await t.dataSource.query(`SELECT id FROM ${table} ORDER BY id LIMIT 5`)) as Array<{
      id: string;
    }>;
    ids.push(...rows.map((row) => String(row.id)));
  }
  return ids;
}

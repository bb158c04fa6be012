import { type BillingTestApp, productBySlug, purchase } from './billing';
import { eventually, issueApiKey } from './test-app';

export interface PayoutFixtureKeys {
  /** API key of the trading platform (`accounts:write`): reports phases and balances. */
  platformKey: string;
  /** API key of the identity service (`kyc:write`): reports KYC verdicts. */
  identityKey: string;
}

/**
 * What every payout suite starts with: the trading platform's and identity's API keys, and payout
 * rules on the 50k evaluation that allow a payout at once (four-eyes above 1,000.00).
 */
export async function preparePayouts(
  t: BillingTestApp,
  finance: { sub: string; roles: string[] },
): Promise<PayoutFixtureKeys> {
  const platformKey = await issueApiKey(t, 'trading-platform', ['accounts:write']);
  const identityKey = await issueApiKey(t, 'identity', ['kyc:write']);
  const product = await productBySlug(t, 'evaluation-50k');
  const rules = await t.inject({
    method: 'PUT',
    url: `/v1/admin/payouts/rules/${product.id}`,
    headers: t.as(finance),
    payload: { minTradingDays: 0, cycleDays: 0, fourEyesAbove: 100_000, capPerCycle: 300_000 },
  });
  if (rules.statusCode !== 200) throw new Error(`payout rules not set: ${rules.statusCode} ${rules.body}`);
  return { platformKey, identityKey };
}

let tradingEvents = 0;

/**
 * A funded account ready for payouts, built as production builds it: buys an evaluation, the
 * trading platform passes both phases and funds it, identity verifies KYC (unless `kyc: false`),
 * the platform reports `balance` of profit, and the trader names a Stripe destination.
 */
export async function fundedAccount(
  t: BillingTestApp,
  keys: PayoutFixtureKeys,
  sub: string,
  balance: number,
  options: { kyc?: boolean } = {},
): Promise<{ id: string; chargeId: string }> {
  const service = (path: string, apiKey: string, payload: Record<string, unknown>) =>
    t.inject({ method: 'POST', url: path, headers: { authorization: `Bearer ${apiKey}` }, payload });
  const trader = { sub, email: `${sub}@example.com` };
  const { charge } = await purchase(t, trader, 'evaluation-50k');
  const account = await eventually(async () => {
    const list = await t.inject({ method: 'GET', url: '/v1/accounts', headers: t.as(trader) });
    return list
      .json()
      .data.find(
        (item: { chargeId: string; status: string }) =>
          item.chargeId === charge.id && item.status === 'active',
      ) as { id: string } | undefined;
  });
  for (const type of ['passed', 'passed', 'funded']) {
    tradingEvents += 1;
    const reported = await service(`/v1/accounts/${account.id}/events`, keys.platformKey, {
      eventId: `tp_${process.pid}_${tradingEvents}`,
      type,
      occurredAt: new Date().toISOString(),
      reason: type,
    });
    if (reported.statusCode !== 200) throw new Error(`trading event refused: ${reported.body}`);
  }
  if (options.kyc ?? true) {
    await service('/v1/payouts/kyc-statuses', keys.identityKey, {
      userId: sub,
      status: 'verified',
      updatedAt: new Date().toISOString(),
    });
  }
  const snapshot = await service('/v1/payouts/balance-snapshots', keys.platformKey, {
    accountId: account.id,
    balance: 5_000_000 + balance,
    reportedAt: new Date().toISOString(),
  });
  if (snapshot.statusCode !== 200) throw new Error(`balance snapshot refused: ${snapshot.body}`);
  const destination = t.fake.controls.createConnectedAccount();
  await t.inject({
    method: 'PUT',
    url: '/v1/payouts/destinations/stripe',
    headers: t.as(trader),
    payload: { stripeAccountId: destination.id },
  });
  return { id: account.id, chargeId: charge.id as string };
}

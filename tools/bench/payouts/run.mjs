#!/usr/bin/env node
// Payout requests through eligibility, reservation and (auto-)approval: POST /v1/payouts by bank
// transfer (no processor call, so the figure is ours), with contention on one account and spread
// across many. Setup goes through the real API: each trader buys an evaluation on the sandbox
// Stripe, the trading platform passes and funds it and reports a balance, identity verifies KYC.
// Usage: pnpm exec nx run @astrix/api:build && node tools/bench/payouts/run.mjs [--accounts 30] [--duration 10] [--connections 10]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { machine, mintToken, startApi, summarize } from '../lib/api-server.mjs';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '30' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
  },
});
const accountsWanted = Number(values.accounts);
// Every bench trader pays with the same test card from the same address: the fraud rules would
// rightly hold or refuse them all.
const benchTraders = JSON.stringify({
  sharedCard: { maxUsers: 1e6 },
  cardVelocity: { maxCharges: 1e6 },
  ipVelocity: { maxCheckouts: 1e6 },
});
const api = await startApi({ port: 3987, seed: true, env: { FRAUD_RULES: benchTraders } });
const fake = `http://127.0.0.1:${Number(api.env.STRIPE_SANDBOX_PORT)}`;
const token = (claims) => mintToken(api.env.AUTH_JWT_SECRET, claims);
const call = async (method, path, bearer, body) => {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
};

const admin = token({ sub: 'bench_admin', roles: ['admin'] });
const platform = (
  await call('POST', '/v1/admin/api-keys', admin, { name: 'platform', scopes: ['accounts:write'] })
).key;
const identity = (
  await call('POST', '/v1/admin/api-keys', admin, { name: 'identity', scopes: ['kyc:write'] })
).key;
const productId = api.query(`SELECT id FROM billing.products WHERE slug = 'evaluation-50k'`);
await call(
  'PUT',
  `/v1/admin/payouts/rules/${productId}`,
  token({ sub: 'bench_finance', roles: ['finance'] }),
  {
    minTradingDays: 0,
    cycleDays: 0,
    fourEyesAbove: 1e12,
    capPerCycle: 1e12,
  },
);

const funded = [];
let eventSequence = 0;
for (let index = 0; index < accountsWanted; index += 1) {
  const sub = `bench_payee_${index}`;
  const trader = token({ sub, email: `${sub}@bench.test` });
  const session = await call('POST', '/v1/billing/checkout-sessions', trader, { productId, currency: 'USD' });
  const stripeSession = api.query(
    `SELECT stripe_checkout_session_id FROM billing.checkout_sessions WHERE id = '${session.id}'`,
  );
  await fetch(`${fake}/sandbox/checkout-sessions/${stripeSession}/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ card: '4242424242424242' }),
  });
  let account = null;
  for (let waited = 0; !account && waited < 30_000; waited += 100) {
    account = (await call('GET', '/v1/accounts', trader)).data.find((item) => item.status === 'active');
    if (!account) await sleep(100);
  }
  if (!account) throw new Error(`no account for ${sub}`);
  for (const type of ['passed', 'passed', 'funded']) {
    eventSequence += 1;
    await call('POST', `/v1/accounts/${account.id}/events`, platform, {
      eventId: `bench_tp_${eventSequence}`,
      type,
      occurredAt: new Date().toISOString(),
      reason: type,
    });
  }
  await call('POST', '/v1/payouts/kyc-statuses', identity, {
    userId: sub,
    status: 'verified',
    updatedAt: new Date().toISOString(),
  });
  // A large profit, so the bench measures requests, not running out of money.
  await call('POST', '/v1/payouts/balance-snapshots', platform, {
    accountId: account.id,
    balance: 5_000_000 + 1_000_000_000,
    reportedAt: new Date().toISOString(),
  });
  funded.push({ token: trader, accountId: account.id });
}

async function run(label, pick) {
  let sent = 0;
  const options = {
    url: `${api.url}/v1/payouts`,
    method: 'POST',
    connections: Number(values.connections),
    requests: [
      {
        setupRequest(request) {
          const target = pick(sent);
          sent += 1;
          return {
            ...request,
            body: JSON.stringify({ accountId: target.accountId, amount: 10_000, method: 'bank_transfer' }),
            // A payout request moves money: the API requires an Idempotency-Key (a new one per request).
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${target.token}`,
              'idempotency-key': randomUUID(),
            },
          };
        },
      },
    ],
  };
  const result = await autocannon({ ...options, duration: Number(values.duration) });
  return { label, ...summarize(result), status2xx: result['2xx'] };
}
const one = await run('one account (every request contends for the same reservation lock)', () => funded[0]);
const many = await run(`${funded.length} accounts, round robin`, (sent) => funded[sent % funded.length]);
const ledgerBalanced = api.query(`SELECT count(*) FROM payouts.payouts WHERE status = 'processing'`);
await api.stop();

console.log(
  JSON.stringify(
    {
      benchmark: 'payouts: POST /v1/payouts (eligibility, reservation, auto-approval), bank transfer',
      date: new Date().toISOString(),
      ...machine(),
      connections: Number(values.connections),
      durationSeconds: Number(values.duration),
      fundedAccounts: funded.length,
      results: [one, many],
      payoutsAwaitingBankExport: Number(ledgerBalanced),
    },
    null,
    2,
  ),
);
process.exit(one.failures + many.failures > 0 ? 1 : 0);

#!/usr/bin/env node
// Added latency of the fraud rules, measured in-process on the built code against a database
// holding 1,000,000 prior charges (and as many checkout sessions) for 100,000 customers:
// - checkout: FraudService.screenCheckout (block check, per-user lock, user and IP velocity);
// - payment: FraudService.screenPayment (card velocity, shared card, card testing, coupon abuse,
//   country mismatch, Radar) for a new charge.
// Each call runs in a transaction that is rolled back, so the data stays the same.
// Usage: (cd apps/api && pnpm build) && node tools/bench/fraud-check/run.mjs [--charges 1000000] [--iterations 2000]
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machine, root } from '../lib/api-server.mjs';
import { startAppContext } from '../lib/app-context.mjs';

const { values } = parseArgs({
  options: {
    charges: { type: 'string', default: '1000000' },
    iterations: { type: 'string', default: '2000' },
  },
});
const charges = Number(values.charges);
const customers = Math.max(1, Math.floor(charges / 10));
const iterations = Number(values.iterations);
const database = `astrix_bench_fraud_${Date.now()}`;
const databaseUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
const env = { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'development', LOG_LEVEL: 'warn' };
const psql = (sql) =>
  execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', database, '-qAtc', sql], {
    encoding: 'utf8',
  });

execFileSync(process.execPath, [join(root, 'apps/api/dist/cli.js'), 'db', 'migrate'], {
  env,
  stdio: 'ignore',
});
const loadStarted = Date.now();
psql(`
  INSERT INTO billing.customers (id, user_id, email, stripe_customer_id, fraud_status, created_at)
  SELECT 'cust_' || lpad(g::text, 26, '0'), 'user_' || g, NULL, 'cus_' || g, 'clear', now() - interval '100 days'
    FROM generate_series(1, ${customers}) g;
  INSERT INTO billing.checkout_sessions (id, customer_id, user_id, product_id, price_id, currency, subtotal_amount,
      discount_amount, total_amount, breakdown, stripe_checkout_session_id, status, client_ip, created_at)
  SELECT 'chk_' || lpad(g::text, 26, '0'), 'cust_' || lpad((g % ${customers} + 1)::text, 26, '0'), 'user_' || (g % ${customers} + 1),
         'prd_bench', 'prc_bench', 'USD', 29900, 0, 29900, '{}'::jsonb, 'cs_' || g,
         CASE WHEN g % 20 = 0 THEN 'failed' ELSE 'completed' END,
         '10.' || (g % 250) || '.' || (g % 200) || '.' || (g % 97), now() - (g % 129600) * interval '1 minute'
    FROM generate_series(1, ${charges}) g;
  INSERT INTO billing.charges (id, customer_id, user_id, checkout_session_id, product_id, amount, currency, amount_refunded,
      status, stripe_payment_intent_id, stripe_charge_id, card_brand, card_last4, card_fingerprint, card_country, discount_amount, paid_at)
  SELECT 'chg_' || lpad(g::text, 26, '0'), 'cust_' || lpad((g % ${customers} + 1)::text, 26, '0'), 'user_' || (g % ${customers} + 1),
         'chk_' || lpad(g::text, 26, '0'), 'prd_bench', 29900, 'USD', 0, 'succeeded', 'pi_' || g, 'ch_' || g, 'visa', '4242',
         'fp_' || (g % ${Math.floor(customers * 1.5)}), 'US', 0, now() - (g % 129600) * interval '1 minute'
    FROM generate_series(1, ${charges}) g;
  ANALYZE billing.customers; ANALYZE billing.checkout_sessions; ANALYZE billing.charges;
`);
const loadSeconds = (Date.now() - loadStarted) / 1000;

// FraudService as the app builds it (Nest, workers off): its real dependencies, whatever their files.
const { app, service, dataSource } = await startAppContext({
  // An app that cannot start (a provider renamed or missing) leaves no bench database behind.
  onFailure: () =>
    execFileSync(
      'psql',
      [
        'postgres://postgres@127.0.0.1:5432/postgres',
        '-qc',
        `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`,
      ],
      { stdio: 'ignore' },
    ),
  env: {
    ...env,
    QUEUE_PREFIX: `bench_fraud_${Date.now()}`,
    AUTH_JWT_SECRET: 'bench-secret-bench-secret-bench-secret-42',
    STRIPE_SANDBOX_PORT: String(20_000 + (Date.now() % 20_000)),
    BILLING_RUN_CRON: '',
  },
});
const fraud = service('FraudService');

class Rollback extends Error {}
async function timed(work) {
  const started = process.hrtime.bigint();
  await dataSource
    .transaction(async (manager) => {
      await work(manager);
      throw new Rollback();
    })
    .catch((error) => {
      if (!(error instanceof Rollback)) throw error;
    });
  return Number(process.hrtime.bigint() - started) / 1e6;
}
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summary = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (value) => Math.round(value * 1000) / 1000;
  return {
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1]),
  };
};
const baseline = [];
const checkout = [];
const payment = [];
for (let index = 0; index < iterations; index += 1) {
  const n = 1 + Math.floor(Math.random() * customers);
  const customer = await dataSource
    .getRepository('Customer')
    .findOneOrFail({ where: { userId: `user_${n}` } });
  // The same empty transaction without the rules: what the rules add is the difference.
  baseline.push(await timed(async () => {}));
  checkout.push(
    await timed((manager) =>
      fraud.screenCheckout(manager, { customer, clientIp: `10.${n % 250}.${n % 200}.${n % 97}` }),
    ),
  );
  payment.push(
    await timed(async (manager) => {
      const charge = {
        id: `chg_bench_${index}`,
        customerId: customer.id,
        userId: customer.userId,
        amount: 29900,
        currency: 'USD',
        cardFingerprint: `fp_${n % Math.floor(customers * 1.5)}`,
        cardCountry: 'US',
        paidAt: new Date(),
      };
      await fraud.screenPayment(manager, {
        charge,
        session: { clientCountry: 'US', profileCountry: null },
        coupon: null,
        processorCharge: { riskOutcome: { riskLevel: 'normal', riskScore: 20 } },
      });
    }),
  );
}
await app.close();
execFileSync('psql', [
  '-h',
  '127.0.0.1',
  '-U',
  'postgres',
  '-qc',
  `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`,
]);

console.log(
  JSON.stringify(
    {
      benchmark: 'fraud-check: rules latency with prior charges in the table',
      date: new Date().toISOString(),
      ...machine(),
      priorCharges: charges,
      priorCheckoutSessions: charges,
      customers,
      loadSeconds,
      iterations,
      emptyTransactionMs: summary(baseline),
      checkoutRulesMs: summary(checkout),
      paymentRulesMs: summary(payment),
    },
    null,
    2,
  ),
);

#!/usr/bin/env node
// Reconciliation of a day of N processor balance transactions (default 1,000,000) against the books,
// in-process on the built code against Postgres and the sandbox fake Stripe (the official SDK over
// HTTP, as in production). The fake is seeded with its bulk control (synthetic charges, every
// --refund-every-th a full refund of the charge before it); our database gets the matching charges
// and refunds by bulk SQL from the very same rows (`syntheticBalanceTransactions`). Then one run
// reconciles the day: pages through the port, one lookup per page, items, one journal entry and the
// cursor per page. Prints items/s, the total time, and the run's counts (all matched).
// Usage: pnpm exec nx run @astrix/api:build && nice -n 10 node tools/bench/reconciliation/run.mjs
//          [--transactions 1000000] [--page 100] [--refund-every 10]
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machine, root } from '../lib/api-server.mjs';
import { startAppContext } from '../lib/app-context.mjs';

const { values } = parseArgs({
  options: {
    transactions: { type: 'string', default: '1000000' },
    page: { type: 'string', default: '100' },
    'refund-every': { type: 'string', default: '10' },
  },
});
const count = Number(values.transactions);
const pageSize = Number(values.page);
const refundEvery = Number(values['refund-every']);
const stamp = Date.now();
const database = `astrix_bench_reconciliation_${stamp}`;
const databaseUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
const admin = 'postgres://postgres@127.0.0.1:5432/postgres';
const env = { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'development', LOG_LEVEL: 'warn' };
const dropDatabase = () =>
  execFileSync('psql', [admin, '-qc', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`], {
    stdio: 'ignore',
  });

execFileSync(process.execPath, [join(root, 'apps/api/dist/cli.js'), 'db', 'migrate'], {
  env,
  stdio: 'ignore',
});

const { app, require, service, dataSource } = await startAppContext({
  onFailure: dropDatabase,
  env: {
    DATABASE_URL: databaseUrl,
    QUEUE_PREFIX: `bench_reconciliation_${stamp}`,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    AUTH_JWT_SECRET: 'bench-secret-bench-secret-bench-secret-42',
    // Sandbox mode: the app hosts the fake Stripe in-process and talks to it through the SDK.
    STRIPE_SECRET_KEY: '',
    STRIPE_SANDBOX_PORT: String(20_000 + (stamp % 20_000)),
    BILLING_RUN_CRON: '',
    RECONCILIATION_CRON: '',
    RECONCILIATION_PAGE_SIZE: String(pageSize),
  },
});
const { syntheticBalanceTransactions } = require('@astrix/stripe-client');
// The processor host is built by a factory: look it up by its class.
const { PaymentProcessorHost } = require(
  join(root, 'apps/api/dist/platform/payment-processor/payment-processor.provider.js'),
);
const fake = app.get(PaymentProcessorHost, { strict: false }).sandboxServer;
if (!fake) throw new Error('the bench needs the sandbox fake Stripe (no STRIPE_SECRET_KEY)');
if (pageSize > 100) fake.controls.updateBalanceSettings({ maxListLimit: pageSize });

// Yesterday: a whole day, over.
const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const options = { count, day, seed: 'bench', refundEvery };
const seedStarted = performance.now();
const seeded = fake.controls.seedBalanceTransactions(options);

// Our side: the same charges and refunds, in chunks, by unnest.
await dataSource.query(`
  INSERT INTO billing.products (id, kind, name, description, attributes, slug, status, created_at, updated_at)
  VALUES ('prd_bench', 'evaluation', 'Bench evaluation', NULL, '{}', 'bench-evaluation', 'active', now(), now())`);
await dataSource.query(`
  INSERT INTO billing.customers (id, user_id, email, stripe_customer_id, fraud_status, default_payment_method_id, created_at)
  VALUES ('cust_bench', 'user_bench', 'bench@example.com', 'cus_bench', 'clear', NULL, now())`);
const charges = { id: [], charge: [], intent: [], amount: [], currency: [], at: [] };
const refunds = { id: [], refund: [], charge: [], amount: [], currency: [], at: [] };
const chargeIdOf = new Map();
let ours = 0;
const flush = async () => {
  if (charges.id.length > 0) {
    await dataSource.query(
      `INSERT INTO billing.charges (id, customer_id, user_id, product_id, amount, currency, amount_refunded, status,
                                    stripe_payment_intent_id, stripe_charge_id, discount_amount, paid_at)
       SELECT id, 'cust_bench', 'user_bench', 'prd_bench', amount, currency, 0, 'succeeded', intent, charge, 0, at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[])
           AS c(id, charge, intent, amount, currency, at)`,
      [charges.id, charges.charge, charges.intent, charges.amount, charges.currency, charges.at],
    );
  }
  if (refunds.id.length > 0) {
    await dataSource.query(
      `INSERT INTO billing.refunds (id, charge_id, amount, currency, reason, status, stripe_refund_id, requested_by,
                                    created_at, processed_at)
       SELECT id, charge, amount, currency, 'requested_by_customer', 'succeeded', refund, 'bench', at, at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[])
           AS r(id, refund, charge, amount, currency, at)`,
      [refunds.id, refunds.refund, refunds.charge, refunds.amount, refunds.currency, refunds.at],
    );
  }
  for (const list of [charges, refunds]) for (const key of Object.keys(list)) list[key] = [];
};
for (const row of syntheticBalanceTransactions(options)) {
  ours += 1;
  const at = new Date(row.created * 1000);
  if (row.type === 'charge') {
    const id = `chg_${String(ours).padStart(26, '0')}`;
    chargeIdOf.set(row.chargeId, id);
    charges.id.push(id);
    charges.charge.push(row.chargeId);
    charges.intent.push(row.paymentIntentId);
    charges.amount.push(row.amountMinor);
    charges.currency.push(row.currency);
    charges.at.push(at);
  } else {
    refunds.id.push(`ref_${String(ours).padStart(26, '0')}`);
    refunds.refund.push(row.refundId);
    refunds.charge.push(chargeIdOf.get(row.chargeId));
    refunds.amount.push(-row.amountMinor);
    refunds.currency.push(row.currency);
    refunds.at.push(at);
  }
  if (charges.id.length + refunds.id.length >= 20_000) await flush();
}
await flush();
chargeIdOf.clear();
await dataSource.query('ANALYZE billing.charges; ANALYZE billing.refunds');
const seedSeconds = (performance.now() - seedStarted) / 1000;

const reconciliations = service('Reconciliations');
const started = performance.now();
const run = await reconciliations.runNow(day, { actor: { kind: 'system', name: 'bench' }, requestId: null });
const seconds = (performance.now() - started) / 1000;
const [{ entries }] = await dataSource.query(`SELECT count(*)::int AS entries FROM billing.journal_entries`);
const [{ lines }] = await dataSource.query(`SELECT count(*)::int AS lines FROM billing.journal_lines`);
const [{ unbalanced }] = await dataSource.query(
  `SELECT count(*)::int AS unbalanced FROM (SELECT currency FROM billing.journal_lines GROUP BY currency
                                             HAVING sum(debit) <> sum(credit)) u`,
);
console.log(
  JSON.stringify(
    {
      bench: 'reconciliation',
      machine: machine(),
      day,
      balanceTransactions: seeded.count,
      ourRows: ours,
      pageSize,
      seedSeconds: Math.round(seedSeconds * 10) / 10,
      run: { id: run.id, status: run.status, pages: run.pages, counts: run.counts },
      journalEntries: entries,
      journalLines: lines,
      unbalancedCurrencies: unbalanced,
      durationSeconds: Math.round(seconds * 100) / 100,
      itemsPerSecond: Math.round(seeded.count / seconds),
    },
    null,
    2,
  ),
);
await service('JobQueue').queue('billing').obliterate({ force: true });
await app.close();
dropDatabase();

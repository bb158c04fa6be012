#!/usr/bin/env node
// The billing run over N subscriptions whose period just ended (default 100,000), in-process on the
// built code against Postgres and Redis: every subscription gets its invoice (numbered, with lines,
// events and audit rows), its period advanced, and its billing.invoice.finalized event in the outbox,
// from which collection starts. The services are built by Nest from the built app module.
// Prints the duration, invoices per second, and the time per invoice (from the start of the batch
// that issued it until that batch committed): p50/p90/p99/max. Then its floor (raw-floor.mjs): the
// same rows written again into a twin database, one statement per batch, and the run against it.
// Usage: (cd apps/api && pnpm build) && node tools/bench/billing-run/run.mjs [--subscriptions 100000] [--batch 15] [--parallel 3] [--floor yes|no]
// The defaults are the billing run's own (DEFAULT_BILLING_RUN_BATCH_SIZE, DEFAULT_BILLING_RUN_PARALLELISM).
// BENCH_PG_HOST=/var/run/postgresql reaches Postgres over its Unix socket (tools/bench/lib/postgres.mjs).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuUsageOf, machine, root } from '../lib/api-server.mjs';
import { startAppContext } from '../lib/app-context.mjs';
import { rawReplayFloor } from './raw-floor.mjs';
import { databaseUrl as urlOf, psql as psqlOn } from '../lib/postgres.mjs';

const { values } = parseArgs({
  options: {
    subscriptions: { type: 'string', default: '100000' },
    // yes: after the run, its rows written again raw into a twin database (raw-floor.mjs), as its floor.
    floor: { type: 'string', default: 'yes' },
    batch: { type: 'string', default: '15' },
    parallel: { type: 'string', default: '3' },
  },
});
const count = Number(values.subscriptions);
const batchSize = Number(values.batch);
const parallelism = Number(values.parallel);
const database = `astrix_bench_billing_run_${Date.now()}`;
const databaseUrl = urlOf(database);
const queuePrefix = `bench_run_${Date.now()}`;
const env = { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'development', LOG_LEVEL: 'warn' };
const psql = (sql) => psqlOn(database, sql);

execFileSync(process.execPath, [join(root, 'apps/api/dist/cli.js'), 'db', 'migrate'], {
  env,
  stdio: 'ignore',
});
// Ended two hours ago: past the hour of grace for late usage, so every subscription is due.
const periodEnd = new Date(Date.now() - 2 * 3_600_000);
const periodStart = new Date(periodEnd.getTime() - 30 * 86_400_000);
const seed = `
  INSERT INTO billing.products (id, kind, name, description, attributes, slug, status, created_at, updated_at)
  VALUES ('prd_bench', 'subscription', 'Astrix Pro', NULL, '{}', 'bench-pro', 'active', now(), now());
  INSERT INTO billing.customers (id, user_id, email, stripe_customer_id, fraud_status, default_payment_method_id, created_at)
  SELECT 'cust_' || lpad(g::text, 26, '0'), 'user_' || g, 'trader' || g || '@example.com', 'cus_' || g, 'clear', 'pm_' || g, now()
    FROM generate_series(1, ${count}) g;
  INSERT INTO billing.subscriptions (id, customer_id, user_id, product_id, price_id, currency, unit_amount, quantity, status,
      interval, interval_count, billing_anchor, trial_end, current_period_start, current_period_end, created_at, updated_at)
  SELECT 'sub_' || lpad(g::text, 26, '0'), 'cust_' || lpad(g::text, 26, '0'), 'user_' || g, 'prd_bench', 'prc_bench',
         CASE WHEN g % 10 = 0 THEN 'EUR' ELSE 'USD' END, 4900, 1 + g % 3, 'active', 'month', 1,
         '${periodStart.toISOString()}', NULL, '${periodStart.toISOString()}', '${periodEnd.toISOString()}', now(), now()
    FROM generate_series(1, ${count}) g;
  INSERT INTO billing.customer_balances (customer_id, currency, balance, updated_at)
  SELECT 'cust_' || lpad(g::text, 26, '0'), 'USD', 1000, now() FROM generate_series(1, ${count}, 50) g;
  ANALYZE billing.customers; ANALYZE billing.subscriptions; ANALYZE billing.customer_balances;
`;
psql(seed);

// The services as the app builds them (Nest, workers off): the production bindings, whatever their files.
const { app, service, dataSource } = await startAppContext({
  // An app that cannot start (a provider renamed or missing) leaves no bench database behind.
  onFailure: () =>
    psqlOn('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, { stdio: 'ignore' }),
  env: {
    DATABASE_URL: databaseUrl,
    QUEUE_PREFIX: queuePrefix,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    AUTH_JWT_SECRET: 'bench-secret-bench-secret-bench-secret-42',
    STRIPE_SANDBOX_PORT: String(20_000 + (Date.now() % 20_000)),
    BILLING_RUN_CRON: '',
  },
});
const runs = service('BillingRuns');
const queue = service('JobQueue').queue('billing');

const perInvoice = [];
/** When each invoice's batch committed, in ms since the run started. */
const completedAt = [];
const run = await runs.create(
  'manual',
  { actor: { kind: 'system', name: 'bench' }, requestId: null },
  new Date(),
);
// CPU the run costs (this process and the database's backends): whether a slow run did more work or
// ran on a slower machine (the same build's CPU per invoice moves with the machine's speed too).
const stopCpu = await cpuUsageOf(process.pid, async () =>
  (
    await dataSource.query(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    )
  ).map((row) => row.pid),
);
const started = performance.now();
const result = await runs.execute(run.id, {
  batchSize,
  parallelism,
  onBatch: ({ invoices, durationMs }) => {
    const committed = performance.now() - started;
    for (let index = 0; index < invoices; index += 1) {
      perInvoice.push(durationMs);
      completedAt.push(committed);
    }
  },
});
const seconds = (performance.now() - started) / 1000;
const { processSeconds: benchProcessCpu, postgresSeconds: postgresCpu } = await stopCpu();
const [{ invoices }] = await dataSource.query(`SELECT count(*)::int AS invoices FROM billing.invoices`);
const [{ lines }] = await dataSource.query(`SELECT count(*)::int AS lines FROM billing.invoice_lines`);
const [{ events }] = await dataSource.query(`SELECT count(*)::int AS events FROM platform.outbox_events`);
// Collection starts from each invoice's billing.invoice.finalized event (the outbox relay enqueues it).
const [{ finalized }] = await dataSource.query(
  `SELECT count(*)::int AS finalized FROM platform.outbox_events WHERE type = 'billing.invoice.finalized'`,
);
const [{ duplicates }] = await dataSource.query(
  `SELECT count(*)::int AS duplicates FROM (SELECT subscription_id FROM billing.invoices GROUP BY subscription_id, period_start HAVING count(*) > 1) d`,
);
const jobsEnqueued = await queue.count();
const sorted = [...perInvoice].sort((a, b) => a - b);
// How the run's pace moves as it goes: invoices per second in each tenth of the run (by invoice count).
const tenths = [];
for (let tenth = 1; tenth <= 10; tenth += 1) {
  const last =
    completedAt[Math.min(completedAt.length - 1, Math.ceil((tenth / 10) * completedAt.length) - 1)];
  const first = tenth === 1 ? 0 : tenths.at(-1).until;
  tenths.push({ until: last, perSecond: Math.round(completedAt.length / 10 / ((last - first) / 1000)) });
}
const percentile = (values, p) =>
  Math.round(values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] * 10) / 10;
const at = (p) => percentile(sorted, p);

// The floor: the same rows, batch by batch, one statement each from pg clients into a twin database.
let floor = null;
if (values.floor === 'yes') {
  const floorDatabase = `${database}_floor`;
  const floorUrl = urlOf(floorDatabase);
  execFileSync(process.execPath, [join(root, 'apps/api/dist/cli.js'), 'db', 'migrate'], {
    env: { ...env, DATABASE_URL: floorUrl },
    stdio: 'ignore',
  });
  try {
    psqlOn(floorDatabase, seed);
    const replay = await rawReplayFloor({
      sourceUrl: databaseUrl,
      floorUrl,
      batchSize,
      parallelism,
      runId: run.id,
    });
    const floorSorted = replay.latencies.sort((a, b) => a - b);
    floor = {
      what: "the run's rows written again into a twin database, one statement per batch from pg clients",
      batches: replay.batches,
      invoices: replay.written,
      // Tables whose rows differ between the run's database and the twin after the replay: none.
      tablesDiffering: replay.differing,
      durationSeconds: Math.round(replay.seconds * 100) / 100,
      invoicesPerSecond: Math.round(replay.written / replay.seconds),
      msPerInvoice: Object.fromEntries(
        [
          ['p50', 50],
          ['p90', 90],
          ['p99', 99],
          ['max', 100],
        ].map(([name, p]) => [name, percentile(floorSorted, p)]),
      ),
      cpu: {
        processSeconds: Math.round(replay.processSeconds * 10) / 10,
        postgresSeconds: Math.round(replay.postgresSeconds * 10) / 10,
        msPerInvoice:
          Math.round(((replay.processSeconds + replay.postgresSeconds) * 1000 * 100) / replay.written) / 100,
      },
    };
  } finally {
    psqlOn('postgres', `DROP DATABASE IF EXISTS ${floorDatabase} WITH (FORCE)`, { stdio: 'ignore' });
  }
}
console.log(
  JSON.stringify(
    {
      bench: 'billing-run',
      machine: machine(),
      subscriptions: count,
      batchSize,
      parallelism,
      run: { status: result.status, ...result.progress },
      invoices,
      lines,
      outboxEvents: events,
      invoiceFinalizedEvents: finalized,
      billingJobsEnqueued: jobsEnqueued,
      duplicateInvoices: duplicates,
      durationSeconds: Math.round(seconds * 100) / 100,
      invoicesPerSecond: Math.round(invoices / seconds),
      msPerInvoice: { p50: at(50), p90: at(90), p99: at(99), max: at(100) },
      invoicesPerSecondByTenth: tenths.map((tenth) => tenth.perSecond),
      cpu: {
        processSeconds: Math.round(benchProcessCpu * 10) / 10,
        postgresSeconds: Math.round(postgresCpu * 10) / 10,
        msPerInvoice: Math.round(((benchProcessCpu + postgresCpu) * 1000 * 100) / invoices) / 100,
      },
      floor,
      ...(floor
        ? {
            vsFloor: {
              duration: Math.round((seconds / floor.durationSeconds) * 100) / 100,
              p99: Math.round((at(99) / floor.msPerInvoice.p99) * 100) / 100,
            },
          }
        : {}),
    },
    null,
    2,
  ),
);
await queue.obliterate({ force: true });
await app.close();
psqlOn('postgres', `DROP DATABASE ${database}`, { stdio: 'ignore' });

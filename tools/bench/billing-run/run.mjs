#!/usr/bin/env node
// The billing run over N subscriptions whose period just ended (default 100,000), in-process on the
// built code against Postgres and Redis: every subscription gets its invoice (numbered, with lines,
// events and audit rows), its period advanced, and a collection job enqueued in BullMQ.
// Prints the duration, invoices per second, and the time per invoice (from the start of the batch
// that issued it until that batch committed and enqueued collection): p50/p90/p99/max.
// Usage: pnpm exec nx run @astrix/api:build && node tools/bench/billing-run/run.mjs [--subscriptions 100000] [--batch 50] [--parallel 2]
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machine, root } from '../lib/api-server.mjs';

const { values } = parseArgs({
  options: {
    subscriptions: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '50' },
    parallel: { type: 'string', default: '2' },
  },
});
const count = Number(values.subscriptions);
const batchSize = Number(values.batch);
const parallelism = Number(values.parallel);
const database = `astrix_bench_billing_run_${Date.now()}`;
const databaseUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
const queuePrefix = `bench_run_${Date.now()}`;
const env = { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'development', LOG_LEVEL: 'warn' };
const psql = (sql) =>
  execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', database, '-qAtc', sql], { encoding: 'utf8' });

execFileSync(process.execPath, [join(root, 'apps/api/dist/cli.js'), 'db', 'migrate'], { env, stdio: 'ignore' });
// Ended two hours ago: past the hour of grace for late usage, so every subscription is due.
const periodEnd = new Date(Date.now() - 2 * 3_600_000);
const periodStart = new Date(periodEnd.getTime() - 30 * 86_400_000);
psql(`
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
`);

process.env.DATABASE_URL = databaseUrl;
const require = createRequire(join(root, 'apps/api/package.json'));
const dist = (path) => require(join(root, 'apps/api/dist', path));
const { DataSource } = require('typeorm');
const { Queue } = require('bullmq');
const { dataSourceOptions } = dist('platform/database/data-source-options.js');
const { SystemClock } = dist('platform/clock.js');
const { AuditService } = dist('platform/audit/audit.service.js');
const { OutboxService } = dist('platform/events/outbox.service.js');
const { DocumentNumbers } = dist('modules/billing/invoices/document-numbers.service.js');
const { CustomerBalances } = dist('modules/billing/subscriptions/customer-balances.service.js');
const { SubscriptionInvoicing } = dist('modules/billing/subscriptions/subscription-invoicing.service.js');
// The production binding: usage lines come from the usage capability (one query when plans have no usage prices).
const { UsageChargesService } = dist('modules/billing/usage/usage-charges.service.js');
const { BillingRuns } = dist('modules/billing/subscriptions/billing-runs.service.js');

const dataSource = new DataSource(dataSourceOptions(databaseUrl, 'astrix-bench-billing-run'));
await dataSource.initialize();
const clock = new SystemClock();
const connection = { host: '127.0.0.1', port: 6379 };
const queue = new Queue('billing', { connection, prefix: queuePrefix });
// The app's JobQueue, reduced to what the run uses, over a real BullMQ queue.
const jobs = {
  enqueue: (request) => queue.add(request.name, request.payload, { jobId: request.jobId }),
  enqueueMany: (requests) =>
    queue.addBulk(requests.map((request) => ({ name: request.name, data: request.payload, opts: { jobId: request.jobId } }))),
};
const outbox = new OutboxService(clock);
const audit = new AuditService(clock);
const balances = new CustomerBalances(dataSource, clock);
const runs = new BillingRuns(
  dataSource,
  new SubscriptionInvoicing(new DocumentNumbers(), balances, outbox, audit),
  balances,
  new UsageChargesService(),
  outbox,
  jobs,
  clock,
);

const perInvoice = [];
const run = await runs.create('manual', { actor: { kind: 'system', name: 'bench' }, requestId: null }, new Date());
const started = performance.now();
const result = await runs.execute(run.id, {
  batchSize,
  parallelism,
  onBatch: ({ invoices, durationMs }) => {
    for (let index = 0; index < invoices; index += 1) perInvoice.push(durationMs);
  },
});
const seconds = (performance.now() - started) / 1000;
const [{ invoices }] = await dataSource.query(`SELECT count(*)::int AS invoices FROM billing.invoices`);
const [{ lines }] = await dataSource.query(`SELECT count(*)::int AS lines FROM billing.invoice_lines`);
const [{ events }] = await dataSource.query(`SELECT count(*)::int AS events FROM platform.outbox_events`);
const [{ duplicates }] = await dataSource.query(
  `SELECT count(*)::int AS duplicates FROM (SELECT subscription_id FROM billing.invoices GROUP BY subscription_id, period_start HAVING count(*) > 1) d`,
);
const jobsEnqueued = await queue.count();
const sorted = [...perInvoice].sort((a, b) => a - b);
const at = (p) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10;
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
      collectionJobsEnqueued: jobsEnqueued,
      duplicateInvoices: duplicates,
      durationSeconds: Math.round(seconds * 100) / 100,
      invoicesPerSecond: Math.round(invoices / seconds),
      msPerInvoice: { p50: at(50), p90: at(90), p99: at(99), max: at(100) },
    },
    null,
    2,
  ),
);
await queue.obliterate({ force: true });
await queue.close();
await dataSource.destroy();
const admin = `postgres://postgres@127.0.0.1:5432/postgres`;
execFileSync('psql', [admin, '-qc', `DROP DATABASE ${database}`], { stdio: 'ignore' });

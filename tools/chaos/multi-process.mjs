#!/usr/bin/env node
// Many processes, one database and Redis: two API processes (behind the harness's load balancer)
// and two worker processes of the built code (apps/api/dist), the sandbox Stripe in its own
// process. Traders buy; subscriptions renew through a billing run started on both API processes
// at once, and billing runs run on both worker processes (each job records the worker that ran it);
// every Stripe event is delivered again to both API processes directly. Then: no duplicate
// invoice, charge, trading account or outbound webhook delivery, and the books clean (the verdict
// is lib/multi-process-checks.mjs, unit-tested). Part of `pnpm test` (the chaos project's test).
//   pnpm --filter @astrix/chaos multi-process        (exit 0 when every check holds)
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { HttpClient, mintToken } from './lib/client.mjs';
import { freePort, sleep } from './lib/infra.mjs';
import { drain } from './lib/invariants.mjs';
import { DUPLICATE_CHECKS, judge } from './lib/multi-process-checks.mjs';
import { root } from './lib/paths.mjs';
import { JWT_SECRET, startStack, WEBHOOK_SECRET } from './lib/stack.mjs';

const PURCHASES = 6;
const SUBSCRIPTIONS = 3;
const WORKERS = 2;
/** Extra rounds of a run started on each API process, until both workers have run one. */
const MAX_EXTRA_RUN_ROUNDS = 4;
const startedAt = Date.now();
const say = (line) =>
  process.stdout.write(`[multi ${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${line}\n`);

const stack = await startStack({ log: say, workers: WORKERS });
const require = createRequire(join(root, 'apps/api/package.json'));
const { Pool } = require('pg');
const { EVENT_TYPES } = require('@astrix/contracts');
const { signWebhookPayload } = require('@astrix/stripe-client');
const { Queue } = require('bullmq');
const IORedis = require('ioredis');
const pool = new Pool({ connectionString: stack.postgres.url, max: 4 });
pool.on('error', () => undefined);
const db = { rows: async (sql, params) => (await pool.query(sql, params)).rows };
// The stack's queues (QUEUE_PREFIX chaos), read only: which worker process ran each billing run.
const redis = new IORedis(stack.redis.url, { maxRetriesPerRequest: null });
redis.on('error', () => undefined);
const billingQueue = new Queue('billing', { connection: redis, prefix: stack.env.QUEUE_PREFIX });

let exitCode = 1;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void stack.stop().finally(() => process.exit(130)));
}
try {
  exitCode = await run();
} catch (error) {
  say(`failed: ${error?.stack ?? error}`);
} finally {
  await pool.end().catch(() => undefined);
  await billingQueue.close().catch(() => undefined);
  redis.disconnect();
  await stack.stop();
}
process.exit(exitCode);

function must(answer, what) {
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return answer.body;
}

async function startReceiver() {
  const port = await freePort();
  const received = new Map();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const id = JSON.parse(Buffer.concat(chunks).toString('utf8'))?.id;
        if (id) received.set(id, (received.get(id) ?? 0) + 1);
      } catch {
        // not JSON: not an event
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  server.unref();
  return { url: `http://127.0.0.1:${port}/hooks`, received };
}

async function run() {
  const client = new HttpClient({ baseUrl: stack.url });
  const direct = stack.apis.map((api) => new HttpClient({ baseUrl: `http://127.0.0.1:${api.readyPort}` }));
  const admin = mintToken(JWT_SECRET, { sub: 'staff_multi_admin', roles: ['admin'] });
  const finance = mintToken(JWT_SECRET, { sub: 'staff_multi_finance', roles: ['finance', 'support'] });
  const trader = (index) =>
    mintToken(JWT_SECRET, { sub: `trader_multi_${index}`, email: `multi${index}@example.com` });
  const fake = async (path, body) =>
    fetch(`${stack.fakeUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const receiver = await startReceiver();
  must(
    await client.call('POST', '/v1/admin/webhook-endpoints', {
      token: admin,
      body: { url: receiver.url, eventTypes: EVENT_TYPES, description: 'multi-process receiver' },
    }),
    'webhook endpoint',
  );
  const [evaluation] = await db.rows(`SELECT id FROM billing.products WHERE slug = 'evaluation-25k'`);
  const [plan] = await db.rows(`SELECT id FROM billing.products WHERE slug = 'pro-monthly'`);

  // Purchases through the load balancer (both API processes), paid on the sandbox Stripe.
  await Promise.all(
    Array.from({ length: PURCHASES }, async (_, index) => {
      const session = must(
        await client.call('POST', '/v1/billing/checkout-sessions', {
          token: trader(index),
          body: { productId: evaluation.id, currency: 'USD' },
        }),
        'checkout',
      );
      const stripeSession = /\/pay\/([^/?]+)/.exec(session.url ?? '')?.[1];
      if (!stripeSession)
        throw new Error(`checkout session without a payment page: ${JSON.stringify(session)}`);
      const paid = await fake(`/sandbox/checkout-sessions/${stripeSession}/pay`, {
        card: '4242424242424242',
      });
      if (!paid.ok) throw new Error(`payment refused: ${paid.status} ${await paid.text()}`);
    }),
  );
  say(`${PURCHASES} purchases paid`);

  // Subscriptions charged now, renewed by the billing run below.
  for (let index = 0; index < SUBSCRIPTIONS; index++) {
    const token = trader(100 + index);
    must(
      await client.call('POST', '/v1/billing/payment-methods/setup-intent', {
        token,
        body: { paymentMethodId: 'pm_card_visa' },
      }),
      'setup intent',
    );
    must(
      await client.call('POST', '/v1/billing/subscriptions', {
        token,
        body: { productId: plan.id, currency: 'USD', trialDays: 0 },
      }),
      'subscription',
    );
  }
  say(`${SUBSCRIPTIONS} subscriptions started`);
  await drain({
    stack,
    db,
    client,
    tokens: { finance },
    timeoutMs: 90_000,
    log: (entry) => say(JSON.stringify(entry)),
  });

  // A month passes (the processes' clocks cannot be moved: the periods are moved back instead), then
  // a billing run is started on both API processes at the same moment.
  await db.rows(
    `UPDATE billing.subscriptions SET current_period_start = current_period_start - interval '31 days',
            current_period_end = now() - interval '1 minute', billing_anchor = billing_anchor - interval '31 days'`,
  );
  const runs = await Promise.all(
    direct.map((api) => api.call('POST', '/v1/admin/billing-runs', { token: finance, body: {} })),
  );
  say(
    `billing runs: ${runs.map((run) => `${run.status} ${run.body?.id ?? JSON.stringify(run.body)}`).join(', ')}`,
  );
  for (const run of runs) must(run, 'billing run');
  await drain({
    stack,
    db,
    client,
    tokens: { finance },
    timeoutMs: 120_000,
    log: (entry) => say(JSON.stringify(entry)),
  });
  const billingRunWorkers = new Set();
  const noteWorkers = async (started) => {
    for (const run of started) {
      const job = await billingQueue.getJob(`billing-run-${run.body.id}`);
      if (job?.processedBy) billingRunWorkers.add(job.processedBy);
    }
  };
  await noteWorkers(runs);
  say(`the two runs ran on: ${[...billingRunWorkers].join(', ')}`);
  // Both runs may land on one worker (each takes up to 8 billing jobs at once): start more, one on
  // each API process, until both workers have run one (they find nothing left due, and bill nothing).
  for (let round = 0; round < MAX_EXTRA_RUN_ROUNDS && billingRunWorkers.size < WORKERS; round++) {
    for (const api of direct) {
      const more = must(
        await api.call('POST', '/v1/admin/billing-runs', { token: finance, body: {} }),
        'billing run',
      );
      await drain({ stack, db, client, tokens: { finance }, timeoutMs: 60_000, log: () => undefined });
      await noteWorkers([{ body: more }]);
    }
    say(`billing runs have run on: ${[...billingRunWorkers].join(', ')}`);
  }

  // Every Stripe event delivered again, to each API process directly (Stripe retries, or sends one
  // event to a replica while another is still processing it).
  const events = await db.rows(
    'SELECT payload::text AS body FROM billing.stripe_webhook_events ORDER BY received_at',
  );
  const answers = new Map();
  await Promise.all(
    stack.apis.flatMap((api) =>
      events.map(async ({ body }) => {
        const response = await fetch(`http://127.0.0.1:${api.readyPort}/webhooks/stripe`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'stripe-signature': signWebhookPayload(body, WEBHOOK_SECRET),
          },
          body,
        });
        answers.set(response.status, (answers.get(response.status) ?? 0) + 1);
      }),
    ),
  );
  say(
    `${events.length} Stripe events delivered again to both API processes: ${JSON.stringify(Object.fromEntries(answers))}`,
  );
  await drain({
    stack,
    db,
    client,
    tokens: { finance },
    timeoutMs: 120_000,
    log: (entry) => say(JSON.stringify(entry)),
  });
  await sleep(2_000);

  const measured = async (sql) => Number(Object.values((await db.rows(sql))[0])[0]);
  const duplicates = {};
  for (const { name, sql } of DUPLICATE_CHECKS) {
    duplicates[name] = await measured(sql);
    say(`${name}: ${duplicates[name]}`);
  }
  const charges = await measured('SELECT count(*) FROM billing.charges');
  const accounts = await measured(`SELECT count(*) FROM accounts.accounts WHERE kind = 'evaluation'`);
  const renewals = await measured(
    `SELECT count(*) FROM billing.invoices WHERE subscription_id IS NOT NULL AND period_start > now() - interval '1 hour'`,
  );
  say(
    `charges: ${charges}, evaluation accounts: ${accounts}, renewal invoices from the billing run: ${renewals}`,
  );
  const twice = [...receiver.received.values()].filter((count) => count > 1).length;
  say(`outbound webhooks received: ${receiver.received.size} events, ${twice} more than once`);

  let books;
  try {
    books = JSON.parse(
      stack.cli('books', 'check', '--json', '--since', new Date(startedAt - 3_600_000).toISOString()),
    );
  } catch (error) {
    books = JSON.parse(error.stdout ?? '{"clean":false,"findings":["books check failed"]}');
  }
  say(`books check: ${books.clean ? 'clean' : JSON.stringify(books.findings)}`);

  const findings = judge({
    duplicates,
    charges,
    accounts,
    renewals,
    received: receiver.received,
    billingRunWorkers,
    workers: WORKERS,
    books,
    expected: { purchases: PURCHASES, subscriptions: SUBSCRIPTIONS },
  });
  say(findings.length === 0 ? 'every check holds' : `FAILED:\n  ${findings.join('\n  ')}`);
  return findings.length === 0 ? 0 : 1;
}

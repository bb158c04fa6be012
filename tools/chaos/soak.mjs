#!/usr/bin/env node
// Load and soak: the same stack as the chaos run, no faults, a mixed profile at a fixed rate
// (an open model: operations start on schedule whether or not earlier ones finished). Prints error
// rate and p50/p99 per route, RSS of each process after warm-up and at the end, Postgres
// connections and queue depths. See docs/reliability.md.
//
//   node tools/chaos/soak.mjs --minutes 10 --rate 8
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HttpClient, mintToken } from './lib/client.mjs';
import { sleep } from './lib/infra.mjs';
import { createOperations, Random } from './lib/operations.mjs';
import { root } from './lib/paths.mjs';
import { JWT_SECRET, startStack } from './lib/stack.mjs';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'warmup-s': { type: 'string', default: '60' },
    rate: { type: 'string', default: '8' },
    seed: { type: 'string', default: '42' },
    traders: { type: 'string', default: '40' },
  },
});
const minutes = Number(args.minutes);
const warmupMs = Number(args['warmup-s']) * 1_000;
const rate = Number(args.rate);
const seed = Number(args.seed);

/** The mix: what share of operations each kind is. Webhooks come from the purchases (Stripe calls back). */
const PROFILE = [
  ['buy', 20],
  ['usage', 35],
  ['entitlement', 25],
  ['search', 10],
  ['reads', 10],
];

const startedAt = Date.now();
const say = (line) =>
  process.stdout.write(`[soak ${((Date.now() - startedAt) / 1000).toFixed(0)}s] ${line}\n`);
const stack = await startStack({ log: say });
const require = createRequire(join(root, 'apps/api/package.json'));
const { Pool } = require('pg');
const pool = new Pool({ connectionString: stack.postgres.url, max: 2 });
pool.on('error', () => undefined);
const db = { rows: async (sql, params) => (await pool.query(sql, params)).rows };
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => stack.stop().finally(() => process.exit(130)));

try {
  await soak();
} finally {
  await pool.end().catch(() => undefined);
  await stack.stop();
}

async function soak() {
  const stats = new Map();
  const client = new HttpClient({ baseUrl: stack.url, stats });
  const traders = Array.from({ length: Number(args.traders) }, (_, index) => `trader_soak_${index}`);
  const tokens = {
    trader: (sub) => mintToken(JWT_SECRET, { sub, email: `${sub}@example.com` }),
    admin: mintToken(JWT_SECRET, { sub: 'staff_soak_admin', roles: ['admin'] }),
    finance: mintToken(JWT_SECRET, { sub: 'staff_soak_finance', roles: ['finance', 'support'] }),
    finance2: mintToken(JWT_SECRET, { sub: 'staff_soak_finance_2', roles: ['finance', 'support'] }),
  };
  const key = await client.call('POST', '/v1/admin/api-keys', {
    token: tokens.admin,
    body: {
      name: 'soak',
      scopes: ['usage:write', 'usage:read', 'entitlements:read', 'accounts:write', 'kyc:write'],
    },
  });
  const products = Object.fromEntries(
    (await db.rows(`SELECT slug, id FROM billing.products`)).map((row) => [row.slug, row.id]),
  );
  const { operations } = createOperations({
    client,
    fakeUrl: stack.fakeUrl,
    db,
    tokens,
    serviceKey: key.body.key,
    products,
    traders,
  });
  // Usage needs subscribers: a third of the traders subscribe before the clock starts.
  for (const sub of traders.slice(0, Math.ceil(traders.length / 3))) {
    await client.call('POST', '/v1/billing/payment-methods/setup-intent', {
      token: tokens.trader(sub),
      body: { paymentMethodId: 'pm_card_visa' },
    });
    await client.call('POST', '/v1/billing/subscriptions', {
      token: tokens.trader(sub),
      body: { productId: products['pro-monthly'], currency: 'USD', trialDays: 0 },
    });
  }
  const search = async (rng) => {
    const answer = await client.call('GET', `/v1/admin/customers?query=${rng.pick(traders)}`, {
      token: tokens.finance,
      route: 'GET /v1/admin/customers?query',
    });
    return { status: answer.status };
  };

  const rng = new Random(seed);
  const interval = 1_000 / rate;
  const loadStartedAt = Date.now();
  const end = loadStartedAt + warmupMs + minutes * 60_000;
  let warm = null;
  const samples = [];
  const inFlight = new Set();
  let started = 0;
  let skippedForBackpressure = 0;
  let nextAt = Date.now();
  let nextSample = loadStartedAt + warmupMs;
  while (Date.now() < end) {
    // Warm-up under the same load, then the baseline: growth is measured from there.
    if (!warm && Date.now() >= loadStartedAt + warmupMs) {
      warm = await sample(client, tokens, db);
      for (const stat of stats.values()) Object.assign(stat, { ok: 0, errors: 0, retries: 0, latencies: [] });
      say(`warm-up done; measuring ${minutes} min at ${rate}/s: ${JSON.stringify(warm)}`);
    }
    if (Date.now() >= nextSample && warm) {
      samples.push(await sample(client, tokens, db));
      nextSample += 60_000;
      say(`sample: ${JSON.stringify(samples.at(-1))}`);
    }
    const kind = rng.weighted(PROFILE);
    const opRng = new Random(rng.int(2 ** 31));
    if (inFlight.size >= 64) {
      skippedForBackpressure++;
    } else {
      started++;
      const run = (kind === 'search' ? search(opRng) : operations[kind](opRng)).catch(() => undefined);
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
    }
    nextAt += interval;
    await sleep(Math.max(0, nextAt - Date.now()));
  }
  await Promise.all(inFlight);
  const final = await sample(client, tokens, db);
  // Webhooks: what the fake Stripe delivered to the API (intake answers counted by outcome).
  const sent = await (await fetch(`${stack.fakeUrl}/__control/events`)).json();
  const webhooks = { events: sent.events.length, deliveries: {} };
  for (const delivery of sent.deliveries)
    webhooks.deliveries[delivery.status] = (webhooks.deliveries[delivery.status] ?? 0) + 1;
  const routes = {};
  for (const [route, stat] of stats.entries()) {
    const sorted = [...stat.latencies].sort((a, b) => a - b);
    const total = stat.ok + stat.errors;
    if (total === 0) continue;
    routes[route] = {
      requests: total,
      errorRate: Number((stat.errors / total).toFixed(4)),
      p50: sorted[Math.floor(sorted.length * 0.5)] ?? null,
      p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? null,
    };
  }
  const growth = Object.fromEntries(
    Object.keys(final.rssMb).map((name) => [
      name,
      warm.rssMb[name] ? Number(((final.rssMb[name] / warm.rssMb[name] - 1) * 100).toFixed(1)) : null,
    ]),
  );
  const report = {
    machine: { node: process.version, cpu: `${cpus().length} x ${cpus()[0]?.model}` },
    date: new Date().toISOString(),
    minutes,
    ratePerSecond: rate,
    profile: Object.fromEntries(PROFILE),
    operationsStarted: started,
    skippedForBackpressure,
    routes,
    webhooks,
    atWarm: warm,
    atEnd: final,
    rssGrowthPercent: growth,
    samples,
  };
  const dir = join(root, 'tools', 'chaos', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  say(`routes: ${JSON.stringify(routes, null, 1)}`);
  say(
    `RSS MB after warm-up ${JSON.stringify(warm.rssMb)}, at end ${JSON.stringify(final.rssMb)}, growth % ${JSON.stringify(growth)}`,
  );
  say(`report ${file}`);
}

/** RSS of each process, Postgres connections, queue depths, outbox backlog. */
async function sample(client, tokens, db) {
  const rss = (pid) => {
    if (!pid) return null;
    try {
      return Math.round(
        Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024,
      );
    } catch {
      return null;
    }
  };
  const rssMb = Object.fromEntries(
    [...stack.apis, stack.worker, stack.fake].map((p) => [p.name, rss(p.pid)]),
  );
  const [pg] = await db.rows(
    `SELECT count(*)::int AS connections, (SELECT count(*)::int FROM platform.outbox_events WHERE published_at IS NULL) AS outbox
       FROM pg_stat_activity WHERE datname = 'astrix_chaos'`,
  );
  const queues = await client.call('GET', '/v1/admin/queues', {
    token: tokens.finance,
    route: 'GET /v1/admin/queues (sampler)',
  });
  const depth = {};
  for (const queue of queues.body?.data ?? [])
    depth[queue.name ?? queue.queue] = (queue.counts.waiting ?? 0) + (queue.counts.active ?? 0);
  return {
    at: new Date().toISOString(),
    rssMb,
    pgConnections: pg.connections,
    outboxBacklog: pg.outbox,
    queueDepth: depth,
  };
}

#!/usr/bin/env node
// Entitlement checks: POST /v1/entitlements/check with a service API key at 100 connections.
// A check answers from the customer's rows and usage totals held in memory once a round trip on the
// API's LISTEN connection (shared by the checks that arrive meanwhile) proves no change committed
// before it is unannounced; what is not held is read in one statement shared the same way
// (docs/adr/0005-usage-and-entitlements.md). The API runs with tools/scripts/node-flags.mjs's flags.
// Setup: the demo catalog (pro-monthly grants a boolean, a limit and a metered feature), N customers
// on pro-monthly, 100 usage events each; checks cycle over customers and the three features.
// Usage: pnpm exec nx run @astrix/api:build && node tools/bench/entitlements/run.mjs [--duration 15] [--connections 100] [--batch 1] [--via checks|api] [--ingest 0]
// --via checks (default): the checks' own listener (ENTITLEMENT_CHECK_PORT); --via api: the API's port.
// Prints the figure and its floors (Fastify alone just before and just after the check, and node:http
// alone, on the same cores, same run) side by side: the issue #25 target is checks/s >= 0.8x bare
// Fastify's requests/s and p99 <= 1.5x bare Fastify's (the mean of its two runs). The checks' own port runs on node:http, so the node:http floor is printed beside it.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { machine, startApi, summarize } from '../lib/api-server.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '100' },
    customers: { type: 'string', default: '2000' },
    events: { type: 'string', default: '100' },
    floors: { type: 'string', default: 'yes' },
    // Checks per request: 1 = POST /v1/entitlements/check; more = POST /v1/entitlements/check/batch.
    batch: { type: 'string', default: '1' },
    via: { type: 'string', default: 'checks' },
    // Usage events per second ingested through the API while the checks run (0: none), for the checked
    // customers' two metered features: whether checks still answer from memory while usage flows.
    ingest: { type: 'string', default: '0' },
  },
});
const customers = Number(values.customers);
if (!['checks', 'api'].includes(values.via)) throw new Error('--via is checks or api');
const CHECK_PORT = 3977;
const METRICS_PORT = 3976;
const api = await startApi({
  port: 3979,
  env: {
    WORKERS_ENABLED: 'false',
    ENTITLEMENT_CHECK_PORT: String(CHECK_PORT),
    METRICS_PORT: String(METRICS_PORT),
    ...(process.env.BENCH_API_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_API_NODE_OPTIONS } : {}),
  },
  seed: true,
});
try {
  const plan = api.query(`SELECT id FROM billing.products WHERE slug = 'pro-monthly'`);
  const price = api.query(`SELECT id FROM billing.prices WHERE product_id = '${plan}' AND currency = 'USD'`);
  api.query(
    `INSERT INTO billing.customers (id, user_id, email, fraud_status, created_at)
     SELECT 'cust_bench' || lpad(n::text, 20, '0'), 'bench-user-' || n, NULL, 'clear', now() FROM generate_series(1, ${customers}) n`,
  );
  api.query(
    `INSERT INTO billing.subscriptions (id, customer_id, user_id, product_id, price_id, currency, unit_amount, quantity,
       status, interval, interval_count, billing_anchor, current_period_start, current_period_end, created_at, updated_at)
     SELECT 'sub_bench' || lpad(n::text, 20, '0'), 'cust_bench' || lpad(n::text, 20, '0'), 'bench-user-' || n,
            '${plan}', '${price}', 'USD', 4900, 1, 'active', 'month', 1, now() - interval '10 days',
            now() - interval '10 days', now() + interval '20 days', now(), now()
       FROM generate_series(1, ${customers}) n`,
  );
  api.query(
    `INSERT INTO billing.usage_events (customer_id, idempotency_key, id, feature_id, quantity, occurred_at, reported_by, received_at)
     SELECT 'cust_bench' || lpad(c::text, 20, '0'), 'seed-' || e, 'ue_seed' || c || '_' || e,
            CASE WHEN e % 2 = 0 THEN 'market-data-api-calls' ELSE 'trade-journal-entries' END,
            CASE WHEN e % 2 = 0 THEN 37 ELSE 1 END, now() - (e || ' minutes')::interval, 'bench', now()
       FROM generate_series(1, ${customers}) c, generate_series(1, ${Number(values.events)}) e`,
  );
  api.query('ANALYZE');
  const key = api
    .cli('apikey', 'create', '--name', 'bench-checks', '--scopes', 'entitlements:read')
    .trim()
    .split('\n')
    .pop();

  const features = ['advanced-analytics', 'trade-journal-entries', 'market-data-api-calls'];
  const bodies = [];
  for (let n = 1; n <= customers; n += 1) {
    for (const featureId of features) {
      bodies.push(JSON.stringify({ customerId: `bench-user-${n}`, featureId, quantity: 1 }));
    }
  }
  const batch = Math.max(1, Number(values.batch));
  if (batch > 1) {
    // Several features of a customer, or several customers, per request (the batch endpoint).
    const singles = bodies.map((body) => JSON.parse(body));
    bodies.length = 0;
    for (let start = 0; start + batch <= singles.length; start += batch) {
      bodies.push(JSON.stringify({ checks: singles.slice(start, start + batch) }));
    }
  }
  let next = 0;
  const options = {
    url: `${values.via === 'checks' ? `http://127.0.0.1:${CHECK_PORT}` : api.url}/v1/entitlements/check${batch > 1 ? '/batch' : ''}`,
    connections: Number(values.connections),
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => {
          // Strides through customers so neighbouring requests rarely share a cached usage total.
          next = (next + 7919) % bodies.length;
          return { ...request, body: bodies[next] };
        },
      },
    ],
  };
  const sample = await fetch(options.url, { method: 'POST', headers: options.headers, body: bodies[1] });
  const answered = await sample.json();
  const answer = batch > 1 ? answered.data?.[0] : answered;
  if (sample.status !== 200 || answer?.allowed !== true)
    throw new Error(`check failed: ${JSON.stringify(answer)}`);
  await autocannon({ ...options, duration: 3 }); // warm-up, not reported

  const withFloors = values.floors !== 'no';
  const floors = {};
  const measure = async (url, extra = {}) => {
    const base = { url, connections: options.connections, ...extra };
    await autocannon({ ...base, duration: 2 });
    return summarize(await autocannon({ ...base, duration: Number(values.duration) }));
  };
  /** A bare server of this folder on port 3978, measured with the check's body, then stopped. */
  const bare = async (script) => {
    const server = spawn(process.execPath, [new URL(script, import.meta.url).pathname, '3978'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((resolve) =>
      server.stdout.on('data', (chunk) => String(chunk).includes('listening') && resolve()),
    );
    try {
      return await measure('http://127.0.0.1:3978/check', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: bodies[0],
      });
    } finally {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
  };
  // The machine's speed drifts by the minute: bare Fastify is measured just before the check and again
  // after it, and the check is compared with the mean of the two (each ratio printed too).
  if (withFloors) floors.bareFastifyBefore = await bare('./bare-fastify.mjs');
  const ingestRate = Number(values.ingest);
  const usageKey =
    ingestRate > 0 &&
    api.cli('apikey', 'create', '--name', 'bench-usage', '--scopes', 'usage:write').trim().split('\n').pop();
  let ingesting = ingestRate > 0;
  let ingested = 0;
  /** Ten batches a second, each of a tenth of the rate, for random customers, until the checks end. */
  const ingest = async () => {
    let sequence = 0;
    while (ingesting) {
      const tick = performance.now();
      const events = Array.from({ length: Math.max(1, Math.round(ingestRate / 10)) }, () => ({
        customerId: `bench-user-${1 + Math.floor(Math.random() * customers)}`,
        featureId: (sequence += 1) % 2 === 0 ? 'market-data-api-calls' : 'trade-journal-entries',
        quantity: 1,
        timestamp: new Date().toISOString(),
        idempotencyKey: `bench-ingest-${sequence}`,
      }));
      const response = await fetch(`${api.url}/v1/usage/events`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${usageKey}`,
          'content-type': 'application/json',
          prefer: 'return=minimal',
        },
        body: JSON.stringify({ events }),
      });
      if (response.status !== 200)
        throw new Error(`ingest failed: ${response.status} ${await response.text()}`);
      ingested += (await response.json()).accepted;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (performance.now() - tick))));
    }
  };
  const answeredBefore = await checksAnswered();
  const ingestStarted = performance.now();
  const ingestion = ingestRate > 0 ? ingest() : Promise.resolve();
  const result = await autocannon({ ...options, duration: Number(values.duration) });
  ingesting = false;
  await ingestion;
  const ingestSeconds = (performance.now() - ingestStarted) / 1000;
  const figures = summarize(result);
  const answeredAfter = await checksAnswered();
  const fromMemory = answeredAfter.memory - answeredBefore.memory;
  const fromDatabase = answeredAfter.database - answeredBefore.database;

  // Context measured in the same run on the same machine: the framework's floor (a public GET that
  // does nothing, through Nest), and Fastify alone and node:http alone after the check (bare Fastify
  // also just before it: see above).
  if (withFloors) {
    floors.nestHealthLive = await measure(`${api.url}/health/live`);
    floors.bareFastify = await bare('./bare-fastify.mjs');
    // The checks' own port runs on node:http without Fastify: its own floor, beside the issue's.
    floors.bareNodeHttp = await bare('./bare-node-http.mjs');
  }
  const versus = (floor) => ({
    throughput: Number(((figures.requestsPerSecond * batch) / floor.requestsPerSecond).toFixed(2)),
    p99: Number((figures.latencyMs.p99 / floor.latencyMs.p99).toFixed(2)),
  });
  const bareFastifyMean = withFloors && {
    requestsPerSecond:
      (floors.bareFastifyBefore.requestsPerSecond + floors.bareFastify.requestsPerSecond) / 2,
    latencyMs: { p99: (floors.bareFastifyBefore.latencyMs.p99 + floors.bareFastify.latencyMs.p99) / 2 },
  };
  console.log(
    JSON.stringify(
      {
        benchmark: 'entitlements: POST /v1/entitlements/check (API key, boolean / limit / metered features)',
        date: new Date().toISOString(),
        ...machine(),
        connections: options.connections,
        durationSeconds: Number(values.duration),
        customers,
        usageEventsPerCustomer: Number(values.events),
        sampleAnswer: answer,
        via: values.via === 'checks' ? `the checks' own port (ENTITLEMENT_CHECK_PORT)` : `the API's port`,
        checksPerRequest: batch,
        checksPerSecond: figures.requestsPerSecond * batch,
        // Of the measured run's checks: answered from held copies (after a sync) or from Postgres.
        shareAnsweredFromMemory: Number((fromMemory / Math.max(1, fromMemory + fromDatabase)).toFixed(3)),
        usageIngestedPerSecond: Math.round(ingested / ingestSeconds),
        ...figures,
        floors,
        ...(withFloors
          ? {
              // Against the mean of bare Fastify's runs just before and just after the check.
              vsBareFastify: { ...versus(bareFastifyMean), throughputTarget: '>= 0.8', p99Target: '<= 1.5' },
              vsBareFastifyBefore: versus(floors.bareFastifyBefore),
              vsBareFastifyAfter: versus(floors.bareFastify),
              vsBareNodeHttp: versus(floors.bareNodeHttp),
            }
          : {}),
      },
      null,
      2,
    ),
  );
  process.exitCode = figures.failures > 0 ? 1 : 0;
} finally {
  await api.stop();
}

/** The API's count of checks answered, by source (`astrix_entitlement_checks_total` on its metrics port). */
async function checksAnswered() {
  const text = await (await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`)).text();
  const count = (source) =>
    Number(
      text.match(new RegExp(`^astrix_entitlement_checks_total\\{source="${source}"\\} (\\d+)`, 'm'))?.[1] ??
        0,
    );
  return { memory: count('memory'), database: count('database') };
}

#!/usr/bin/env node
// Usage ingest: sustained events/second through POST /v1/usage/events in batches of 1,000 (hand-written
// validation, customer resolution, dedupe by idempotency key, one INSERT per batch into the month
// partitions, each key claimed by the table's trigger), and
// the raw Postgres rate of the same INSERT for the same rows, from a pg client, in the same run.
// Usage: pnpm exec nx run @astrix/api:build && node tools/bench/usage-ingest/run.mjs [--duration 15] [--concurrency 4]
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machine, root, startApi } from '../lib/api-server.mjs';

const require = createRequire(join(root, 'apps/api/package.json'));
const { Client } = require('pg');

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    concurrency: { type: 'string', default: '4' },
    batch: { type: 'string', default: '1000' },
    customers: { type: 'string', default: '1000' },
    duplicates: { type: 'string', default: '0.01' },
    rounds: { type: 'string', default: '3' },
    // A quantity alert on the feature for every customer, never reached: its evaluation after each batch.
    alert: { type: 'string', default: 'no' },
  },
});
const rounds = Number(values.rounds);
// The machine is shared: API and raw phases alternate, so both see the same background load.
const duration = (Number(values.duration) * 1000) / rounds;
const concurrency = Number(values.concurrency);
const batchSize = Number(values.batch);
const customerCount = Number(values.customers);
const duplicateShare = Number(values.duplicates);

const api = await startApi({
  port: 3989,
  env: {
    WORKERS_ENABLED: 'false',
    ...(process.env.BENCH_API_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_API_NODE_OPTIONS } : {}),
  },
  seed: true,
});
try {
  api.query(
    `INSERT INTO billing.customers (id, user_id, email, fraud_status, created_at)
     SELECT 'cust_bench' || lpad(n::text, 20, '0'), 'bench-user-' || n, NULL, 'clear', now() FROM generate_series(1, ${customerCount}) n`,
  );
  const key = api
    .cli('apikey', 'create', '--name', 'bench-usage', '--scopes', 'usage:write')
    .trim()
    .split('\n')
    .pop();

  // Deterministic events: customers by their external reference (as services know them), a share of
  // keys repeated from earlier batches (retries), timestamps of the last minutes. One stream per target.
  function eventStream(prefix) {
    let sequence = 0;
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const issued = [];
    return () => {
      const events = [];
      for (let index = 0; index < batchSize; index += 1) {
        const repeat = issued.length > 0 && random() < duplicateShare;
        const base = repeat
          ? issued[Math.floor(random() * issued.length)]
          : {
              customerId: `bench-user-${1 + Math.floor(random() * customerCount)}`,
              featureId: 'market-data-api-calls',
              quantity: 1 + Math.floor(random() * 50),
              timestamp: new Date(Date.now() - Math.floor(random() * 600_000)).toISOString(),
              idempotencyKey: `${prefix}-${(sequence += 1)}`,
              serviceId: 'market-data',
            };
        if (!repeat && issued.length < 100_000) issued.push(base);
        events.push(base);
      }
      return events;
    };
  }

  // 1. Through the API.
  const post = async (body) => {
    const response = await fetch(`${api.url}/v1/usage/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body,
    });
    if (response.status !== 200)
      throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
    return response.json();
  };
  const apiEvents = eventStream('api');
  const apiTotals = { batches: 0, accepted: 0, duplicates: 0, rejected: 0, latencies: [], seconds: 0 };
  async function apiPhase() {
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() - start < duration) {
          const body = JSON.stringify({ events: apiEvents() });
          const started = performance.now();
          const result = await post(body);
          apiTotals.latencies.push(performance.now() - started);
          apiTotals.batches += 1;
          apiTotals.accepted += result.accepted;
          apiTotals.duplicates += result.duplicates;
          apiTotals.rejected += result.rejected;
        }
      }),
    );
    apiTotals.seconds += (performance.now() - start) / 1000;
  }

  // 2. The same INSERT for the same kind of rows, straight from pg clients, into a plain table with the
  // unpartitioned design's key and index (the usage events table is partitioned by month since
  // migration 1795740000000, its keys claimed by a trigger: this measures what that costs).
  api.query('CREATE TABLE billing.usage_events_raw (LIKE billing.usage_events INCLUDING DEFAULTS)');
  api.query('ALTER TABLE billing.usage_events_raw ADD PRIMARY KEY (customer_id, idempotency_key)');
  api.query('CREATE INDEX ON billing.usage_events_raw (customer_id, feature_id, occurred_at)');
  const clients = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const client = new Client({ connectionString: api.env.DATABASE_URL });
      await client.connect();
      return client;
    }),
  );
  // Our customer ids are known here (the API resolves them, cached); rows sorted by key as the API
  // does, so that concurrent batches sharing keys cannot deadlock.
  const rawEvents = eventStream('raw');
  const rowsOf = (events) =>
    JSON.stringify(
      events
        .map((event) => ({
          c: `cust_bench${event.customerId.slice('bench-user-'.length).padStart(20, '0')}`,
          k: event.idempotencyKey,
          i: `ue_${event.idempotencyKey}`,
          f: event.featureId,
          q: event.quantity,
          t: event.timestamp,
          s: event.serviceId,
        }))
        .sort((a, b) => (a.c === b.c ? (a.k < b.k ? -1 : a.k > b.k ? 1 : 0) : a.c < b.c ? -1 : 1)),
    );
  const INSERT = `INSERT INTO billing.usage_events_raw (customer_id, idempotency_key, id, feature_id, quantity, occurred_at,
                                  service_id, properties, correction_of, reported_by, received_at)
    SELECT r.c, r.k, r.i, r.f, r.q, r.t, r.s, r.p, r.o, $2, $3
      FROM json_to_recordset($1::json) AS r(c text, k text, i text, f text, q bigint, t timestamptz, s text, p jsonb, o text)
    ON CONFLICT (customer_id, idempotency_key) DO NOTHING RETURNING id`;
  const rawTotals = { batches: 0, inserted: 0, seconds: 0 };
  async function rawPhase() {
    const start = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() - start < duration) {
          const result = await client.query(INSERT, [rowsOf(rawEvents()), 'bench', new Date()]);
          rawTotals.batches += 1;
          rawTotals.inserted += result.rowCount;
        }
      }),
    );
    rawTotals.seconds += (performance.now() - start) / 1000;
  }

  // Warm-up of both paths (JIT, caches, connections), not counted; then alternate.
  await post(JSON.stringify({ events: eventStream('warm')() }));
  await clients[0].query(INSERT, [rowsOf(eventStream('warm')()), 'bench', new Date()]);
  for (let round = 0; round < rounds; round += 1) {
    await apiPhase();
    await rawPhase();
  }
  await Promise.all(clients.map((client) => client.end()));
  const apiSeconds = apiTotals.seconds;
  const rawSeconds = rawTotals.seconds;

  const latencies = apiTotals.latencies.sort((a, b) => a - b);
  const pick = (q) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]);
  const apiRate = (apiTotals.accepted + apiTotals.duplicates) / apiSeconds;
  const rawRate = (rawTotals.batches * batchSize) / rawSeconds;
  console.log(
    JSON.stringify(
      {
        benchmark: 'usage-ingest: POST /v1/usage/events batches vs the raw INSERT of the same rows',
        date: new Date().toISOString(),
        ...machine(),
        batchSize,
        concurrency,
        customers: customerCount,
        duplicateShare,
        alertEvaluated: values.alert !== 'no',
        api: {
          seconds: Number(apiSeconds.toFixed(1)),
          batches: apiTotals.batches,
          accepted: apiTotals.accepted,
          duplicates: apiTotals.duplicates,
          rejected: apiTotals.rejected,
          eventsPerSecond: Math.round(apiRate),
          insertedPerSecond: Math.round(apiTotals.accepted / apiSeconds),
          batchLatencyMs: {
            p50: pick(0.5),
            p90: pick(0.9),
            p99: pick(0.99),
            max: Math.round(latencies.at(-1)),
          },
        },
        raw: {
          seconds: Number(rawSeconds.toFixed(1)),
          batches: rawTotals.batches,
          inserted: rawTotals.inserted,
          rowsPerSecond: Math.round(rawRate),
        },
        apiShareOfRaw: Number((apiRate / rawRate).toFixed(2)),
        storedRows: Number(api.query('SELECT count(*) FROM billing.usage_events')),
      },
      null,
      2,
    ),
  );
} finally {
  await api.stop();
}

#!/usr/bin/env node
// Usage ingest: sustained events/second through POST /v1/usage/events in batches of 1,000 (hand-written
// validation, customer resolution, dedupe by idempotency key, one INSERT per batch into the month
// partitions, each key claimed in the same statement), and
// the raw Postgres rate of the same rows from pg clients, in the same run, by three paths (each statement
// prepared once per connection, as the API's is, so no path pays for planning per batch): the INSERT of
// the unpartitioned design; the API's own statement (the built INSERT_SQL: the claim and the insert
// into the partitioned tables); and COPY into a staging table then the claim and insert into the same
// partitioned tables (the same work the API's write does, without the API).
// Usage: pnpm exec nx run @astrix/api:build && node tools/bench/usage-ingest/run.mjs [--duration 15] [--concurrency 4] [--answer minimal|full]
import { Agent, request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import {
  apiDist,
  cpuUsage,
  emptyGcTotals,
  machine,
  minorFaults,
  root,
  startApi,
} from '../lib/api-server.mjs';

const require = createRequire(join(root, 'apps/api/package.json'));
const { Client } = require('pg');
// COPY FROM STDIN for pg: a dependency of the benches, not of the API (whose ingest does not use COPY).
const { from: copyFrom } = createRequire(join(root, 'tools/bench/package.json'))('pg-copy-streams');

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
    // minimal: batches sent with Prefer: return=minimal (counts and the events not accepted), as a
    // high-volume reporter would; full: a result per event (every figure recorded before 2026-12-07).
    answer: { type: 'string', default: 'minimal' },
    // api-tables: the COPY path claims and inserts into the tables the API and the raw statement write,
    // with their triggers, so all three same-design paths grow the same tables; copies: into copies of
    // them without the triggers, which only the COPY path grows (every figure before 2026-12-08).
    'copy-into': { type: 'string', default: 'api-tables' },
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
  // Its garbage collections, summed over the API phases (apiGarbageCollection below).
  traceGc: true,
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
  // node:http with kept-alive connections, one per stream: the leanest client Node has, as the raw
  // paths' pg clients are. With fetch this process spent 1.6-1.8 times its raw paths' CPU per event
  // on the API phase, on the cores the API and Postgres share; with node:http 1.1-1.4 times.
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const ingestUrl = new URL(`${api.url}/v1/usage/events`);
  const post = (body) =>
    new Promise((resolve, reject) => {
      const request = httpRequest(ingestUrl, {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${key}`,
          ...(values.answer === 'minimal' ? { prefer: 'return=minimal' } : {}),
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      });
      request.on('error', reject);
      request.on('response', (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode !== 200)
            reject(new Error(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`));
          else resolve(JSON.parse(text));
        });
      });
      request.end(body);
    });
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
  // An event as a statement row: our customer id, its key and event id, and the rest as `extra` says.
  const keyedRows = (events, extra) =>
    events
      .map((event) => ({
        c: `cust_bench${event.customerId.slice('bench-user-'.length).padStart(20, '0')}`,
        k: event.idempotencyKey,
        i: `ue_${event.idempotencyKey}`,
        ...extra(event),
      }))
      .sort((a, b) => (a.c === b.c ? (a.k < b.k ? -1 : a.k > b.k ? 1 : 0) : a.c < b.c ? -1 : 1));
  const rowsOf = (events) =>
    JSON.stringify(
      keyedRows(events, (event) => ({
        f: event.featureId,
        q: event.quantity,
        t: event.timestamp,
        s: event.serviceId,
      })),
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
          const result = await client.query({
            name: 'raw-insert',
            text: INSERT,
            values: [rowsOf(rawEvents()), 'bench', new Date()],
          });
          rawTotals.batches += 1;
          rawTotals.inserted += result.rowCount;
        }
      }),
    );
    rawTotals.seconds += (performance.now() - start) / 1000;
  }

  // 3. The API's own statement, as built, from pg clients into the same tables the API writes: the
  // batch's rows as the API sends them (feature as an index, time in epoch milliseconds, sorted by key).
  const { INSERT_SQL } = require(join(apiDist, 'modules/billing/metering/usage-ingest.sql.js'));
  const statementEvents = eventStream('statement');
  const FEATURES = ['market-data-api-calls'];
  const statementRowsOf = (events) =>
    JSON.stringify(
      keyedRows(events, (event) => ({
        f: FEATURES.indexOf(event.featureId) + 1,
        q: event.quantity,
        t: Date.parse(event.timestamp),
        s: event.serviceId,
      }))
        // A key repeated inside the batch is sent once (the API folds such repeats the same way).
        .filter(
          (row, index, rows) => index === 0 || row.c !== rows[index - 1].c || row.k !== rows[index - 1].k,
        ),
    );
  const statementTotals = { batches: 0, seconds: 0 };
  async function statementPhase() {
    const start = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() - start < duration) {
          await client.query({
            name: 'api-statement',
            text: INSERT_SQL,
            values: [statementRowsOf(statementEvents()), 'bench', new Date(), FEATURES],
          });
          statementTotals.batches += 1;
        }
      }),
    );
    statementTotals.seconds += (performance.now() - start) / 1000;
  }

  // 4. COPY: the same rows into a staging table of each connection (a temporary table emptied at
  // commit), then one statement claims their keys and inserts the claimed rows, in one transaction,
  // into the tables the API writes (--copy-into api-tables). Their size and their triggers (the insert
  // announces its customers, as entitlement checks need) cost each row: a floor that wrote smaller
  // tables without them measured less work than the API does.
  const copiesOnly = values['copy-into'] === 'copies';
  if (!copiesOnly && values['copy-into'] !== 'api-tables')
    throw new Error('--copy-into: api-tables or copies');
  const copyEventsTable = copiesOnly ? 'billing.usage_events_copy' : 'billing.usage_events';
  const copyKeysTable = copiesOnly ? 'billing.usage_event_keys_copy' : 'billing.usage_event_keys';
  const months = (at) => {
    const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
    return [start, new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1))];
  };
  const [thisMonth, nextMonth] = months(new Date());
  const [lastMonth] = months(new Date(thisMonth.getTime() - 1));
  if (copiesOnly)
    api.query(`CREATE TABLE billing.usage_events_copy (LIKE billing.usage_events INCLUDING DEFAULTS)
               PARTITION BY RANGE (occurred_at);
             ALTER TABLE billing.usage_events_copy ADD PRIMARY KEY (customer_id, feature_id, occurred_at, idempotency_key);
             CREATE INDEX ON billing.usage_events_copy (customer_id, correction_of) WHERE correction_of IS NOT NULL;
             CREATE TABLE billing.usage_events_copy_default PARTITION OF billing.usage_events_copy DEFAULT;
             CREATE TABLE billing.usage_events_copy_m0 PARTITION OF billing.usage_events_copy
               FOR VALUES FROM ('${lastMonth.toISOString()}') TO ('${thisMonth.toISOString()}');
             CREATE TABLE billing.usage_events_copy_m1 PARTITION OF billing.usage_events_copy
               FOR VALUES FROM ('${thisMonth.toISOString()}') TO ('${nextMonth.toISOString()}');
             CREATE TABLE billing.usage_event_keys_copy (LIKE billing.usage_event_keys INCLUDING DEFAULTS INCLUDING INDEXES)`);
  const copyClients = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const client = new Client({ connectionString: api.env.DATABASE_URL });
      await client.connect();
      await client.query(`CREATE TEMP TABLE usage_stage (n int, c text, k text, i text, f text, q bigint,
                            t timestamptz, s text, p jsonb, o text) ON COMMIT DELETE ROWS`);
      return client;
    }),
  );
  // COPY's text format: tab-separated, \N for NULL, backslash, tab and line breaks escaped.
  const field = (value) =>
    value === null || value === undefined
      ? '\\N'
      : /[\\\t\n\r]/.test(String(value))
        ? String(value).replace(
            /[\\\t\n\r]/g,
            (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c],
          )
        : String(value);
  const copyTextOf = (events) =>
    events
      .map((event) => ({
        c: `cust_bench${event.customerId.slice('bench-user-'.length).padStart(20, '0')}`,
        k: event.idempotencyKey,
        event,
      }))
      .sort((a, b) => (a.c === b.c ? (a.k < b.k ? -1 : a.k > b.k ? 1 : 0) : a.c < b.c ? -1 : 1))
      // A key repeated inside the batch is staged once (the API folds such repeats the same way).
      .filter((row, index, rows) => index === 0 || row.c !== rows[index - 1].c || row.k !== rows[index - 1].k)
      .map(
        ({ c, k, event }, n) =>
          `${n}\t${field(c)}\t${field(k)}\tue_${field(k)}\t${field(event.featureId)}\t${event.quantity}\t${event.timestamp}\t${field(event.serviceId)}\t\\N\t\\N\n`,
      )
      .join('');
  const CLAIM_STAGED = `WITH claimed AS (
      INSERT INTO ${copyKeysTable} (customer_id, idempotency_key, occurred_at, id, feature_id)
      SELECT c, k, t, i, f FROM pg_temp.usage_stage ORDER BY n
      ON CONFLICT DO NOTHING RETURNING id)
    INSERT INTO ${copyEventsTable} (customer_id, idempotency_key, id, feature_id, quantity, occurred_at,
                                           service_id, properties, correction_of, reported_by, received_at)
    SELECT r.c, r.k, r.i, r.f, r.q, r.t, r.s, r.p, r.o, $1, $2 FROM pg_temp.usage_stage r JOIN claimed ON claimed.id = r.i
    RETURNING id`;
  const copyBatch = async (client, text) => {
    await client.query('BEGIN');
    const stream = client.query(copyFrom('COPY pg_temp.usage_stage FROM STDIN'));
    stream.end(text);
    await finished(stream);
    const result = await client.query({
      name: 'claim-staged',
      text: CLAIM_STAGED,
      values: ['bench', new Date()],
    });
    await client.query('COMMIT');
    return result;
  };
  const copyEvents = eventStream('copy');
  const copyTotals = { batches: 0, inserted: 0, seconds: 0 };
  async function copyPhase() {
    const start = performance.now();
    await Promise.all(
      copyClients.map(async (client) => {
        while (performance.now() - start < duration) {
          const result = await copyBatch(client, copyTextOf(copyEvents()));
          copyTotals.batches += 1;
          copyTotals.inserted += result.rowCount;
        }
      }),
    );
    copyTotals.seconds += (performance.now() - start) / 1000;
  }

  // --alert yes: one quantity alert on the feature for every customer, never reached, so every batch
  // marks its customers as pending in its statement and evaluates and clears them after commit. The
  // version bump is what makes the API's copy of the definitions see it.
  if (values.alert !== 'no') {
    api.query(`INSERT INTO billing.usage_alerts (id, customer_id, feature_id, kind, threshold, created_by, created_at)
               VALUES ('ual_bench', NULL, 'market-data-api-calls', 'quantity', 1000000000000, 'bench', now());
               UPDATE billing.entitlements_version SET version = version + 1, updated_at = now() WHERE id = 1`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }

  // Warm-up of every path (JIT, caches, connections), not counted; then alternate.
  await post(JSON.stringify({ events: eventStream('warm')() }));
  await clients[0].query(INSERT, [rowsOf(eventStream('warm')()), 'bench', new Date()]);
  await copyBatch(copyClients[0], copyTextOf(eventStream('warm-copy')()));
  await clients[0].query(INSERT_SQL, [
    statementRowsOf(eventStream('warm-statement')()),
    'bench',
    new Date(),
    FEATURES,
  ]);
  // CPU each path costs per row, by process: the API, Postgres's backends of this database, and this
  // bench (the load generator: HTTP client or pg clients). The cores are shared, so this is where the
  // difference between the rates comes from.
  const cpu = { api: {}, raw: {}, rawStatement: {}, rawCopy: {} };
  let apiPageFaults = 0;
  const apiGc = emptyGcTotals();
  const measured = async (name, phase) => {
    const stop = await cpuUsage(api);
    const bench = process.cpuUsage();
    const faults = minorFaults(api.pid);
    const gcBefore = api.gcTotals();
    await phase();
    if (name === 'api') {
      // Lines still in the pipe when the phase ends count in the next API phase or in none.
      for (const [key, total] of Object.entries(api.gcTotals())) apiGc[key] += total - gcBefore[key];
    }
    const { apiSeconds, postgresSeconds } = await stop();
    const { user, system } = process.cpuUsage(bench);
    const add = (key, seconds) => (cpu[name][key] = (cpu[name][key] ?? 0) + seconds);
    add('apiSeconds', apiSeconds);
    add('postgresSeconds', postgresSeconds);
    add('benchSeconds', (user + system) / 1e6);
    if (name === 'api') apiPageFaults += minorFaults(api.pid) - faults;
  };
  // Every phase starts from the same state, so none pays for the one before it: the tables written so
  // far vacuumed (else autovacuum, triggered by one phase's inserts, runs and is counted in the next)
  // and a checkpoint just done (every phase pays the full-page images of its first writes alike).
  const settle = () => {
    api.query(`VACUUM (ANALYZE) billing.usage_events, billing.usage_event_keys, billing.usage_events_raw
                 ${copiesOnly ? ', billing.usage_events_copy, billing.usage_event_keys_copy' : ''}`);
    api.query('CHECKPOINT');
  };
  // The order turns each round, so each path follows each other path as often.
  const phases = [
    ['api', apiPhase],
    ['raw', rawPhase],
    ['rawStatement', statementPhase],
    ['rawCopy', copyPhase],
  ];
  for (let round = 0; round < rounds; round += 1) {
    for (let step = 0; step < phases.length; step += 1) {
      const [name, phase] = phases[(round + step) % phases.length];
      settle();
      await measured(name, phase);
    }
  }
  const rowsOfPath = {
    api: apiTotals.accepted + apiTotals.duplicates,
    raw: rawTotals.batches * batchSize,
    rawStatement: statementTotals.batches * batchSize,
    rawCopy: copyTotals.batches * batchSize,
  };
  // Minor page faults the API process took per batch on its path: V8 maps each string over 128 KiB
  // for itself alone, and on a virtual machine the faults on those pages cost more than the copy.
  const apiPageFaultsPerBatch = Math.round(apiPageFaults / Math.max(1, apiTotals.batches));
  const cpuMicrosecondsPerRow = Object.fromEntries(
    Object.entries(cpu).map(([name, seconds]) => {
      const per = (value) => Number(((value * 1e6) / rowsOfPath[name]).toFixed(1));
      return [
        name,
        {
          api: per(seconds.apiSeconds),
          postgres: per(seconds.postgresSeconds),
          bench: per(seconds.benchSeconds),
          total: per(seconds.apiSeconds + seconds.postgresSeconds + seconds.benchSeconds),
        },
      ];
    }),
  );
  agent.destroy();
  await Promise.all(copyClients.map((client) => client.end()));
  await Promise.all(clients.map((client) => client.end()));
  const apiSeconds = apiTotals.seconds;
  const rawSeconds = rawTotals.seconds;

  // Heap and indexes of the tables (a partitioned table with its partitions, a plain one alone), in MB.
  const megabytesOf = (tables) =>
    Math.round(
      Number(
        api.query(
          `SELECT sum(pg_total_relation_size(relid)) FROM (${tables
            .map(
              (table) => `SELECT relid FROM pg_partition_tree('${table}') UNION SELECT '${table}'::regclass`,
            )
            .join(' UNION ')}) t`,
        ),
      ) / 1e6,
    );
  const latencies = apiTotals.latencies.sort((a, b) => a - b);
  const pick = (q) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]);
  const apiRate = (apiTotals.accepted + apiTotals.duplicates) / apiSeconds;
  const rawRate = (rawTotals.batches * batchSize) / rawSeconds;
  const copyRate = (copyTotals.batches * batchSize) / copyTotals.seconds;
  const statementRate = (statementTotals.batches * batchSize) / statementTotals.seconds;
  const fastestRaw = Math.max(rawRate, copyRate, statementRate);
  // The fastest raw path into the design the API writes (month partitions, keys claimed): the statement or COPY.
  const fastestSameDesign = Math.max(copyRate, statementRate);
  console.log(
    JSON.stringify(
      {
        benchmark:
          'usage-ingest: POST /v1/usage/events batches vs the raw INSERT, the API statement and the raw COPY of the same rows',
        date: new Date().toISOString(),
        ...machine(),
        batchSize,
        concurrency,
        customers: customerCount,
        duplicateShare,
        alertEvaluated: values.alert !== 'no',
        answer: values.answer === 'minimal' ? 'Prefer: return=minimal' : 'a result per event',
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
        rawStatement: {
          seconds: Number(statementTotals.seconds.toFixed(1)),
          batches: statementTotals.batches,
          rowsPerSecond: Math.round(statementRate),
        },
        rawCopy: {
          seconds: Number(copyTotals.seconds.toFixed(1)),
          batches: copyTotals.batches,
          inserted: copyTotals.inserted,
          rowsPerSecond: Math.round(copyRate),
        },
        cpuMicrosecondsPerRow,
        apiPageFaultsPerBatch,
        // The API's garbage collection during its phases: young-generation collections (their count,
        // pause per 1,000 events, and what survived and was promoted, per collection) and full ones.
        apiGarbageCollection: {
          scavenges: apiGc.scavenges,
          scavengePauseMsPer1000Events: Number(((apiGc.scavengePauseMs * 1000) / rowsOfPath.api).toFixed(2)),
          survivedMbPerScavenge: Number(
            (apiGc.survivedBytes / 1e6 / Math.max(1, apiGc.scavenges)).toFixed(2),
          ),
          promotedMbPerScavenge: Number(
            (apiGc.promotedBytes / 1e6 / Math.max(1, apiGc.scavenges)).toFixed(2),
          ),
          fullGcs: apiGc.fullGcs,
          fullGcPauseMs: Math.round(apiGc.fullGcPauseMs),
        },
        // Issue #25's target, read against the raw paths that write what the API writes: the same tables,
        // with their month partitions, key claims and commit notices. The plain INSERT prices that design.
        target:
          '>= 0.8 of the fastest raw path of the same rows into the same tables (apiShareOfRawSameDesign)',
        fastestRaw: fastestRaw === rawRate ? 'raw' : fastestRaw === copyRate ? 'rawCopy' : 'rawStatement',
        apiShareOfRawInsert: Number((apiRate / rawRate).toFixed(2)),
        apiShareOfRawStatement: Number((apiRate / statementRate).toFixed(2)),
        apiShareOfRawCopy: Number((apiRate / copyRate).toFixed(2)),
        apiShareOfRaw: Number((apiRate / fastestRaw).toFixed(2)),
        apiShareOfRawSameDesign: Number((apiRate / fastestSameDesign).toFixed(2)),
        storedRows: Number(api.query('SELECT count(*) FROM billing.usage_events')),
        // What each design's tables grew to (heap and indexes, MB): inserts into larger btrees touch
        // more pages that are not in shared_buffers.
        tableMegabytes: {
          sameDesign: megabytesOf(['billing.usage_events', 'billing.usage_event_keys']),
          plainInsert: megabytesOf(['billing.usage_events_raw']),
          ...(copiesOnly
            ? { copies: megabytesOf(['billing.usage_events_copy', 'billing.usage_event_keys_copy']) }
            : {}),
        },
        // Rows ever written to the alert marks (each batch's marks, cleared after evaluation): 0 without alerts.
        alertMarks: Number(
          api.query(
            `SELECT n_tup_ins + n_tup_upd FROM pg_stat_user_tables WHERE schemaname = 'billing' AND relname = 'usage_alert_pending'`,
          ),
        ),
      },
      null,
      2,
    ),
  );
} finally {
  await api.stop();
}

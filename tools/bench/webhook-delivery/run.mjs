#!/usr/bin/env node
// Outbound events: (1) signed webhook deliveries per second to a local receiver and the lag from
// the event's commit to its delivery (p50/p99), through the real outbox relay, history consumer,
// delivery relay and sender; (2) SSE fan-out: 1,000 clients connected to GET /v1/billing/stream
// for one user, time from an event's commit until all of them have it.
// (3) delivery throughput: --throughput N deliveries already recorded (history and pending delivery
// rows, committed at once, over --endpoints endpoints) drained by the one API process's workers.
// Events are appended to platform.outbox_events by SQL (as a producing transaction would,
// occurredAt = commit time). Workers run in the API process.
// Floors from the same run: a bare keep-alive undici POST loop to the same receiver from a process
// of its own (raw-sender.mjs: requests/s, and one request's latency alone).
// Usage: pnpm exec nx run @astrix/api:build && node tools/bench/webhook-delivery/run.mjs [--count 2000] [--rate 200] [--clients 1000] [--throughput 10000] [--endpoints 4]
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';
import { machine, root, startApi } from '../lib/api-server.mjs';

const { Client } = createRequire(join(root, 'apps/api/package.json'))('pg');

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '200' },
    clients: { type: 'string', default: '1000' },
    fanouts: { type: 'string', default: '20' },
    throughput: { type: 'string', default: '10000' },
    endpoints: { type: 'string', default: '4' },
  },
});
const count = Number(values.count);
const rate = Number(values.rate);
const clients = Number(values.clients);
const fanouts = Number(values.fanouts);
const throughputCount = Number(values.throughput);
const endpointCount = Number(values.endpoints);
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summary = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: Math.round(percentile(sorted, 50)),
    p90: Math.round(percentile(sorted, 90)),
    p99: Math.round(percentile(sorted, 99)),
    max: Math.round(sorted.at(-1)),
  };
};

// The receiver: answers 200 at once and notes when each event arrived.
const received = new Map();
const receiver = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (!envelope.id.startsWith('evt_raw') && !received.has(envelope.id))
      received.set(envelope.id, { at: Date.now(), occurredAt: Date.parse(envelope.occurredAt) });
    response.writeHead(200).end('ok');
  });
});
await new Promise((resolve) => receiver.listen(3992, '127.0.0.1', resolve));

const api = await startApi({ port: 3991 });
const admin = api.cli('dev-token', '--sub', 'bench_admin', '--roles', 'admin', '--ttl', '3600').trim();
const created = await fetch(`${api.url}/v1/admin/webhook-endpoints`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
  body: JSON.stringify({
    url: 'http://127.0.0.1:3992/hook',
    eventTypes: ['billing.payment.failed'],
    description: 'bench receiver',
  }),
});
if (created.status !== 201)
  throw new Error(`endpoint not created: ${created.status} ${await created.text()}`);

// Appends go over one open connection: a psql process per batch blocked this process (and so the
// receiver's clock) for a tenth of a second and more on a busy machine, and could not keep the rate.
const producer = new Client({ connectionString: api.env.DATABASE_URL });
await producer.connect();

/** Appends billing.payment.failed events [from, to) for a user, committed now. */
async function append(from, to, userId, prefix = 'evt_bench') {
  await producer.query(`
    INSERT INTO platform.outbox_events (event_id, type, subject, envelope, occurred_at)
    SELECT '${prefix}_' || i, 'billing.payment.failed', 'chk_' || lpad(i::text, 26, '0'),
      jsonb_build_object('id', '${prefix}_' || i, 'type', 'billing.payment.failed', 'version', 1,
        'occurredAt', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'producer', 'astrix-billing', 'subject', 'chk_' || lpad(i::text, 26, '0'), 'correlationId', null,
        'data', jsonb_build_object('checkoutSessionId', 'chk_' || lpad(i::text, 26, '0'), 'userId', '${userId}',
          'productId', 'prd_bench', 'amount', 29900, 'currency', 'USD', 'reason', 'bench', 'declineCode', null)),
      clock_timestamp()
    FROM generate_series(${from}, ${to - 1}) AS i`);
}

// (1) deliveries
await append(1_000_000, 1_000_020, 'bench_hooks');
for (let waited = 0; received.size < 20 && waited < 60_000; waited += 100) await sleep(100);
received.clear();
const batch = Math.max(1, Math.round(rate / 10));
const started = Date.now();
for (let sent = 0; sent < count; sent += batch) {
  await append(sent, Math.min(count, sent + batch), 'bench_hooks');
  await sleep(Math.max(0, started + ((sent + batch) / rate) * 1000 - Date.now()));
}
for (let waited = 0; received.size < count && waited < 120_000; waited += 100) await sleep(100);
// Only the measured events (warm-up ones may still arrive after the reset).
const arrivals = [...received.entries()]
  .filter(([id]) => Number(id.split('_').at(-1)) < count)
  .map(([, arrival]) => arrival);
const lags = arrivals.map((arrival) => arrival.at - arrival.occurredAt);
const firstAt = Math.min(...arrivals.map((arrival) => arrival.at));
const lastAt = Math.max(...arrivals.map((arrival) => arrival.at));

// (3) delivery throughput from the one process: deliveries recorded by SQL, committed at once.
let throughput = null;
if (throughputCount > 0) {
  const perEndpoint = Math.ceil(throughputCount / endpointCount);
  const endpointIds = [];
  for (let index = 0; index < endpointCount; index += 1) {
    const response = await fetch(`${api.url}/v1/admin/webhook-endpoints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({
        url: `http://127.0.0.1:3992/tp/${index}`,
        eventTypes: ['billing.refund.processed'],
        description: 'bench throughput',
      }),
    });
    endpointIds.push((await response.json()).id);
  }
  received.clear();
  const committedAt = Date.now();
  api.query(`
    WITH events AS (
      SELECT i, 'evt_tp_' || i AS event_id FROM generate_series(0, ${perEndpoint - 1}) AS i),
    history AS (
      INSERT INTO platform.event_history
        (event_id, outbox_position, type, subject, sequence, user_id, customer_id, envelope, occurred_at, recorded_at, stream_position)
      SELECT event_id, 1000000000 + i, 'billing.refund.processed', 'chg_tp_' || i, 1, NULL, NULL,
        jsonb_build_object('id', event_id, 'type', 'billing.refund.processed', 'version', 1,
          'occurredAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'producer', 'astrix-billing', 'subject', 'chg_tp_' || i, 'correlationId', null,
          'data', jsonb_build_object('chargeId', 'chg_tp_' || i, 'amount', 1000, 'currency', 'USD')),
        now(), now(), 1000000000 + i
      FROM events RETURNING event_id)
    INSERT INTO platform.webhook_deliveries (id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, created_at)
    SELECT 'whd_tp_' || e.ordinality || '_' || h.event_id, e.id, h.event_id, 'billing.refund.processed', 'pending', 0, now(), now()
      FROM history h CROSS JOIN unnest(ARRAY['${endpointIds.join("','")}']) WITH ORDINALITY AS e(id, ordinality)`);
  const expected = perEndpoint * endpointCount;
  const deliveredCount = () =>
    Number(
      api.query(
        `SELECT count(*) FROM platform.webhook_deliveries WHERE event_type = 'billing.refund.processed' AND status = 'succeeded'`,
      ),
    );
  for (let waited = 0; deliveredCount() < expected && waited < 300_000; waited += 200) await sleep(200);
  const doneAt = Date.now();
  throughput = {
    deliveries: expected,
    succeeded: deliveredCount(),
    endpoints: endpointCount,
    seconds: (doneAt - committedAt) / 1000,
    deliveriesPerSecond: Math.round((expected / (doneAt - committedAt)) * 1000),
  };
}

// Floors: a bare keep-alive POST loop to the same receiver, in a process of its own.
// (Asynchronously: the receiver answering it lives in this process.)
const floor = JSON.parse(
  (
    await promisify(execFile)(
      process.execPath,
      [
        join(dirname(fileURLToPath(import.meta.url)), 'raw-sender.mjs'),
        'http://127.0.0.1:3992/raw',
        '10000',
        '600',
      ],
      { encoding: 'utf8' },
    )
  ).stdout,
);

// (2) SSE fan-out to many clients of one user
const viewer = api.cli('dev-token', '--sub', 'bench_viewer', '--ttl', '3600').trim();
const waiting = new Map();
let connected = 0;
const streams = [];
for (let index = 0; index < clients; index += 1) {
  const controller = new AbortController();
  const response = await fetch(`${api.url}/v1/billing/stream`, {
    headers: { authorization: `Bearer ${viewer}` },
    signal: controller.signal,
  });
  if (response.status !== 200) throw new Error(`stream refused: ${response.status}`);
  connected += 1;
  streams.push(controller);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (.+)$/m.exec(frame)?.[1];
        const pending = id && waiting.get(id);
        if (pending) {
          pending.left -= 1;
          if (pending.left === 0) pending.done(Date.now());
        }
      }
    }
  })().catch(() => undefined);
}
await sleep(1000);
const fanoutMs = [];
for (let round = 0; round < fanouts; round += 1) {
  const id = `evt_fanout_${round}`;
  const allReceived = new Promise((resolve) => waiting.set(id, { left: clients, done: resolve }));
  const committedAt = Date.now();
  await append(round, round + 1, 'bench_viewer', 'evt_fanout');
  const timeout = sleep(30_000).then(() => null);
  const doneAt = await Promise.race([allReceived, timeout]);
  if (doneAt === null)
    throw new Error(
      `fan-out ${round}: ${waiting.get(id).left} of ${clients} clients missed the event within 30 s`,
    );
  fanoutMs.push(doneAt - committedAt);
}
for (const controller of streams) controller.abort();
await producer.end();
await api.stop();
receiver.close();

console.log(
  JSON.stringify(
    {
      benchmark:
        'webhook-delivery: signed deliveries to a local receiver, commit-to-delivery lag, SSE fan-out',
      date: new Date().toISOString(),
      ...machine(),
      offeredRatePerSecond: rate,
      eventsSent: count,
      eventsDelivered: arrivals.length,
      deliveriesPerSecond: Math.round((arrivals.length / ((lastAt - firstAt) / 1000)) * 10) / 10,
      commitToDeliveryMs: summary(lags),
      commitToDeliveryFloor: {
        target: 'p50 < 100 ms, deliveries/s = offered',
        bareKeepAlivePostAloneP50Ms: floor.p50,
      },
      throughput: throughput && {
        ...throughput,
        target: '>= 1000 deliveries/s from one process',
        floorBareKeepAlivePostsPerSecond: floor.rate,
      },
      sse: { clients: connected, events: fanouts, commitToAllClientsMs: summary(fanoutMs) },
    },
    null,
    2,
  ),
);
process.exit(arrivals.length === count ? 0 : 1);

#!/usr/bin/env node
// Provisioning: billing.payment.completed → account active, through the real outbox relay, the
// BullMQ "events" queue and the accounts consumer (workers in the API process). Events for the
// seeded 50k evaluation are appended to platform.outbox_events by SQL at a steady rate (as the
// billing transaction would, occurredAt = insert time); latency is from that time to the
// account's `active` status-history row, per charge. Stages from the same rows: outbox relay
// (occurred → published), queue (published → the consumer's inbox claim) and the floor, the
// accounts consumer's own transaction (inbox claim → account active), which no pipeline removes.
// Usage: pnpm exec nx run @astrix/api:build && node tools/bench/provisioning/run.mjs [--count 2000] [--rate 100]
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { cpuUsage, machine, root, startApi } from '../lib/api-server.mjs';

const { Client } = createRequire(join(root, 'apps/api/package.json'))('pg');

const { values } = parseArgs({
  options: { count: { type: 'string', default: '2000' }, rate: { type: 'string', default: '100' } },
});
const count = Number(values.count);
const rate = Number(values.rate);
const api = await startApi({ port: 3993, seed: true });
const productId = api.query(`SELECT id FROM billing.products WHERE slug = 'evaluation-50k'`);
// Appends go over one open connection: a psql process per batch could not keep 100/s on a busy machine.
const producer = new Client({ connectionString: api.env.DATABASE_URL });
await producer.connect();

/** Appends events [from, to) in one statement, each a realistic billing.payment.completed envelope. */
async function append(from, to) {
  const id = (prefix) => `'${prefix}_' || lpad(i::text, 26, '0')`;
  await producer.query(`
    INSERT INTO platform.outbox_events (event_id, type, subject, envelope, occurred_at)
    SELECT ${id('evt')}, 'billing.payment.completed', ${id('chg')},
      jsonb_build_object(
        'id', ${id('evt')}, 'type', 'billing.payment.completed', 'version', 2,
        'occurredAt', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'producer', 'astrix-billing', 'subject', ${id('chg')}, 'correlationId', null,
        'data', jsonb_build_object(
          'chargeId', ${id('chg')}, 'userId', 'bench_trader_' || (i % 500), 'customerId', ${id('cust')},
          'paidFor', 'purchase', 'checkoutSessionId', ${id('chk')}, 'subscriptionId', null,
          'productId', '${productId}', 'productKind', 'evaluation', 'accountSize', 50000,
          'accountTerms', jsonb_build_object('accountSize', 50000, 'phases', 2,
            'profitTargetPercent', jsonb_build_array('8', '5'), 'maxDailyLossPercent', '5',
            'maxTotalLossPercent', '10', 'minTradingDays', 4, 'platform', null),
          'paymentIntentId', null, 'accountId', null, 'amount', 29900, 'currency', 'USD',
          'discountAmount', 0, 'couponCode', null, 'invoiceId', ${id('inv')},
          'paidAt', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))),
      clock_timestamp()
    FROM generate_series(${from}, ${to - 1}) AS i`);
}

// Warm-up: a few events so the first measured ones do not pay for connections and JIT.
await append(1_000_000, 1_000_020);
await waitForActive(20);

const batch = Math.max(1, Math.round(rate / 10));
const cpu = await cpuUsage(api);
const started = Date.now();
for (let sent = 0; sent < count; sent += batch) {
  await append(sent, Math.min(count, sent + batch));
  const due = started + ((sent + batch) / rate) * 1000;
  await sleep(Math.max(0, due - Date.now()));
}
await waitForActive(count + 20);
const used = await cpu();

const rows = api
  .query(
    `SELECT extract(epoch FROM (h.occurred_at - o.occurred_at)) * 1000,
            extract(epoch FROM o.occurred_at) * 1000, extract(epoch FROM h.occurred_at) * 1000
       FROM platform.outbox_events o
       JOIN accounts.accounts a ON a.charge_id = o.subject
       JOIN accounts.account_status_history h ON h.account_id = a.id AND h.to_status = 'active'
      WHERE o.type = 'billing.payment.completed' AND o.event_id < 'evt_00000000000000000001000000'`,
  )
  .split('\n')
  .map((line) => line.split('|').map(Number));
const stageRows = api
  .query(
    `SELECT extract(epoch FROM (o.published_at - o.occurred_at)) * 1000,
            extract(epoch FROM (i.processed_at - o.published_at)) * 1000,
            extract(epoch FROM (h.occurred_at - i.processed_at)) * 1000
       FROM platform.outbox_events o
       JOIN platform.inbox_entries i ON i.event_id = o.event_id AND i.consumer = 'accounts.provisioning'
       JOIN accounts.accounts a ON a.charge_id = o.subject
       JOIN accounts.account_status_history h ON h.account_id = a.id AND h.to_status = 'active'
      WHERE o.type = 'billing.payment.completed' AND o.event_id < 'evt_00000000000000000001000000'`,
  )
  .split('\n')
  .map((line) => line.split('|').map(Number));
const stageP50 = (column) => {
  const sorted = stageRows.map((row) => row[column]).sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] * 10) / 10;
};
const accounts = Number(api.query(`SELECT count(*) FROM accounts.accounts`));
await producer.end();
await api.stop();

const latencies = rows.map(([latency]) => latency).sort((a, b) => a - b);
const percentile = (p) =>
  latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
const firstOccurred = Math.min(...rows.map(([, occurred]) => occurred));
const lastOccurred = Math.max(...rows.map(([, occurred]) => occurred));
const lastActive = Math.max(...rows.map(([, , active]) => active));
console.log(
  JSON.stringify(
    {
      benchmark: 'provisioning: billing.payment.completed (outbox) → account active (status history)',
      date: new Date().toISOString(),
      ...machine(),
      offeredRatePerSecond: rate,
      // What the bench managed to offer (its psql appends slow down on a busy machine).
      offeredActualPerSecond: Math.round((rows.length / (lastOccurred - firstOccurred)) * 1000),
      events: count,
      accountsCreated: accounts - 20,
      latencyMs: {
        p50: Math.round(percentile(50)),
        p90: Math.round(percentile(90)),
        p99: Math.round(percentile(99)),
        max: Math.round(latencies.at(-1)),
      },
      throughputPerSecond: Math.round((rows.length / (lastActive - firstOccurred)) * 1000),
      target: 'p50 < 50 ms, throughput = offered',
      stagesP50Ms: { outboxRelay: stageP50(0), queueToConsumer: stageP50(1) },
      // CPU per payment (API process and its Postgres backends; Redis not counted): steadier than
      // wall-clock figures on a shared machine, and what bounds throughput when the cores are busy.
      cpuMsPerPayment: {
        api: Math.round((used.apiSeconds / count) * 1000 * 100) / 100,
        postgres: Math.round((used.postgresSeconds / count) * 1000 * 100) / 100,
      },
      floorP50Ms: { accountsConsumerTransaction: stageP50(2) },
    },
    null,
    2,
  ),
);
process.exit(rows.length === count ? 0 : 1);

async function waitForActive(expected) {
  const deadline = Date.now() + 600_000;
  while (Number(api.query(`SELECT count(*) FROM accounts.accounts WHERE status = 'active'`)) < expected) {
    if (Date.now() > deadline) throw new Error(`fewer than ${expected} accounts became active in time`);
    await sleep(200);
  }
}

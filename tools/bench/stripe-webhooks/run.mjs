#!/usr/bin/env node
// Signed Stripe webhook intake: verify the signature, store the event once, enqueue its job,
// answer 200. Then the end-to-end rate: how fast the workers process what was taken in.
// Every request carries a distinct, correctly signed event (signed in this process).
// Usage: pnpm exec nx run @astrix/api:build && node tools/bench/stripe-webhooks/run.mjs [--duration 15] [--connections 20]
import { createHmac } from 'node:crypto';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { machine, startApi, summarize } from '../lib/api-server.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '20' },
    // in-process: the API also runs the workers (pnpm start); separate: API without workers, and a
    // worker process (pnpm start:worker) started once intake ends, as a scaled deployment runs.
    workers: { type: 'string', default: 'in-process' },
  },
});
const separateWorkers = values.workers === 'separate';
const secret = 'whsec_bench_only';
const api = await startApi({
  port: 3997,
  env: { STRIPE_WEBHOOK_SECRET: secret, WORKERS_ENABLED: separateWorkers ? 'false' : 'true' },
});

let sequence = 0;
const runId = Date.now().toString(36);
/** A checkout.session.expired event for a session that is not ours: processed as "ignored". */
function nextSignedEvent() {
  sequence += 1;
  const created = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    id: `evt_bench_${runId}_${sequence}`,
    object: 'event',
    api_version: '2025-01-01',
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'customer.created',
    data: { object: { id: `cus_bench_${sequence}`, object: 'customer', created, email: null, metadata: {} } },
  });
  const signature = createHmac('sha256', secret).update(`${created}.${body}`).digest('hex');
  return { body, signature: `t=${created},v1=${signature}` };
}

const options = {
  url: `${api.url}/webhooks/stripe`,
  method: 'POST',
  connections: Number(values.connections),
  headers: { 'content-type': 'application/json' },
  requests: [
    {
      setupRequest(request) {
        const event = nextSignedEvent();
        return {
          ...request,
          body: event.body,
          headers: { ...request.headers, 'stripe-signature': event.signature },
        };
      },
    },
  ],
};
await autocannon({ ...options, duration: 3 }); // warm-up
const warmupEvents = sequence;
const startedAt = Date.now();
const result = await autocannon({ ...options, duration: Number(values.duration) });
const intakeEnded = Date.now();

// End to end: wait until the workers have processed every event taken in.
const worker = separateWorkers ? api.startWorker() : null;
const expected = sequence;
let done = 0;
for (;;) {
  done = Number(
    api.query(`SELECT count(*) FROM billing.stripe_webhook_events WHERE status IN ('processed','ignored')`),
  );
  if (done >= expected || Date.now() - intakeEnded > 120_000) break;
  await new Promise((resolve) => setTimeout(resolve, 200));
}
const processedAt = Date.now();
await worker?.stop();
const stored = Number(api.query('SELECT count(*) FROM billing.stripe_webhook_events'));
await api.stop();

const figures = summarize(result);
console.log(
  JSON.stringify(
    {
      benchmark: 'stripe-webhooks: signed intake (verify + store once + enqueue) and end-to-end processing',
      date: new Date().toISOString(),
      ...machine(),
      connections: options.connections,
      workers: separateWorkers ? 'separate process, started after intake' : 'in the API process',
      durationSeconds: Number(values.duration),
      intake: figures,
      eventsStored: stored,
      eventsSent: expected,
      endToEnd: {
        eventsProcessed: done,
        secondsFromIntakeStartToLastProcessed: (processedAt - startedAt) / 1000,
        eventsPerSecond:
          Math.round(
            ((done - warmupEvents) / ((processedAt - (separateWorkers ? intakeEnded : startedAt)) / 1000)) *
              10,
          ) / 10,
      },
    },
    null,
    2,
  ),
);
process.exit(figures.failures > 0 || stored !== expected ? 1 : 0);

#!/usr/bin/env node
// Checkout creation against the sandbox fake Stripe (in-process in the API, over real HTTP through
// the official SDK): price lookup, coupon quote, customer, our session row + audit, Stripe session.
// Each connection is its own trader, so every request opens a new session for a known customer.
// Usage: pnpm exec nx run @astrix/api:build && node tools/bench/checkout/run.mjs [--duration 15] [--connections 10]
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { machine, startApi, summarize } from '../lib/api-server.mjs';

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '15' }, connections: { type: 'string', default: '10' } },
});
const connections = Number(values.connections);
const api = await startApi({ port: 3995, seed: true, env: { WORKERS_ENABLED: 'false' } });
const productId = api.query(`SELECT id FROM billing.products WHERE slug = 'evaluation-50k'`);
const tokens = Array.from({ length: connections }, (_, index) =>
  api
    .cli('dev-token', '--sub', `bench_trader_${index}`, '--email', `t${index}@bench.test`, '--ttl', '3600')
    .trim(),
);

let client = 0;
const options = {
  url: `${api.url}/v1/billing/checkout-sessions`,
  method: 'POST',
  connections,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ productId, currency: 'USD', couponCode: 'WELCOME20' }),
  setupClient(autocannonClient) {
    autocannonClient.setHeaders({
      'content-type': 'application/json',
      authorization: `Bearer ${tokens[client++ % tokens.length]}`,
    });
  },
};
await autocannon({ ...options, duration: 3 }); // warm-up: creates every trader's customer
const result = await autocannon({ ...options, duration: Number(values.duration) });
const sessions = Number(
  api.query(`SELECT count(*) FROM billing.checkout_sessions WHERE stripe_checkout_session_id IS NOT NULL`),
);
await api.stop();

const figures = summarize(result);
console.log(
  JSON.stringify(
    {
      benchmark: 'checkout: POST /v1/billing/checkout-sessions (coupon, sandbox Stripe over HTTP)',
      date: new Date().toISOString(),
      ...machine(),
      connections,
      durationSeconds: Number(values.duration),
      ...figures,
      sessionsOpenedAtStripe: sessions,
    },
    null,
    2,
  ),
);
process.exit(figures.failures > 0 ? 1 : 0);

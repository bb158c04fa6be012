#!/usr/bin/env node
// Checkout creation against the sandbox fake Stripe (in-process in the API, over real HTTP through
// the official SDK): price lookup, coupon quote, customer, fraud rules at checkout, our session row
// + audit, then the Stripe Checkout Session. 200 traders in turn, each request from its own
// address, so the fraud rules see realistic per-user and per-address counts.
// Usage: pnpm exec nx run @astrix/api:build && node tools/bench/checkout/run.mjs [--duration 15] [--connections 10]
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { machine, mintToken, startApi, summarize } from '../lib/api-server.mjs';

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '15' }, connections: { type: 'string', default: '10' } },
});
const connections = Number(values.connections);
const TRADERS = 200;
// Real rules, with the per-user and per-address limits lifted: the bench buys far more than a
// trader may. tools/bench/fraud-check measures the rules themselves.
const liftedLimits = JSON.stringify({
  userVelocity: { maxCheckouts: 1e6 },
  ipVelocity: { maxCheckouts: 1e6 },
});
const api = await startApi({
  port: 3995,
  seed: true,
  // The bench speaks for many clients through X-Forwarded-For, as a proxy in front would.
  env: { WORKERS_ENABLED: 'false', FRAUD_RULES: liftedLimits, TRUST_PROXY: 'loopback' },
});
const productId = api.query(`SELECT id FROM billing.products WHERE slug = 'evaluation-50k'`);

const tokens = Array.from({ length: TRADERS }, (_, index) =>
  mintToken(api.env.AUTH_JWT_SECRET, { sub: `bench_trader_${index}`, email: `t${index}@bench.test` }),
);
let sent = 0;
const body = JSON.stringify({ productId, currency: 'USD', couponCode: 'WELCOME20' });
const options = {
  url: `${api.url}/v1/billing/checkout-sessions`,
  method: 'POST',
  connections,
  requests: [
    {
      setupRequest(request) {
        sent += 1;
        return {
          ...request,
          body,
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${tokens[sent % TRADERS]}`,
            'x-forwarded-for': `198.18.${Math.floor(sent / 250) % 250}.${sent % 250}`,
          },
        };
      },
    },
  ],
};
await autocannon({ ...options, duration: 5 }); // warm-up: creates the traders' customers
const result = await autocannon({ ...options, duration: Number(values.duration) });
const sessions = Number(
  api.query(`SELECT count(*) FROM billing.checkout_sessions WHERE stripe_checkout_session_id IS NOT NULL`),
);
await api.stop();

const figures = summarize(result);
console.log(
  JSON.stringify(
    {
      benchmark:
        'checkout: POST /v1/billing/checkout-sessions (coupon, fraud rules, sandbox Stripe over HTTP)',
      date: new Date().toISOString(),
      ...machine(),
      connections,
      traders: TRADERS,
      durationSeconds: Number(values.duration),
      ...figures,
      sessionsOpenedAtStripe: sessions,
    },
    null,
    2,
  ),
);
process.exit(figures.failures > 0 ? 1 : 0);

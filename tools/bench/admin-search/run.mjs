#!/usr/bin/env node
// Customer search latency (GET /v1/admin/customers?query=) through the real API — auth, validation,
// Fastify — against a database holding 1,000,000 charges (with their invoices) for 100,000 customers.
// Queries are sequential (one support agent at a time), drawn at random per kind: email, email prefix,
// user id, customer id, Stripe customer id, charge id, Stripe charge id, invoice number,
// card last4 + fingerprint, and a miss. Prints p50/p90/p99/max per kind and over all queries.
// Usage: pnpm exec nx run @astrix/api:build && node tools/bench/admin-search/run.mjs [--charges 1000000] [--iterations 300]
import { parseArgs } from 'node:util';
import { machine, mintToken, startApi } from '../lib/api-server.mjs';

const { values } = parseArgs({
  options: {
    charges: { type: 'string', default: '1000000' },
    customers: { type: 'string', default: '100000' },
    iterations: { type: 'string', default: '300' },
    port: { type: 'string', default: '4310' },
  },
});
const charges = Number(values.charges);
const customers = Number(values.customers);
const iterations = Number(values.iterations);
const fingerprints = Math.floor(customers * 1.5);

const api = await startApi({ port: Number(values.port) });
const pad = (expression) => `lpad((${expression})::text, 26, '0')`;
const loadStarted = Date.now();
api.query(`
  INSERT INTO billing.customers (id, user_id, email, stripe_customer_id, fraud_status, created_at)
  SELECT 'cust_' || ${pad('g')}, 'user_' || g, 'trader' || g || '@example.com', 'cus_' || g, 'clear',
         now() - interval '100 days'
    FROM generate_series(1, ${customers}) g;
  INSERT INTO billing.products (id, kind, name, slug, status, created_at, updated_at)
  VALUES ('prd_bench', 'evaluation', 'Bench', 'bench', 'active', now(), now());
  INSERT INTO billing.charges (id, customer_id, user_id, checkout_session_id, product_id, amount, currency, amount_refunded,
      status, stripe_payment_intent_id, stripe_charge_id, card_brand, card_last4, card_fingerprint, card_country,
      discount_amount, invoice_id, paid_at)
  SELECT 'chg_' || ${pad('g')}, 'cust_' || ${pad(`g % ${customers} + 1`)}, 'user_' || (g % ${customers} + 1),
         'chk_' || ${pad('g')}, 'prd_bench', 29900, 'USD', 0, 'succeeded', 'pi_' || g, 'ch_' || g, 'visa',
         lpad(((g % ${fingerprints}) % 10000)::text, 4, '0'), 'fp_' || (g % ${fingerprints}), 'US', 0,
         'inv_' || ${pad('g')}, now() - (g % 129600) * interval '1 minute'
    FROM generate_series(1, ${charges}) g;
  INSERT INTO billing.invoices (id, number, customer_id, user_id, customer_email, charge_id, status, currency, subtotal,
      discount, tax, total, amount_paid, seller, issued_at, paid_at)
  SELECT 'inv_' || ${pad('g')}, 'AST-2026-' || lpad(g::text, 7, '0'), 'cust_' || ${pad(`g % ${customers} + 1`)},
         'user_' || (g % ${customers} + 1), NULL, 'chg_' || ${pad('g')}, 'paid', 'USD', 29900, 0, 0, 29900, 29900,
         '{"name":"Astrix","address":"x","taxId":null}'::jsonb, now(), now()
    FROM generate_series(1, ${charges}) g;
  ANALYZE billing.customers; ANALYZE billing.charges; ANALYZE billing.invoices;
`);
const loadSeconds = (Date.now() - loadStarted) / 1000;

const token = mintToken(api.env.AUTH_JWT_SECRET, { sub: 'bench_support', roles: ['support'] });
const random = (n) => 1 + Math.floor(Math.random() * n);
const kinds = {
  email: () => `trader${random(customers)}@example.com`,
  email_prefix: () => `trader${random(customers)}@exa`,
  user_id: () => `user_${random(customers)}`,
  customer_id: () => `cust_${String(random(customers)).padStart(26, '0')}`,
  stripe_customer_id: () => `cus_${random(customers)}`,
  charge_id: () => `chg_${String(random(charges)).padStart(26, '0')}`,
  stripe_charge_id: () => `ch_${random(charges)}`,
  invoice_number: () => `AST-2026-${String(random(charges)).padStart(7, '0')}`,
  card: () => {
    const fingerprint = random(fingerprints) - 1;
    return `${String(fingerprint % 10000).padStart(4, '0')} fp_${fingerprint}`;
  },
  miss: () => `nobody${random(customers)}`,
};

async function search(query) {
  const started = process.hrtime.bigint();
  const response = await fetch(`${api.url}/v1/admin/customers?query=${encodeURIComponent(query)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = await response.json();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (response.status !== 200) throw new Error(`${query}: ${response.status} ${JSON.stringify(body)}`);
  return { ms, found: body.data.length };
}

// Warm the connection pool and the plans, then measure.
for (const make of Object.values(kinds)) for (let i = 0; i < 20; i += 1) await search(make());
const samples = Object.fromEntries(Object.keys(kinds).map((kind) => [kind, []]));
const misses = Object.fromEntries(Object.keys(kinds).map((kind) => [kind, 0]));
for (let i = 0; i < iterations; i += 1) {
  for (const [kind, make] of Object.entries(kinds)) {
    const { ms, found } = await search(make());
    samples[kind].push(ms);
    if (found === 0) misses[kind] += 1;
  }
}
await api.stop();

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summary = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  const round = (value) => Math.round(value * 100) / 100;
  return {
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1]),
  };
};
console.log(
  JSON.stringify(
    {
      bench: 'admin-search',
      machine: machine(),
      data: { customers, charges, invoices: charges, loadSeconds },
      queriesPerKind: iterations,
      latencyMsByKind: Object.fromEntries(
        Object.entries(samples).map(([kind, list]) => [kind, summary(list)]),
      ),
      emptyResultsByKind: misses,
      latencyMsAll: summary(Object.values(samples).flat()),
    },
    null,
    2,
  ),
);

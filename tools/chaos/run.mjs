#!/usr/bin/env node
// Chaos run: the real stack (built API x2, worker, sandbox Stripe, own Postgres and Redis), a seeded
// random sequence of what users do, faults at random points, then the invariants. Exit 1 on any
// finding, printing the seed and the operation log to replay it. See docs/reliability.md.
//
//   pnpm chaos --ci                                   # the CI-sized run (fixed seed, ~2 minutes)
//   pnpm chaos --seed 7 --ops 3000 --faults all:4 --outage-ms 30000
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { mkdirSync, appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HttpClient, mintToken } from './lib/client.mjs';
import { createFaults, parseFaults, FAULT_KINDS } from './lib/faults.mjs';
import { freePort, sleep } from './lib/infra.mjs';
import { checkInvariants, drain, readPurchaseSessions } from './lib/invariants.mjs';
import { createOperations, OPERATION_WEIGHTS, Random } from './lib/operations.mjs';
import { root } from './lib/paths.mjs';
import { JWT_SECRET, startStack } from './lib/stack.mjs';

const CI_PRESET = {
  seed: '20261206',
  ops: '900',
  'duration-s': '90',
  faults:
    'kill_api:2,kill_worker:2,postgres_restart:1,redis_restart:1,redis_outage:1,stripe_500:2,stripe_timeout:1,stripe_slow:2,stripe_lost_response:2,webhook_duplicate:2,webhook_late:2',
  'outage-ms': '5000',
  concurrency: '3',
  traders: '16',
  'pace-ms': '300',
  'clock-steps': '5',
};

const { values: args } = parseArgs({
  options: {
    ci: { type: 'boolean', default: false },
    seed: { type: 'string' },
    ops: { type: 'string' },
    'duration-s': { type: 'string' },
    faults: { type: 'string' },
    'outage-ms': { type: 'string' },
    concurrency: { type: 'string' },
    traders: { type: 'string' },
    'pace-ms': { type: 'string' },
    'clock-steps': { type: 'string' },
    'clock-days': { type: 'string' },
    'drain-timeout-s': { type: 'string', default: '150' },
    'log-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const preset = args.ci ? CI_PRESET : {};
const option = (name, fallback) => args[name] ?? preset[name] ?? fallback;
const seed = Number(option('seed', String(Date.now() % 1_000_000)));
const totalOps = Number(option('ops', '1000'));
const durationMs = Number(option('duration-s', '3600')) * 1_000;
const faultSpec = option('faults', 'all:2');
const faultCounts = parseFaults(faultSpec);
const outageMs = Number(option('outage-ms', '30000'));
const concurrency = Number(option('concurrency', '4'));
const traderCount = Number(option('traders', '30'));
/** Mean think time of each simulated client between two operations. */
const paceMs = Number(option('pace-ms', '200'));
/** Times the sandbox clock moves ahead during the load, by 3 to clock-days days each time. */
const clockSteps = Number(option('clock-steps', '30'));
const clockDays = Math.max(3, Number(option('clock-days', '10')));
const logDir = args['log-dir'] ?? join(root, 'tools', 'chaos', 'results');
mkdirSync(logDir, { recursive: true });
const logFile = join(logDir, `chaos-seed${seed}-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`);
const replay = `pnpm chaos --seed ${seed} --ops ${totalOps} --faults ${faultSpec} --outage-ms ${outageMs} --concurrency ${concurrency} --traders ${traderCount} --pace-ms ${paceMs} --clock-steps ${clockSteps} --clock-days ${clockDays}`;

const startedAt = Date.now();
const say = (line) =>
  process.stdout.write(`[chaos ${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${line}\n`);
const record = (entry) =>
  appendFileSync(logFile, `${JSON.stringify({ t: Date.now() - startedAt, ...entry })}\n`);

say(`seed ${seed}, ${totalOps} operations, faults ${faultSpec}, Redis outage ${outageMs} ms; log ${logFile}`);
const stack = await startStack({ log: say, keep: args.keep });
const require = createRequire(join(root, 'apps/api/package.json'));
const { Pool } = require('pg');
const { EVENT_TYPES } = require('@astrix/contracts');
const pool = new Pool({ connectionString: stack.postgres.url, max: 4, connectionTimeoutMillis: 5_000 });
pool.on('error', () => undefined);
const db = { rows: async (sql, params) => (await pool.query(sql, params)).rows };

let exitCode = 1;
// Interrupted (Ctrl-C, Nx cancelling): stop every process and remove the scratch cluster first.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    say(`${signal}: stopping the stack`);
    stack.stop().finally(() => process.exit(130));
  });
}
try {
  exitCode = await run();
} catch (error) {
  say(`the harness failed: ${error?.stack ?? error}`);
  say(`replay: ${replay}`);
} finally {
  await pool.end().catch(() => undefined);
  await stack.stop();
}
process.exit(exitCode);

async function run() {
  const stats = new Map();
  const client = new HttpClient({ baseUrl: stack.url, stats });
  const traders = Array.from({ length: traderCount }, (_, index) => `trader_chaos_${seed}_${index}`);
  const traderTokens = new Map(
    traders.map((sub) => [
      sub,
      mintToken(JWT_SECRET, { sub, email: `${sub}@example.com`, ttlSeconds: 24 * 3600 }),
    ]),
  );
  const tokens = {
    trader: (sub) => traderTokens.get(sub) ?? mintToken(JWT_SECRET, { sub, email: `${sub}@example.com` }),
    admin: mintToken(JWT_SECRET, { sub: 'staff_chaos_admin', roles: ['admin'], ttlSeconds: 24 * 3600 }),
    finance: mintToken(JWT_SECRET, {
      sub: 'staff_chaos_finance',
      roles: ['finance', 'support'],
      ttlSeconds: 24 * 3600,
    }),
    finance2: mintToken(JWT_SECRET, {
      sub: 'staff_chaos_finance_2',
      roles: ['finance', 'support'],
      ttlSeconds: 24 * 3600,
    }),
  };

  // Set-up, as operators would: a service key for the trading platform, a webhook endpoint
  // listening in the harness, payout rules that let funded accounts cash out at once.
  const key = await client.call('POST', '/v1/admin/api-keys', {
    token: tokens.admin,
    body: {
      name: 'chaos trading platform',
      scopes: ['usage:write', 'usage:read', 'entitlements:read', 'accounts:write', 'kyc:write'],
    },
  });
  if (key.status !== 201) throw new Error(`API key not created: ${key.status} ${JSON.stringify(key.body)}`);
  const receiver = await startReceiver();
  const endpoint = await client.call('POST', '/v1/admin/webhook-endpoints', {
    token: tokens.admin,
    body: { url: receiver.url, eventTypes: EVENT_TYPES, description: 'chaos receiver' },
  });
  if (endpoint.status !== 201)
    throw new Error(`webhook endpoint not created: ${endpoint.status} ${JSON.stringify(endpoint.body)}`);
  // Events that happen from now on must reach it (earlier ones, e.g. our API key's, need not).
  const endpointCreatedAt = Date.now();
  const catalog = await client.call('GET', '/v1/billing/products?currency=USD', {
    token: tokens.trader(traders[0]),
  });
  const rows = await db.rows(`SELECT slug, id FROM billing.products`);
  const products = Object.fromEntries(rows.map((row) => [row.slug, row.id]));
  if (catalog.status !== 200) throw new Error(`catalog not readable: ${catalog.status}`);
  for (const slug of ['instant-funded-25k', 'instant-funded-50k', 'evaluation-25k', 'evaluation-50k']) {
    await client.call('PUT', `/v1/admin/payouts/rules/${products[slug]}`, {
      token: tokens.finance,
      body: { minTradingDays: 0, cycleDays: 0 },
    });
  }

  // The sandbox clock's offset as last moved by the harness (usage is reported on that day).
  let sandboxOffsetMs = 0;
  const { operations, acknowledged } = createOperations({
    now: () => new Date(Date.now() + sandboxOffsetMs),
    client,
    fakeUrl: stack.fakeUrl,
    db,
    tokens,
    serviceKey: key.body.key,
    products,
    traders,
  });

  // The plan: which operation at each step and which fault before which step, all from the seed.
  const plan = new Random(seed);
  const steps = Array.from({ length: totalOps }, () => ({
    kind: plan.weighted(OPERATION_WEIGHTS),
    seed: plan.int(2 ** 31),
  }));
  // Each fault at a point of the run (a fraction of it): reached by operations done or time spent,
  // whichever comes first, so a slow machine still sees every fault before the load stops.
  const pending = [];
  for (const kind of FAULT_KINDS) {
    for (let n = 0; n < faultCounts[kind]; n++) pending.push({ at: 0.08 + 0.77 * plan.next(), kind });
  }
  for (let n = 0; n < faultCounts.webhook_late; n++)
    pending.push({ at: 0.3 + 0.6 * plan.next(), kind: 'release_late' });
  for (let n = 0; n < clockSteps; n++)
    pending.push({ at: (0.9 * (n + 1)) / (clockSteps + 1), kind: 'clock_step' });
  pending.sort((a, b) => a.at - b.at);
  const faultCount = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0]));

  const outageProbes = [];
  const faults = createFaults({
    stack,
    rng: new Random(seed ^ 0x5eed),
    outageMs,
    log: (entry) => {
      record(entry);
      say(`fault ${entry.fault}${entry.error ? ` failed: ${entry.error}` : ''}`);
    },
    probeDuringOutage: async () => {
      // Reads keep answering; a purchase made during the outage is not lost (checked afterwards).
      const quick = new HttpClient({ baseUrl: stack.url, budgetMs: 0 });
      const products = await quick.call('GET', '/v1/billing/products?currency=USD', {
        token: tokens.trader(traders[1]),
        retry: false,
      });
      const accounts = await quick.call('GET', '/v1/accounts', {
        token: tokens.trader(traders[1]),
        retry: false,
      });
      // A trader of its own: the per-user purchase velocity rule must not be what refuses it.
      const buy = await operations.buyPlain(
        new Random(seed + 17),
        `trader_outage_probe_${seed}_${outageProbes.length}`,
      );
      const probe = { productsStatus: products.status, accountsStatus: accounts.status, purchase: buy };
      outageProbes.push(probe);
      return probe;
    },
  });
  // The sandbox clock moves ahead between batches, in the background too: Stripe webhooks sent just
  // before arrive days late in sandbox time, some renewals are declined (dunning), and a billing run
  // invoices what fell due; the scheduler's tick then retries the dunning that is due.
  const clockRng = new Random(seed ^ 0xc10c);
  const clockMoves = [];
  let clockChain = Promise.resolve();
  const fakeControl = async (path, body) =>
    (
      await fetch(`${stack.fakeUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      })
    )
      .json()
      .catch(() => null);
  const clockStep = async () => {
    const days = 3 + clockRng.int(clockDays - 2);
    const late = 2 + clockRng.int(3);
    const declines = clockRng.chance(0.5) ? 1 + clockRng.int(3) : 0;
    try {
      await fakeControl('/__control/webhooks/hold-next', { count: late });
      const moved = await client.call('POST', '/v1/admin/sandbox/clock/advance', {
        token: tokens.admin,
        body: { seconds: days * 86_400 },
      });
      if (moved.status === 200) sandboxOffsetMs = moved.body.offsetSeconds * 1_000;
      // Every other process reads the offset each second.
      await sleep(1_500);
      // Just before the run, so that renewals rather than the traders' purchases meet the declines.
      if (declines > 0) await fakeControl('/__control/declines', { count: declines });
      const run = await client.call('POST', '/v1/admin/billing-runs', { token: tokens.finance, body: {} });
      const released = await fakeControl('/__control/webhooks/release', { order: 'published' });
      const entry = {
        clock: moved.body?.now ?? null,
        days,
        status: moved.status,
        stripeClockMoved: moved.body?.stripeClockMoved,
        billingRun: run.status,
        declines,
        lateWebhooks: released?.released ?? 0,
      };
      clockMoves.push(entry);
      record(entry);
      say(
        `clock +${days} days: ${entry.clock} (${moved.status}); billing run ${run.status}; ${entry.lateWebhooks} webhooks days late`,
      );
    } catch (error) {
      clockMoves.push({ days, error: String(error?.message ?? error) });
      say(`clock step failed: ${error?.message ?? error}`);
    }
  };

  // Infrastructure faults one at a time, in the background; the load goes on meanwhile.
  let faultChain = Promise.resolve();
  const scheduleFault = (kind) => {
    faultCount[kind]++;
    faultChain = faultChain.then(() => faults.run(kind));
  };

  const opCounts = {};
  const opStatuses = {};
  let next = 0;
  let done = 0;
  const loadStartedAt = Date.now();
  const loadDeadline = loadStartedAt + durationMs;
  const workers = Array.from({ length: concurrency }, async () => {
    while (next < totalOps && Date.now() < loadDeadline) {
      const index = next++;
      const progress = Math.max(index / totalOps, (Date.now() - loadStartedAt) / durationMs);
      while (pending.length > 0 && pending[0].at <= progress) {
        const { kind } = pending.shift();
        if (kind === 'release_late') faultChain = faultChain.then(() => faults.releaseLate());
        else if (kind === 'clock_step') clockChain = clockChain.then(clockStep);
        else scheduleFault(kind);
      }
      const step = steps[index];
      if (paceMs > 0) await sleep(Math.floor(paceMs * 2 * ((step.seed % 1000) / 1000)));
      const begun = Date.now();
      let result;
      try {
        result = await operations[step.kind](new Random(step.seed));
      } catch (error) {
        result = { error: String(error?.message ?? error) };
      }
      opCounts[step.kind] = (opCounts[step.kind] ?? 0) + 1;
      const statusKey = `${step.kind}:${result.skipped ? 'skipped' : result.error ? 'error' : (result.status ?? result.outcome ?? result.request ?? 'ok')}`;
      opStatuses[statusKey] = (opStatuses[statusKey] ?? 0) + 1;
      record({ i: index, op: step.kind, ms: Date.now() - begun, ...result });
      done++;
      if (done % 50 === 0) say(`${done} operations`);
    }
  });
  await Promise.all(workers);
  // Faults the load did not reach (it stopped early): inject them now, before the drain.
  for (const { kind } of pending.splice(0)) {
    if (kind === 'clock_step') clockChain = clockChain.then(clockStep);
    else if (kind !== 'release_late') scheduleFault(kind);
  }
  say(`load stopped after ${done} operations; waiting for faults to finish`);
  await faultChain;
  await clockChain;
  await faults.clear();

  // Everything up again, then let in-flight work finish.
  await stack.redis.start();
  await Promise.all(stack.apis.map((api) => api.ready(120_000)));
  // Sessions the load abandoned expire when read; their events must be in the drain, not after it.
  say(`purchase sessions read before the drain: ${await readPurchaseSessions({ stack, acknowledged })}`);
  const drained = await drain({
    stack,
    db,
    client,
    tokens,
    timeoutMs: Number(args['drain-timeout-s']) * 1_000,
    log: (entry) => {
      record(entry);
      say(`drain: ${entry.drain} ${JSON.stringify(entry.left)}`);
    },
  });

  const sandboxClock = await client.call('GET', '/v1/admin/sandbox/clock', { token: tokens.admin });
  const { findings, figures } = await checkInvariants({
    stack,
    db,
    client,
    tokens,
    acknowledged,
    receiver,
    endpointCreatedAt,
    runStartedAt: startedAt,
    sandboxNow: sandboxClock.status === 200 ? new Date(sandboxClock.body.now).getTime() : Date.now(),
  });
  figures.sandboxClock = sandboxClock.body;
  // Each move applied once: a retried advance (same Idempotency-Key) must not move the clock again.
  const askedSeconds = clockMoves
    .filter((move) => move.status === 200)
    .reduce((sum, move) => sum + move.days * 86_400, 0);
  if (sandboxClock.status === 200 && sandboxClock.body.offsetSeconds !== askedSeconds)
    findings.push({
      invariant: 'clock_moved_other_than_asked',
      detail: { askedSeconds, offsetSeconds: sandboxClock.body.offsetSeconds },
    });
  if (clockMoves.some((move) => move.error || move.status !== 200))
    findings.push({
      invariant: 'clock_step_failed',
      detail: clockMoves.filter((move) => move.error || move.status !== 200),
    });
  for (const probe of outageProbes) {
    if (probe.productsStatus !== 200 || probe.accountsStatus !== 200) {
      findings.push({ invariant: 'redis_outage_reads_failed', detail: probe });
    }
    // Made during the outage and paid: the purchase invariant above checks its account.
    if (probe.purchase.session === undefined)
      findings.push({ invariant: 'redis_outage_purchase_refused', detail: probe });
  }
  if (!drained.quiet) findings.push({ invariant: 'did_not_drain', detail: drained.left });

  const report = {
    seed,
    replay,
    logFile,
    elapsedSeconds: Math.round((Date.now() - startedAt) / 1000),
    operations: done,
    operationKinds: opCounts,
    operationOutcomes: opStatuses,
    faults: faultCount,
    lateWebhookBatches: faults.heldBatches,
    clockMoves,
    processRestarts: Object.fromEntries([...stack.apis, stack.worker].map((p) => [p.name, p.restarts])),
    outageProbes,
    figures,
    routes: Object.fromEntries(
      [...stats.entries()].map(([route, stat]) => [
        route,
        { ok: stat.ok, errors: stat.errors, retries: stat.retries },
      ]),
    ),
    findings,
  };
  writeFileSync(logFile.replace(/\.jsonl$/, '.report.json'), JSON.stringify(report, null, 2));
  record({ report: { ...report, routes: undefined } });
  say(`operations ${done}: ${JSON.stringify(opCounts)}`);
  say(`faults: ${JSON.stringify(faultCount)}; restarts ${JSON.stringify(report.processRestarts)}`);
  say(`figures: ${JSON.stringify(figures)}`);
  if (findings.length === 0) {
    say(`clean: no finding (seed ${seed}); report ${logFile.replace(/\.jsonl$/, '.report.json')}`);
    return 0;
  }
  say(`${findings.length} finding(s):`);
  for (const item of findings.slice(0, 40))
    say(`  ${item.invariant}: ${JSON.stringify(item.detail).slice(0, 400)}`);
  say(`seed ${seed}; operation log ${logFile}`);
  say(`replay: ${replay}`);
  return 1;
}

/** The outbound webhook endpoint: records every event id it is sent, answers 200. */
async function startReceiver() {
  const port = await freePort();
  const received = new Set();
  let deliveries = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      deliveries++;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (body?.id) received.add(body.id);
      } catch {
        // not JSON: counted, not recorded
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  server.unref();
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    get deliveries() {
      return deliveries;
    },
  };
}

#!/usr/bin/env node
// The framework's floor: an authenticated GET that touches the database
// (GET /v1/admin/api-keys with an admin JWT), through Fastify, guards, throttler and TypeORM.
// Usage: pnpm exec nx run @astrix/api:build && node tools/bench/api-floor/run.mjs [--duration 15] [--connections 50]
import { execFileSync, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '50' },
    port: { type: 'string', default: '3999' },
  },
});
const database = `astrix_bench_${Date.now()}`;
const env = {
  ...process.env,
  NODE_ENV: 'production',
  PORT: values.port,
  HOST: '127.0.0.1',
  DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${database}`,
  AUTH_JWT_SECRET: 'bench-secret-bench-secret-bench-secret-42',
  STRIPE_SECRET_KEY: 'sk_test_bench',
  STRIPE_WEBHOOK_SECRET: 'whsec_bench',
  LOG_LEVEL: 'warn',
  WORKERS_ENABLED: 'false',
  RATE_LIMIT_PER_MINUTE: '100000000',
  QUEUE_PREFIX: `bench${Date.now()}`,
};
const cli = (...args) =>
  execFileSync(process.execPath, [join(root, 'apps/api/dist/cli.js'), ...args], {
    env: { ...env, NODE_ENV: 'development' },
    encoding: 'utf8',
  });

cli('db', 'migrate');
for (let index = 0; index < 30; index += 1)
  cli('apikey', 'create', '--name', `bench-${index}`, '--scopes', 'usage:write');
const token = cli('dev-token', '--sub', 'bench_admin', '--roles', 'admin', '--ttl', '3600').trim();

const server = spawn(process.execPath, [join(root, 'apps/api/dist/main.js')], {
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise((resolve, reject) => {
  server.stdout.on('data', (chunk) => String(chunk).includes('listening') && resolve());
  server.on('exit', (code) => reject(new Error(`API exited with ${code}`)));
});

const url = `http://127.0.0.1:${values.port}/v1/admin/api-keys?limit=25`;
const options = {
  url,
  connections: Number(values.connections),
  headers: { authorization: `Bearer ${token}` },
};
await autocannon({ ...options, duration: 3 }); // warm-up, not reported
const result = await autocannon({ ...options, duration: Number(values.duration) });
server.kill('SIGTERM');
execFileSync('psql', [
  '-h',
  '127.0.0.1',
  '-U',
  'postgres',
  '-qc',
  `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`,
]);

const non2xx = result.non2xx + result.errors + result.timeouts;
console.log(
  JSON.stringify(
    {
      benchmark: 'api-floor: GET /v1/admin/api-keys (admin JWT, 25 rows from Postgres)',
      date: new Date().toISOString(),
      node: process.version,
      cpu: `${cpus().length} x ${cpus()[0]?.model}`,
      connections: options.connections,
      durationSeconds: Number(values.duration),
      requests: result.requests.total,
      requestsPerSecond: result.requests.average,
      latencyMs: {
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        max: result.latency.max,
      },
      failures: non2xx,
    },
    null,
    2,
  ),
);
process.exit(non2xx > 0 ? 1 : 0);

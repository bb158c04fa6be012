#!/usr/bin/env node
// The framework's floor: an authenticated GET that touches the database
// (GET /v1/admin/api-keys with an admin JWT), through Fastify, guards, throttler and TypeORM.
// Usage: pnpm exec nx run @astrix/api:build && node tools/bench/api-floor/run.mjs [--duration 15] [--connections 50]
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { machine, startApi, summarize } from '../lib/api-server.mjs';

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '15' }, connections: { type: 'string', default: '50' } },
});
const api = await startApi({ port: 3999, env: { WORKERS_ENABLED: 'false' } });
for (let index = 0; index < 30; index += 1)
  api.cli('apikey', 'create', '--name', `bench-${index}`, '--scopes', 'usage:write');
const token = api.cli('dev-token', '--sub', 'bench_admin', '--roles', 'admin', '--ttl', '3600').trim();

const options = {
  url: `${api.url}/v1/admin/api-keys?limit=25`,
  connections: Number(values.connections),
  headers: { authorization: `Bearer ${token}` },
};
await autocannon({ ...options, duration: 3 }); // warm-up, not reported
const result = await autocannon({ ...options, duration: Number(values.duration) });
await api.stop();

const figures = summarize(result);
console.log(
  JSON.stringify(
    {
      benchmark: 'api-floor: GET /v1/admin/api-keys (admin JWT, 25 rows from Postgres)',
      date: new Date().toISOString(),
      ...machine(),
      connections: options.connections,
      durationSeconds: Number(values.duration),
      ...figures,
    },
    null,
    2,
  ),
);
process.exit(figures.failures > 0 ? 1 : 0);

#!/usr/bin/env node
// The floor of webhook delivery, for tools/bench/webhook-delivery/run.mjs: a bare undici Pool
// (one keep-alive connection, pipelining 32, like the API's sender) POSTing bodies of the given
// size to the receiver from a process of its own, with no database, queue or signing.
// Prints {"rate": requests/s, "p50": ms of one request sent alone}.
// Usage: node raw-sender.mjs <url> <count> <bodyBytes>
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root } from '../lib/api-server.mjs';

const { Pool } = createRequire(join(root, 'apps/api/package.json'))('undici');
const [url, countArg, sizeArg] = process.argv.slice(2);
const count = Number(countArg);
const body = JSON.stringify({ id: 'evt_raw_0', padding: 'x'.repeat(Math.max(0, Number(sizeArg) - 40)) });
const target = new URL(url);
const pool = new Pool(target.origin, { connections: 1, pipelining: 32 });
const post = async (index) => {
  const response = await pool.request({
    method: 'POST',
    path: target.pathname,
    headers: { 'content-type': 'application/json', 'webhook-id': `evt_raw_${index}` },
    body,
    idempotent: true,
    blocking: false,
  });
  await response.body.dump();
};
// Latency of one request alone (no queueing), 200 times.
const alone = [];
for (let index = 0; index < 200; index += 1) {
  const started = process.hrtime.bigint();
  await post(index);
  alone.push(Number(process.hrtime.bigint() - started) / 1e6);
}
alone.sort((a, b) => a - b);
const started = Date.now();
await Promise.all(Array.from({ length: count }, (_, index) => post(index)));
const seconds = (Date.now() - started) / 1000;
await pool.close();
console.log(JSON.stringify({ rate: Math.round(count / seconds), p50: Math.round(alone[100] * 100) / 100 }));

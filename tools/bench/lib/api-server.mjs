// Starts the built API on its own fresh database for a benchmark, and cleans up after it.
import { execFileSync, spawn } from 'node:child_process';
import { apiNodeFlags } from '../../scripts/node-flags.mjs';
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { databaseUrl, postgresTransport, psql, psqlAsync } from './postgres.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The built API the benches run: apps/api/dist, or BENCH_API_DIST (e.g. a before/after build of its own). */
export const apiDist = process.env.BENCH_API_DIST ?? join(root, 'apps/api/dist');

export function machine() {
  return {
    node: process.version,
    cpu: `${cpus().length} x ${cpus()[0]?.model}`,
    postgres: postgresTransport(),
  };
}

/**
 * @param {{ port: number, env?: Record<string,string>, seed?: boolean, traceGc?: boolean }} options
 * traceGc: the API runs with V8's --trace-gc-nvp, and `gcTotals()` sums what its collections did.
 */
export async function startApi({ port, env: extra = {}, seed = false, traceGc = false }) {
  const database = `astrix_bench_${Date.now()}`;
  const env = {
    ...process.env,
    NODE_ENV: 'development',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl(database),
    AUTH_JWT_SECRET: 'bench-secret-bench-secret-bench-secret-42',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '100000000',
    QUEUE_PREFIX: `bench${Date.now()}`,
    STRIPE_SANDBOX_PORT: String(port + 1),
    ...extra,
  };
  const cli = (...args) =>
    execFileSync(process.execPath, [join(apiDist, 'cli.js'), ...args], { env, encoding: 'utf8' });
  cli('db', 'migrate');
  if (seed) cli('db', 'seed');
  // BENCH_API_NODE_ARGS: node flags for the API process alone, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"
  // to profile what a bench measures (Node refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = [
    ...apiNodeFlags(),
    ...(traceGc ? ['--trace-gc-nvp'] : []),
    ...(process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const server = spawn(process.execPath, [...nodeArgs, join(apiDist, 'main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // A bench that fails half way must not leave its API running.
  process.on('exit', () => server.kill('SIGTERM'));
  const gc = new GcTrace();
  if (traceGc) server.stdout.on('data', (chunk) => gc.add(chunk));
  await new Promise((resolve, reject) => {
    server.stdout.on('data', (chunk) => String(chunk).includes('listening') && resolve(undefined));
    server.on('exit', (code) => reject(new Error(`API exited with ${code}`)));
  });
  const query = (sql) => psql(database, sql).trim();
  return {
    /** A worker process (pnpm start:worker) on the same database and queues. */
    startWorker() {
      const worker = spawn(process.execPath, [join(apiDist, 'worker.js')], {
        env,
        stdio: 'ignore',
      });
      return {
        async stop() {
          worker.kill('SIGTERM');
          await new Promise((resolve) => worker.once('exit', resolve));
        },
      };
    },
    url: `http://127.0.0.1:${port}`,
    /** What the API's garbage collections did so far (with traceGc): subtract two readings for a phase. */
    gcTotals: () => ({ ...gc.totals }),
    /** The API process's pid (for CPU accounting: cpuSeconds). */
    pid: server.pid,
    database,
    env,
    cli,
    query,
    async stop() {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
      psql('postgres', `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`, { stdio: 'ignore' });
    },
  };
}

/** GcTrace's totals before any collection: also where a bench starts summing its phases. */
export function emptyGcTotals() {
  return {
    scavenges: 0,
    scavengePauseMs: 0,
    survivedBytes: 0,
    promotedBytes: 0,
    fullGcs: 0,
    fullGcPauseMs: 0,
  };
}

/**
 * Sums V8's --trace-gc-nvp lines (one `key=value` line per collection): young-generation collections
 * (`gc=s`: their pauses, the bytes that survived them and the bytes they promoted to the old
 * generation) and full mark-compacts (`gc=mc`).
 */
class GcTrace {
  totals = emptyGcTotals();
  #partial = '';

  add(chunk) {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      const fields = Object.fromEntries(
        [...line.matchAll(/(?:^|\s)([a-z_.]+)=([^\s]+)/g)].map(([, key, value]) => [key, value]),
      );
      const pause = Number(fields.pause ?? 0);
      if (fields.gc === 's') {
        this.totals.scavenges += 1;
        this.totals.scavengePauseMs += pause;
        this.totals.survivedBytes += Number(fields.new_space_survived ?? 0);
        this.totals.promotedBytes += Number(fields.promoted ?? 0);
      } else if (fields.gc === 'mc') {
        this.totals.fullGcs += 1;
        this.totals.fullGcPauseMs += pause;
      }
    }
  }
}

/** The fields of /proc/<pid>/stat after the command name (field 3, the state, is index 0). */
function procStat(pid) {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
}

/**
 * CPU seconds (user + system) used so far by the given processes, from /proc (Linux): with `since`,
 * the difference, processes that ended meanwhile counted up to their last reading. A machine shared
 * with other work makes wall-clock figures noisy; the CPU a unit of work costs is much steadier.
 */
export function cpuSeconds(pids) {
  const ticks = 100; // USER_HZ on Linux
  const readings = new Map();
  for (const pid of pids) {
    try {
      const fields = procStat(pid);
      readings.set(pid, (Number(fields[11]) + Number(fields[12])) / ticks);
    } catch {
      // gone
    }
  }
  return readings;
}

/** Minor page faults a process has taken so far (field 10 of /proc/<pid>/stat). */
export function minorFaults(pid) {
  return Number(procStat(pid)[7]);
}

/**
 * Postgres backends serving a database (their pids). Asynchronous: it runs every second while a
 * bench's load runs, and a synchronous psql would stop the load generator each time.
 */
export async function backendPids(api) {
  return (
    await psqlAsync(
      api.database,
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    )
  )
    .split('\n')
    .filter(Boolean)
    .map(Number);
}

/**
 * CPU seconds a process and its database's backends use from now until the returned function is
 * called (sampled every second, so a backend that closes meanwhile counts up to its last sample, and
 * one that opens meanwhile from its start). `listBackends` gives the backends' pids, at once or later.
 */
export async function cpuUsageOf(pid, listBackends) {
  const pids = async () => [pid, ...(await listBackends())];
  const first = cpuSeconds(await pids());
  const last = new Map(first);
  const sample = async () => {
    for (const [seen, seconds] of cpuSeconds(await pids())) last.set(seen, seconds);
  };
  const timer = setInterval(() => void sample(), 1000);
  return async () => {
    clearInterval(timer);
    await sample();
    let processSeconds = 0;
    let postgresSeconds = 0;
    for (const [seen, seconds] of last) {
      const used = seconds - (first.get(seen) ?? 0);
      if (seen === pid) processSeconds += used;
      else postgresSeconds += used;
    }
    return { processSeconds, postgresSeconds };
  };
}

/** cpuUsageOf the API process and its database's backends: `apiSeconds` and `postgresSeconds`. */
export async function cpuUsage(api) {
  const stop = await cpuUsageOf(api.pid, () => backendPids(api));
  return async () => {
    const { processSeconds, postgresSeconds } = await stop();
    return { apiSeconds: processSeconds, postgresSeconds };
  };
}

/** The figures every benchmark prints, from an autocannon result. */
export function summarize(result) {
  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** An HS256 token like the identity service's, for benches that need many users quickly. */
export function mintToken(secret, claims) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ roles: [], exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

// Starts the built API on its own fresh database for a benchmark, and cleans up after it.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function machine() {
  return { node: process.version, cpu: `${cpus().length} x ${cpus()[0]?.model}` };
}

/**
 * @param {{ port: number, env?: Record<string,string>, seed?: boolean }} options
 */
export async function startApi({ port, env: extra = {}, seed = false }) {
  const database = `astrix_bench_${Date.now()}`;
  const env = {
    ...process.env,
    NODE_ENV: 'development',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${database}`,
    AUTH_JWT_SECRET: 'bench-secret-bench-secret-bench-secret-42',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '100000000',
    QUEUE_PREFIX: `bench${Date.now()}`,
    STRIPE_SANDBOX_PORT: String(port + 1),
    ...extra,
  };
  const cli = (...args) =>
    execFileSync(process.execPath, [join(root, 'apps/api/dist/cli.js'), ...args], { env, encoding: 'utf8' });
  cli('db', 'migrate');
  if (seed) cli('db', 'seed');
  const server = spawn(process.execPath, [join(root, 'apps/api/dist/main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // A bench that fails half way must not leave its API running.
  process.on('exit', () => server.kill('SIGTERM'));
  await new Promise((resolve, reject) => {
    server.stdout.on('data', (chunk) => String(chunk).includes('listening') && resolve(undefined));
    server.on('exit', (code) => reject(new Error(`API exited with ${code}`)));
  });
  const query = (sql) =>
    execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', database, '-Atqc', sql], {
      encoding: 'utf8',
    }).trim();
  return {
    /** A worker process (pnpm start:worker) on the same database and queues. */
    startWorker() {
      const worker = spawn(process.execPath, [join(root, 'apps/api/dist/worker.js')], {
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
    env,
    cli,
    query,
    async stop() {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
      execFileSync('psql', [
        '-h',
        '127.0.0.1',
        '-U',
        'postgres',
        '-qc',
        `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`,
      ]);
    },
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

// The stack as a user deploys it: built API processes (two, behind a small load balancer), one
// worker process, the sandbox Stripe in its own process, on the harness's own Postgres and Redis.
// Every process is supervised: one that dies is started again after a moment, as systemd would.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import {
  freePort,
  PostgresCluster,
  RedisServer,
  scratchDirectory,
  sleep,
  waitForPort,
  removeScratch,
} from './infra.mjs';
import { root } from './paths.mjs';

export const JWT_SECRET = 'chaos-secret-chaos-secret-chaos-secret-42';
export const WEBHOOK_SECRET = 'whsec_astrix_chaos_only';
const DIST = join(root, 'apps/api/dist');

class Supervised {
  constructor(name, entry, env, logDir, readyPort) {
    this.name = name;
    this.entry = entry;
    this.env = env;
    this.log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
    this.readyPort = readyPort;
    this.child = null;
    this.stopped = false;
    this.restarts = 0;
    this.pausedUntil = 0;
  }

  start() {
    if (this.stopped || this.child) return;
    const child = spawn(process.execPath, [this.entry], {
      cwd: root,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout.pipe(this.log, { end: false });
    child.stderr.pipe(this.log, { end: false });
    child.once('exit', (code, signal) => {
      this.log.write(`\n[chaos] ${this.name} exited (${code ?? signal})\n`);
      if (this.child === child) this.child = null;
      if (this.stopped) return;
      // Supervisor: start it again (after the fault's delay when we killed it).
      const delay = Math.max(1_000, this.pausedUntil - Date.now());
      setTimeout(() => {
        this.restarts++;
        this.start();
      }, delay);
    });
  }

  /** SIGKILL; the supervisor starts it again after `downMs`. */
  kill(downMs) {
    this.pausedUntil = Date.now() + downMs;
    this.child?.kill('SIGKILL');
  }

  get pid() {
    return this.child?.pid ?? null;
  }

  async ready(timeoutMs = 60_000) {
    if (this.readyPort) await waitForHttp(`http://127.0.0.1:${this.readyPort}/health/live`, timeoutMs);
  }

  stop() {
    this.stopped = true;
    const child = this.child;
    if (!child) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}

async function waitForHttp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/**
 * A load balancer in front of the API processes: round robin; a backend that refuses the connection
 * is skipped (as nginx's proxy_next_upstream does); one that drops a request it was sent answers 502
 * (a request is never sent twice: it may have been processed).
 */
function startLoadBalancer(port, backends) {
  let next = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const attempt = (tries) => {
        const backend = backends[next++ % backends.length];
        const upstream = httpRequest(
          { host: '127.0.0.1', port: backend, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            answer.on('error', () => res.destroy());
          },
        );
        upstream.on('error', (error) => {
          if (res.headersSent) return res.destroy();
          if (error.code === 'ECONNREFUSED' && tries < backends.length * 3) {
            setTimeout(() => attempt(tries + 1), tries < backends.length ? 0 : 300);
            return;
          }
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'BAD_GATEWAY', message: error.message } }));
        });
        upstream.end(body);
      };
      attempt(0);
    });
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/** `workers`: how many worker processes (default 1; the multi-process check runs 2). */
export async function startStack({ log = () => {}, keep = false, workers: workerCount = 1 } = {}) {
  if (!existsSync(join(DIST, 'main.js')) || !existsSync(join(DIST, 'worker.js'))) {
    throw new Error('apps/api/dist is missing: build the API first (pnpm exec nx run @astrix/api:build)');
  }
  const dir = scratchDirectory();
  log(`scratch directory ${dir}`);
  const postgres = await PostgresCluster.create(dir);
  postgres.createDatabase('astrix_chaos');
  const redis = await RedisServer.create(dir);
  log(`postgres on ${postgres.port}, redis on ${redis.port}`);

  const [lbPort, fakePort, api1Port, api2Port] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const publicUrl = `http://127.0.0.1:${lbPort}`;
  const baseEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PUBLIC_URL: publicUrl,
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    AUTH_JWT_SECRET: JWT_SECRET,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_SANDBOX_PORT: String(fakePort),
    STRIPE_TIMEOUT_MS: '3000',
    LOG_LEVEL: 'warn',
    MIGRATIONS_RUN: 'false',
    RATE_LIMIT_PER_MINUTE: '100000',
    QUEUE_PREFIX: 'chaos',
    // The sandbox clock: the harness moves "now" days ahead between batches of operations, and the
    // scheduler's tick (billing run, dunning retries, pending refunds) runs every minute on that day.
    SANDBOX_CLOCK: 'true',
    BILLING_RUN_CRON: '* * * * *',
    OUTBOUND_WEBHOOKS_TIMEOUT_MS: '3000',
    // A few dozen simulated traders share one address and the test cards: the per-address, per-card
    // and shared-card rules would flag everyone. The per-user, Radar, dispute and warning rules stay.
    FRAUD_RULES: JSON.stringify({
      userVelocity: { maxCheckouts: 30 },
      ipVelocity: { maxCheckouts: 1_000_000 },
      cardVelocity: { maxCharges: 1_000_000 },
      sharedCard: { maxUsers: 1_000_000 },
    }),
  };
  const cli = (...args) =>
    execFileSync(process.execPath, [join(DIST, 'cli.js'), ...args], {
      cwd: root,
      env: baseEnv,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  cli('db', 'migrate');
  cli('db', 'seed');

  const fake = new Supervised(
    'fake-stripe',
    join(root, 'tools/chaos/lib/fake-stripe-main.mjs'),
    {
      PATH: process.env.PATH,
      FAKE_STRIPE_PORT: String(fakePort),
      FAKE_STRIPE_WEBHOOK_URL: `${publicUrl}/webhooks/stripe`,
      FAKE_STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
    dir,
  );
  fake.start();
  await waitForPort(fakePort);

  const apis = [
    new Supervised(
      'api-1',
      join(DIST, 'main.js'),
      { ...baseEnv, PORT: String(api1Port), WORKERS_ENABLED: 'false' },
      dir,
      api1Port,
    ),
    new Supervised(
      'api-2',
      join(DIST, 'main.js'),
      { ...baseEnv, PORT: String(api2Port), WORKERS_ENABLED: 'false' },
      dir,
      api2Port,
    ),
  ];
  const workers = Array.from(
    { length: workerCount },
    (_, index) =>
      new Supervised(
        workerCount === 1 ? 'worker' : `worker-${index + 1}`,
        join(DIST, 'worker.js'),
        { ...baseEnv, PORT: '0', WORKERS_ENABLED: 'true' },
        dir,
      ),
  );
  const worker = workers[0];
  for (const api of apis) api.start();
  for (const each of workers) each.start();
  await Promise.all(apis.map((api) => api.ready()));
  const balancer = await startLoadBalancer(lbPort, [api1Port, api2Port]);
  log(
    `API at ${publicUrl} (processes on ${api1Port}, ${api2Port}), fake Stripe at http://127.0.0.1:${fakePort}`,
  );

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    balancer.closeAllConnections?.();
    balancer.close();
    await Promise.all([...apis, ...workers, fake].map((process) => process.stop()));
    redis.destroy();
    postgres.destroy();
    if (!keep) removeScratch(dir);
  };
  // A harness that fails half way must leave nothing running.
  process.once('exit', () => {
    for (const supervised of [...apis, ...workers, fake]) supervised.child?.kill('SIGKILL');
    redis.destroy();
    if (!stopped) postgres.destroy();
  });

  return {
    dir,
    url: publicUrl,
    fakeUrl: `http://127.0.0.1:${fakePort}`,
    postgres,
    redis,
    apis,
    worker,
    workers,
    fake,
    env: baseEnv,
    cli,
    stop,
  };
}

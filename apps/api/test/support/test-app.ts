import 'reflect-metadata';
import type { ModuleMetadata } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap/create-app';
import { createTestDatabase, TestDatabase, uniqueName } from './databases';
import { signToken, TEST_JWT_SECRET, TokenOptions } from './tokens';

// Nest's own fastify copy defines these; take them from the app so the versions always agree.
type InjectOptions = Exclude<Parameters<NestFastifyApplication['inject']>[0], string | undefined>;
type LightMyRequestResponse = Awaited<ReturnType<NestFastifyApplication['inject']>>;

export const RELAXED_FRAUD_RULES = {
  userVelocity: { maxCheckouts: 1000 },
  ipVelocity: { maxCheckouts: 100000 },
  cardVelocity: { maxCharges: 100000 },
  sharedCard: { maxUsers: 100000 },
  cardTesting: { minDeclines: 1000 },
  countryMismatch: { score: 0 },
};

export interface TestApp {
  app: NestFastifyApplication;
  database: TestDatabase;
  dataSource: DataSource;
  queuePrefix: string;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** Bearer header for a user token. */
  as(options?: TokenOptions): { authorization: string };
  close(): Promise<void>;
}

export interface TestAppOptions {
  workers?: boolean;
  env?: Record<string, string>;
  imports?: ModuleMetadata['imports'];
  /** Reuse a database (e.g. to restart the app on the same data). */
  database?: TestDatabase;
}

/** The real app on its own database and Redis key prefix, driven over HTTP through Fastify. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const queuePrefix = uniqueName('t').replace(/[^a-z0-9_]/g, '');
  const previous = { ...process.env };
  Object.assign(process.env, {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    QUEUE_PREFIX: queuePrefix,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'silent',
    MIGRATIONS_RUN: 'false',
    OUTBOX_POLL_INTERVAL_MS: '50',
    // Each app hosts its own sandbox Stripe on a free port.
    STRIPE_SANDBOX_PORT: '0',
    // Every test pays with the same few test cards from 127.0.0.1: only the fraud tests want the
    // real limits, and they set their own.
    FRAUD_RULES: JSON.stringify(RELAXED_FRAUD_RULES),
    // Tests start billing runs themselves, against their own clock.
    BILLING_RUN_CRON: '',
    // Tests reconcile the days they want themselves.
    RECONCILIATION_CRON: '',
    ...options.env,
  });
  for (const name of ['AUTH_JWT_PUBLIC_KEY', 'AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE']) {
    if (!options.env?.[name]) delete process.env[name];
  }
  if (options.env?.AUTH_JWT_PUBLIC_KEY) delete process.env.AUTH_JWT_SECRET;
  let app: NestFastifyApplication;
  try {
    app = await createApp({ workers: options.workers ?? false, imports: options.imports });
  } finally {
    process.env = previous;
  }
  return {
    app,
    database,
    dataSource: app.get(DataSource),
    queuePrefix,
    inject: (injectOptions) => app.getHttpAdapter().getInstance().inject(injectOptions),
    as: (tokenOptions) => ({ authorization: `Bearer ${signToken(tokenOptions)}` }),
    async close() {
      await app.close();
      if (!options.database) await database.drop();
      await deleteRedisKeys(queuePrefix);
    },
  };
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Issues an API key through the admin endpoint, as staff would; returns the raw key. */
export async function issueApiKey(t: TestApp, name: string, scopes: string[]): Promise<string> {
  const created = await t.inject({
    method: 'POST',
    url: '/v1/admin/api-keys',
    headers: t.as({ sub: 'staff_admin', roles: ['admin'] }),
    payload: { name, scopes },
  });
  if (created.statusCode !== 201) throw new Error(`API key not issued: ${created.body}`);
  return created.json().key as string;
}

/** Polls until the check passes or the deadline passes; for effects of background workers. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { startTestApp, type TestApp } from '../support/test-app';

// Found by the chaos harness (tools/chaos): while Redis was away every request answered 500, the
// rate limiter's counters living in Redis. Decided (docs/reliability.md): the rate limit fails open,
// so reads keep answering; money-moving writes are guarded by Idempotency-Key and the database.
describe('Redis outage', () => {
  let redis: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    const real = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    redis = await startTcpProxy({ host: real.hostname, port: Number(real.port || 6379) });
    t = await startTestApp({
      env: { REDIS_URL: `redis://127.0.0.1:${redis.port}`, RATE_LIMIT_PER_MINUTE: '3' },
    });
  });
  afterAll(async () => {
    await redis.restore();
    await t.close();
    await redis.close();
  });

  it('keeps answering reads while Redis is away (the rate limit fails open), and limits again once it is back', async () => {
    const headers = t.as({ sub: 'user_redis_outage' });
    const me = async (): Promise<number> =>
      (await t.inject({ method: 'GET', url: '/v1/me', headers })).statusCode;
    await redis.cut();

    const during: number[] = [];
    for (let index = 0; index < 4; index += 1) during.push(await me());
    const products = await t.inject({ method: 'GET', url: '/v1/billing/products?currency=USD', headers });

    // Four calls past a limit of three, and no 429 and no 500: nothing to count with, nobody is limited.
    expect(during).toEqual([200, 200, 200, 200]);
    expect(products.statusCode).toBe(200);

    await redis.restore();
    const after: number[] = [];
    for (let attempt = 0; attempt < 50 && !after.includes(429); attempt += 1) {
      after.push(await me());
      if (after.at(-1) !== 200 && after.at(-1) !== 429)
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(after).toContain(429);
  });
});

import { Queue, Worker } from 'bullmq';
import { startTestApp, TestApp } from '../support/test-app';

const ADMIN = { sub: 'staff_admin', roles: ['admin'] };
const SUPPORT = { sub: 'staff_support', roles: ['support'] };
const connection = { host: '127.0.0.1', port: 6379 };

/** The bull-board dashboard at /admin/queues: read-only, and its sign-in cookie out of scripts' reach. */
describe('queue dashboard', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  async function failOneJob(jobId: string): Promise<Queue> {
    const queue = new Queue('maintenance', { connection, prefix: t.queuePrefix });
    const worker = new Worker(
      'maintenance',
      async () => {
        throw new Error('boom');
      },
      { connection, prefix: t.queuePrefix },
    );
    try {
      await queue.add('maintenance.purge-idempotency-records', {}, { jobId, attempts: 1 });
      while ((await queue.getJobState(jobId)) !== 'failed') {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await worker.close();
    }
    return queue;
  }

  it('shows the queues to an admin, read-only', async () => {
    const queues = await t.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: t.as(ADMIN) });
    expect(queues.statusCode).toBe(200);
    const listed = queues.json().queues as Array<{ name: string; readOnlyMode: boolean }>;
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((queue) => queue.readOnlyMode)).toBe(true);
    const bySupport = await t.inject({
      method: 'GET',
      url: '/admin/queues/api/queues',
      headers: t.as(SUPPORT),
    });
    expect(bySupport.statusCode).toBe(403);
  });

  it('refuses every mutating action, even to an admin, and leaves the jobs as they were', async () => {
    const queue = await failOneJob('dash-1');
    try {
      const attempts = [
        { method: 'PUT', url: '/admin/queues/api/queues/maintenance/retry/failed' },
        { method: 'PUT', url: '/admin/queues/api/queues/maintenance/clean/failed' },
        { method: 'PUT', url: '/admin/queues/api/queues/maintenance/dash-1/retry' },
        { method: 'PUT', url: '/admin/queues/api/queues/maintenance/dash-1/clean' },
        { method: 'PUT', url: '/admin/queues/api/queues/maintenance/empty' },
        { method: 'PUT', url: '/admin/queues/api/queues/pause' },
        { method: 'POST', url: '/admin/queues/api/queues/maintenance/add' },
      ] as const;
      for (const attempt of attempts) {
        const response = await t.inject({ ...attempt, headers: t.as(ADMIN), payload: {} });
        expect({ ...attempt, status: response.statusCode }).toEqual({ ...attempt, status: 405 });
        expect(response.json().error.code).toBe('METHOD_NOT_ALLOWED');
      }
      // bull-board has no POST retry: a guessed one is no way in either.
      const posted = await t.inject({
        method: 'POST',
        url: '/admin/queues/api/queues/maintenance/dash-1/retry',
        headers: t.as(ADMIN),
        payload: {},
      });
      expect(posted.statusCode).toBe(404);
      expect(await queue.getJobState('dash-1')).toBe('failed');
      expect(await queue.isPaused()).toBe(false);
      expect(await queue.getFailedCount()).toBe(1);
    } finally {
      await queue.close();
    }
  });

  it('signs in by setting an HttpOnly, SameSite=Strict cookie itself, for admins only', async () => {
    const page = await t.inject({ method: 'GET', url: '/admin/queues', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(401);
    expect(page.body).not.toContain('document.cookie');

    const refused = await t.inject({ method: 'POST', url: '/admin/queues/login', headers: t.as(SUPPORT) });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['set-cookie']).toBeUndefined();

    const signedIn = await t.inject({ method: 'POST', url: '/admin/queues/login', headers: t.as(ADMIN) });
    expect(signedIn.statusCode).toBe(204);
    const cookie = String(signedIn.headers['set-cookie']);
    const attributes = cookie.split(';').map((part) => part.trim());
    expect(attributes[0]).toMatch(/^astrix_staff_token=ey/);
    expect(attributes.slice(1)).toEqual(['Path=/admin/queues', 'HttpOnly', 'SameSite=Strict']);

    // The cookie alone opens the (read-only) dashboard.
    const withCookie = await t.inject({
      method: 'GET',
      url: '/admin/queues/api/queues',
      headers: { cookie: attributes[0] },
    });
    expect(withCookie.statusCode).toBe(200);
    const mutating = await t.inject({
      method: 'PUT',
      url: '/admin/queues/api/queues/maintenance/retry/failed',
      headers: { cookie: attributes[0] },
    });
    expect(mutating.statusCode).toBe(405);
  });

  it('marks the cookie Secure in production', async () => {
    const production = await startTestApp({
      database: t.database,
      env: {
        NODE_ENV: 'production',
        STRIPE_SECRET_KEY: 'sk_test_unused',
        STRIPE_WEBHOOK_SECRET: 'whsec_unused',
        PUBLIC_URL: 'https://billing.example.com',
        AUTH_JWT_ISSUER: 'https://identity.example.com',
        AUTH_JWT_AUDIENCE: 'astrix-billing',
        API_KEY_PEPPER: 'p'.repeat(40),
        WEBHOOK_SECRET_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
        TOKEN_SIGNING_SECRET: 't'.repeat(40),
      },
    });
    try {
      const signedIn = await production.inject({
        method: 'POST',
        url: '/admin/queues/login',
        headers: production.as({
          ...ADMIN,
          issuer: 'https://identity.example.com',
          audience: 'astrix-billing',
        }),
      });
      expect(signedIn.statusCode).toBe(204);
      const attributes = String(signedIn.headers['set-cookie'])
        .split(';')
        .map((part) => part.trim());
      expect(attributes.slice(1)).toEqual(['Path=/admin/queues', 'HttpOnly', 'SameSite=Strict', 'Secure']);
    } finally {
      await production.close();
    }
  });
});

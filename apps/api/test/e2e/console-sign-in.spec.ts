import { startTestApp, TestApp } from '../support/test-app';

const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  STRIPE_SECRET_KEY: 'sk_test_unused',
  STRIPE_WEBHOOK_SECRET: 'whsec_unused',
  PUBLIC_URL: 'https://billing.example.com',
  AUTH_JWT_ISSUER: 'https://identity.example.com',
  AUTH_JWT_AUDIENCE: 'astrix-billing',
  API_KEY_PEPPER: 'p'.repeat(40),
  WEBHOOK_SECRET_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  TOKEN_SIGNING_SECRET: 't'.repeat(40),
};

/** The console's sandbox sign-in: staff dev tokens where the development defaults are opted in, nowhere else. */
describe('console sign-in (dev tokens)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const mint = (app: TestApp, payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/v1/auth/dev-token', payload });

  it('mints a token for the chosen staff role that the API accepts with exactly that role', async () => {
    expect((await t.inject({ method: 'GET', url: '/v1/auth/dev-token' })).json()).toEqual({
      available: true,
      roles: ['support', 'finance', 'admin'],
    });
    const minted = await mint(t, { role: 'support', sub: 'alice' });
    expect(minted.statusCode).toBe(201);
    expect(minted.json()).toMatchObject({ sub: 'alice', roles: ['support'] });
    const authorization = `Bearer ${minted.json().token as string}`;
    const me = await t.inject({ method: 'GET', url: '/v1/me', headers: { authorization } });
    expect(me.json()).toMatchObject({ kind: 'user', userId: 'alice', roles: ['support'] });
    const customers = await t.inject({
      method: 'GET',
      url: '/v1/admin/customers?query=nobody@example.com',
      headers: { authorization },
    });
    expect(customers.statusCode).toBe(200);
    const payouts = await t.inject({ method: 'GET', url: '/v1/admin/payouts', headers: { authorization } });
    expect(payouts.statusCode).toBe(403);
  });

  it('refuses roles that are not staff roles, with the error envelope', async () => {
    const refused = await mint(t, { role: 'superuser' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('VALIDATION_ERROR');
    expect((await mint(t, { role: 'admin', sub: 'a b' })).statusCode).toBe(400);
  });

  it('does not exist in production', async () => {
    const production = await startTestApp({ database: t.database, env: PRODUCTION_ENV });
    try {
      const availability = await production.inject({ method: 'GET', url: '/v1/auth/dev-token' });
      expect(availability.statusCode).toBe(404);
      const refused = await mint(production, { role: 'admin' });
      expect(refused.statusCode).toBe(404);
      expect(refused.json().error.code).toBe('NOT_FOUND');
      expect(refused.body).not.toContain('token":');
    } finally {
      await production.close();
    }
  });
});

import { ProbeModule } from '../support/probe.module';
import { eventually, startTestApp, TestApp } from '../support/test-app';
import { rsaKeyPair, signToken } from '../support/tokens';

describe('authentication and authorization', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ imports: [ProbeModule] });
  });
  afterAll(() => t.close());

  const me = (headers: Record<string, string>) => t.inject({ method: 'GET', url: '/v1/me', headers });
  const createKey = (scopes: string[], name = 'trading-platform') =>
    t.inject({
      method: 'POST',
      url: '/v1/admin/api-keys',
      headers: t.as({ sub: 'admin_1', roles: ['admin'] }),
      payload: { name, scopes },
    });

  describe('user JWTs', () => {
    it('accepts a valid token and exposes its claims', async () => {
      const response = await me(t.as({ sub: 'user_42', roles: ['trader'], email: 'a@b.c' }));
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ kind: 'user', userId: 'user_42', email: 'a@b.c', roles: ['trader'] });
    });

    it.each([
      ['missing', {}, /missing credentials/],
      ['not bearer', { authorization: 'Basic abc' }, /Bearer/],
      ['expired', { authorization: `Bearer ${signToken({ expiresInSeconds: -10 })}` }, /expired/],
      [
        'signed with another secret',
        { authorization: `Bearer ${signToken({ secret: 'x'.repeat(40) })}` },
        /invalid token/,
      ],
      ['without exp', { authorization: `Bearer ${signToken({ omitExp: true })}` }, /exp claim is required/],
      ['garbage', { authorization: 'Bearer not.a.jwt' }, /invalid token/],
    ])('refuses a %s token with 401', async (_case, headers, message) => {
      const response = await me(headers as Record<string, string>);
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('UNAUTHENTICATED');
      expect(response.json().error.message).toMatch(message);
    });

    it('refuses a tampered token (payload changed, signature kept)', async () => {
      const [header, , signature] = signToken({ sub: 'user_1' }).split('.');
      const forgedPayload = Buffer.from(
        JSON.stringify({ sub: 'user_1', roles: ['admin'], exp: 9999999999 }),
      ).toString('base64url');
      const response = await me({ authorization: `Bearer ${header}.${forgedPayload}.${signature}` });
      expect(response.statusCode).toBe(401);
    });

    it('refuses a token with alg none', async () => {
      const unsigned = [
        Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url'),
        Buffer.from(JSON.stringify({ sub: 'x', roles: ['admin'], exp: 9999999999 })).toString('base64url'),
        '',
      ].join('.');
      expect((await me({ authorization: `Bearer ${unsigned}` })).statusCode).toBe(401);
    });
  });

  describe('staff roles', () => {
    it('refuses a trader on an admin route with 403', async () => {
      const response = await t.inject({
        method: 'GET',
        url: '/v1/admin/api-keys',
        headers: t.as({ roles: ['trader'] }),
      });
      expect(response.statusCode).toBe(403);
      expect(response.json().error.message).toMatch(/staff role admin/);
    });

    it('refuses support staff on an admin-only route and lets admins in', async () => {
      const support = await t.inject({
        method: 'GET',
        url: '/v1/admin/api-keys',
        headers: t.as({ roles: ['support'] }),
      });
      expect(support.statusCode).toBe(403);
      const admin = await t.inject({
        method: 'GET',
        url: '/v1/admin/api-keys',
        headers: t.as({ roles: ['admin'] }),
      });
      expect(admin.statusCode).toBe(200);
    });

    it('closes a route that declares no access rule, even to admins', async () => {
      const response = await t.inject({
        method: 'GET',
        url: '/v1/test-probe/undeclared',
        headers: t.as({ roles: ['admin'] }),
      });
      expect(response.statusCode).toBe(403);
      expect(response.json().error.message).toMatch(/declares no access rule/);
    });
  });

  describe('service API keys', () => {
    it('issues a key once, stores only its hash, and authenticates with it', async () => {
      const created = await createKey(['usage:write', 'entitlements:read']);
      expect(created.statusCode).toBe(201);
      const body = created.json();
      expect(body.key).toMatch(/^ak_test_[A-Za-z0-9]{40}$/);
      expect(body.prefix).toBe(body.key.slice(0, 12));
      const stored = await t.dataSource.query('SELECT key_hash FROM platform.api_keys WHERE id = $1', [
        body.id,
      ]);
      expect(stored[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(stored)).not.toContain(body.key);

      const listed = await t.inject({
        method: 'GET',
        url: '/v1/admin/api-keys',
        headers: t.as({ roles: ['admin'] }),
      });
      expect(JSON.stringify(listed.json())).not.toContain(body.key);

      const asService = await me({ authorization: `Bearer ${body.key}` });
      expect(asService.statusCode).toBe(200);
      expect(asService.json()).toMatchObject({
        kind: 'service',
        apiKeyId: body.id,
        scopes: ['entitlements:read', 'usage:write'],
      });
      expect((await me({ 'x-api-key': body.key })).statusCode).toBe(200);

      // last_used_at is written off the request path, so it lands shortly after.
      const used = await eventually(async () => {
        const rows = await t.dataSource.query('SELECT last_used_at FROM platform.api_keys WHERE id = $1', [
          body.id,
        ]);
        return rows[0].last_used_at as Date | null;
      });
      expect(used).toBeInstanceOf(Date);
    });

    it('enforces scopes: a key without the scope gets 403, with it 200', async () => {
      const reader = (await createKey(['entitlements:read'])).json();
      const writer = (await createKey(['usage:write'])).json();
      const denied = await t.inject({
        method: 'GET',
        url: '/v1/test-probe/scoped',
        headers: { authorization: `Bearer ${reader.key}` },
      });
      expect(denied.statusCode).toBe(403);
      expect(denied.json().error.message).toMatch(/scope usage:write/);
      const allowed = await t.inject({
        method: 'GET',
        url: '/v1/test-probe/scoped',
        headers: { authorization: `Bearer ${writer.key}` },
      });
      expect(allowed.statusCode).toBe(200);
    });

    it('refuses an API key on user and staff routes, and a user token on service routes', async () => {
      const key = (await createKey(['usage:write', 'accounts:write'])).json();
      const onAdmin = await t.inject({
        method: 'GET',
        url: '/v1/admin/api-keys',
        headers: { authorization: `Bearer ${key.key}` },
      });
      expect(onAdmin.statusCode).toBe(403);
      const userOnService = await t.inject({
        method: 'GET',
        url: '/v1/test-probe/scoped',
        headers: t.as({ roles: ['admin'] }),
      });
      expect(userOnService.statusCode).toBe(403);
    });

    it('refuses a revoked key at once, and unknown or malformed keys', async () => {
      const key = (await createKey(['usage:write'])).json();
      const revoked = await t.inject({
        method: 'POST',
        url: `/v1/admin/api-keys/${key.id}/revoke`,
        headers: t.as({ sub: 'admin_1', roles: ['admin'] }),
      });
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json().revokedAt).toEqual(expect.any(String));
      const after = await me({ authorization: `Bearer ${key.key}` });
      expect(after.statusCode).toBe(401);
      expect(after.json().error.message).toMatch(/invalid or revoked/);

      const unknown = `ak_test_${'A'.repeat(40)}`;
      expect((await me({ authorization: `Bearer ${unknown}` })).statusCode).toBe(401);
      expect((await me({ authorization: 'Bearer ak_test_short' })).statusCode).toBe(401);

      const again = await t.inject({
        method: 'POST',
        url: `/v1/admin/api-keys/${key.id}/revoke`,
        headers: t.as({ roles: ['admin'] }),
      });
      expect(again.statusCode).toBe(409);
    });

    it('validates key creation input and unknown ids', async () => {
      const badScope = await createKey(['money:print']);
      expect(badScope.statusCode).toBe(400);
      expect(badScope.json().error.details[0].field).toBe('scopes');
      expect((await createKey([])).statusCode).toBe(400);
      const unknown = await t.inject({
        method: 'POST',
        url: '/v1/admin/api-keys/key_01jzzzzzzzzzzzzzzzzzzzzzzz/revoke',
        headers: t.as({ roles: ['admin'] }),
      });
      expect(unknown.statusCode).toBe(404);
      const junk = await t.inject({
        method: 'POST',
        url: '/v1/admin/api-keys/../../etc/revoke',
        headers: t.as({ roles: ['admin'] }),
      });
      expect(junk.statusCode).toBe(404);
    });

    it('paginates the key list with a cursor, newest first', async () => {
      for (let index = 0; index < 3; index += 1) await createKey(['usage:read'], `pager-${index}`);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const response = await t.inject({
          method: 'GET',
          url: `/v1/admin/api-keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          headers: t.as({ roles: ['admin'] }),
        });
        expect(response.statusCode).toBe(200);
        const page = response.json();
        expect(page.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.data.map((key: { id: string }) => key.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...seen].sort().reverse());
      expect(new Set(seen).size).toBe(seen.length);
      const bad = await t.inject({
        method: 'GET',
        url: '/v1/admin/api-keys?limit=1000',
        headers: t.as({ roles: ['admin'] }),
      });
      expect(bad.statusCode).toBe(400);
    });
  });
});

describe('RS256 tokens with issuer and audience checks', () => {
  const keys = rsaKeyPair();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        AUTH_JWT_PUBLIC_KEY: keys.publicKey,
        AUTH_JWT_ISSUER: 'https://id.astrix.test',
        AUTH_JWT_AUDIENCE: 'astrix-billing',
      },
    });
  });
  afterAll(() => t.close());

  const me = (token: string) =>
    t.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });

  it('accepts a token signed by the identity key with the right issuer and audience', async () => {
    const token = signToken({
      privateKey: keys.privateKey,
      issuer: 'https://id.astrix.test',
      audience: 'astrix-billing',
    });
    expect((await me(token)).statusCode).toBe(200);
  });

  it('refuses wrong issuer, wrong audience, HS256 and another key', async () => {
    const other = rsaKeyPair();
    const tokens = [
      signToken({ privateKey: keys.privateKey, issuer: 'https://evil.test', audience: 'astrix-billing' }),
      signToken({ privateKey: keys.privateKey, issuer: 'https://id.astrix.test', audience: 'someone-else' }),
      signToken({ issuer: 'https://id.astrix.test', audience: 'astrix-billing' }),
      signToken({
        privateKey: other.privateKey,
        issuer: 'https://id.astrix.test',
        audience: 'astrix-billing',
      }),
    ];
    for (const token of tokens) expect((await me(token)).statusCode).toBe(401);
  });
});

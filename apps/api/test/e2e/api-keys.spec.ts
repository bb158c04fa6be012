import { createHash, createHmac } from 'node:crypto';
import { RETIRED_API_KEY_SCOPES } from '@astrix/contracts';
import { Authenticator } from '../../src/platform/auth/authenticator';
import { Clock } from '../../src/platform/clock';
import { eventually, startTestApp, TestApp } from '../support/test-app';

const ADMIN = { sub: 'admin_keys', roles: ['admin'] };
const PEPPER = 'test-pepper-for-api-keys-e2e-0123456789';

describe('API keys: peppered hashes, expiry, last use, issuable scopes', () => {
  let t: TestApp;
  let now: Date;
  beforeAll(async () => {
    t = await startTestApp({ env: { API_KEY_PEPPER: PEPPER } });
    now = new Date();
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now));
  });
  afterAll(() => t.close());

  const create = (payload: Record<string, unknown>) =>
    t.inject({ method: 'POST', url: '/v1/admin/api-keys', headers: t.as(ADMIN), payload });
  const me = (key: string) =>
    t.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${key}` } });
  const row = async (id: string) =>
    (
      (await t.dataSource.query(
        'SELECT key_hash, hash_scheme, last_used_at, expires_at FROM platform.api_keys WHERE id = $1',
        [id],
      )) as Array<{
        key_hash: string;
        hash_scheme: string;
        last_used_at: Date | null;
        expires_at: Date | null;
      }>
    )[0];

  it('stores an HMAC-SHA256 of the key under the server pepper, not a plain hash', async () => {
    const created = await create({ name: 'peppered', scopes: ['usage:read'] });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json() as { id: string; key: string };
    const stored = await row(id);
    expect(stored.hash_scheme).toBe('hmac-sha256');
    expect(stored.key_hash).toBe(createHmac('sha256', PEPPER).update(key).digest('hex'));
    expect(stored.key_hash).not.toBe(createHash('sha256').update(key).digest('hex'));
    expect((await me(key)).statusCode).toBe(200);
  });

  it('keeps a key issued before the pepper working, and re-hashes it with the pepper on first use', async () => {
    const legacyKey = `ak_live_${'L3gacy'.repeat(6)}abcd`;
    await t.dataSource.query(
      `INSERT INTO platform.api_keys (id, name, prefix, key_hash, hash_scheme, mode, scopes, created_by, created_at)
       VALUES ('key_01legacylegacylegacylegacy', 'legacy', $1, $2, 'sha256', 'live', '{usage:read}', 'admin_keys', now())`,
      [legacyKey.slice(0, 12), createHash('sha256').update(legacyKey).digest('hex')],
    );
    const first = await me(legacyKey);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ kind: 'service', apiKeyId: 'key_01legacylegacylegacylegacy' });
    const upgraded = await eventually(async () => {
      const stored = await row('key_01legacylegacylegacylegacy');
      return stored.hash_scheme === 'hmac-sha256' ? stored : null;
    });
    expect(upgraded.key_hash).toBe(createHmac('sha256', PEPPER).update(legacyKey).digest('hex'));
    // Still works after the upgrade, past the in-process cache too.
    now = new Date(now.getTime() + 10_000);
    expect((await me(legacyKey)).statusCode).toBe(200);
  });

  it('expires a key at its expiresAt: 401 from then on, also when it was cached', async () => {
    const expiresAt = new Date(now.getTime() + 3_600_000).toISOString();
    const created = await create({ name: 'short-lived', scopes: ['usage:read'], expiresAt });
    expect(created.statusCode).toBe(201);
    expect(created.json().expiresAt).toBe(expiresAt);
    const { id, key } = created.json() as { id: string; key: string };
    expect((await row(id)).expires_at).toEqual(new Date(expiresAt));
    expect((await me(key)).statusCode).toBe(200);
    now = new Date(now.getTime() + 3_600_000);
    const expired = await me(key);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringMatching(/expired/),
    });
    const listed = await t.inject({ method: 'GET', url: '/v1/admin/api-keys', headers: t.as(ADMIN) });
    expect(listed.json().data.find((item: { id: string }) => item.id === id).expiresAt).toBe(expiresAt);
  });

  it.each([
    ['in the past', () => new Date(now.getTime() - 1_000).toISOString(), /must be in the future/],
    ['now', () => new Date(now).toISOString(), /must be in the future/],
    ['not a calendar date', () => '2031-02-30T00:00:00Z', /ISO 8601 date-time with an offset/],
    ['a week number', () => '2031-W01', /ISO 8601 date-time with an offset/],
    ['without an offset', () => '2031-01-01T00:00:00', /ISO 8601 date-time with an offset/],
  ])(
    'refuses an expiresAt %s with 400 naming the field, and issues nothing',
    async (_case, value, message) => {
      const before = await t.dataSource.query('SELECT count(*)::int AS n FROM platform.api_keys');
      const refused = await create({ name: 'refused', scopes: ['usage:read'], expiresAt: value() });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error.code).toBe('VALIDATION_ERROR');
      expect(refused.json().error.details[0].field).toBe('expiresAt');
      expect(refused.json().error.message).toMatch(message);
      expect(await t.dataSource.query('SELECT count(*)::int AS n FROM platform.api_keys')).toEqual(before);
    },
  );

  it('knows a key it resolved moments ago without waiting, and stops once it is revoked or expires', async () => {
    const authenticator = t.app.get(Authenticator);
    const expiresAt = new Date(now.getTime() + 3_600_000).toISOString();
    const created = await create({ name: 'known', scopes: ['usage:read'], expiresAt });
    const { id, key } = created.json() as { id: string; key: string };
    const bearer = { authorization: `Bearer ${key}` };
    // Never resolved in this process: authenticate() must ask Postgres.
    expect(authenticator.knownActor(bearer)).toBeUndefined();
    expect((await me(key)).statusCode).toBe(200);
    const actor = { kind: 'service', apiKeyId: id, name: 'known', scopes: ['usage:read'] };
    expect(authenticator.knownActor(bearer)).toEqual(actor);
    expect(authenticator.knownActor({ 'x-api-key': ` ${key} ` })).toEqual(actor);
    // The X-Api-Key header wins over Authorization, as in authenticate().
    expect(authenticator.knownActor({ 'x-api-key': 'ak_live_unknown', ...bearer })).toBeUndefined();
    // Read as authenticate() reads credentials: every spelling it accepts, and the same refusal.
    expect(authenticator.knownActor({ authorization: `bearer ${key}` })).toEqual(actor);
    expect(authenticator.knownActor({ authorization: `Bearer  ${key} ` })).toEqual(actor);
    await expect(authenticator.authenticate({ authorization: `bearer ${key}` })).resolves.toEqual(actor);
    expect(() => authenticator.knownActor({ authorization: `Basic ${key}` })).toThrow(
      'Authorization header must be "Bearer <credential>"',
    );
    await expect(authenticator.authenticate({ authorization: `Basic ${key}` })).rejects.toThrow(
      'Authorization header must be "Bearer <credential>"',
    );
    // Expired since it was resolved: not known, and refused.
    const resolvedAt = now;
    now = new Date(Date.parse(expiresAt));
    expect(authenticator.knownActor(bearer)).toBeUndefined();
    expect((await me(key)).statusCode).toBe(401);
    now = resolvedAt;
    // Revoked: forgotten at once by this process.
    const other = (await create({ name: 'revoked', scopes: ['usage:read'] })).json() as {
      id: string;
      key: string;
    };
    expect((await me(other.key)).statusCode).toBe(200);
    expect(authenticator.knownActor({ authorization: `Bearer ${other.key}` })).toMatchObject({
      apiKeyId: other.id,
    });
    const revoked = await t.inject({
      method: 'POST',
      url: `/v1/admin/api-keys/${other.id}/revoke`,
      headers: t.as(ADMIN),
    });
    expect(revoked.statusCode).toBeLessThan(300);
    expect(authenticator.knownActor({ authorization: `Bearer ${other.key}` })).toBeUndefined();
    expect((await me(other.key)).statusCode).toBe(401);
  });

  it('records last use at most once a minute per key', async () => {
    const { id, key } = (await create({ name: 'used', scopes: ['usage:read'] })).json() as {
      id: string;
      key: string;
    };
    expect((await row(id)).last_used_at).toBeNull();
    const firstUse = new Date(now);
    expect((await me(key)).statusCode).toBe(200);
    await eventually(async () => (await row(id)).last_used_at?.getTime() === firstUse.getTime());
    // Thirty seconds later (past the 5-second cache), another use writes nothing.
    now = new Date(now.getTime() + 30_000);
    expect((await me(key)).statusCode).toBe(200);
    expect((await me(key)).statusCode).toBe(200);
    // A minute after the first use, the next use is recorded.
    now = new Date(firstUse.getTime() + 61_000);
    const later = new Date(now);
    expect((await me(key)).statusCode).toBe(200);
    await eventually(async () => (await row(id)).last_used_at?.getTime() === later.getTime());
    const listed = await t.inject({ method: 'GET', url: '/v1/admin/api-keys', headers: t.as(ADMIN) });
    expect(listed.json().data.find((item: { id: string }) => item.id === id).lastUsedAt).toBe(
      later.toISOString(),
    );
  });

  it.each(RETIRED_API_KEY_SCOPES)(
    'no longer issues %s (no route accepts it): 400 naming the valid scopes',
    async (scope) => {
      const refused = await create({ name: 'useless', scopes: ['usage:read', scope] });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error.details[0].field).toBe('scopes');
      expect(refused.json().error.details[0].message).toBe(
        'each scope must be one of: usage:write, usage:read, entitlements:read, accounts:write, kyc:write ' +
          '(accounts:read, billing:read, events:read are no longer issued: no route accepts them)',
      );
    },
  );
});

import type { DataSource } from 'typeorm';
import { startTestApp, TestApp } from '../support/test-app';

const ADMIN = { sub: 'user_admin_secrets', roles: ['admin'] };

/**
 * Every row of every text-like column (text, varchar, json, jsonb, arrays of them) of every table in
 * every schema of the database that contains `needle`, as `schema.table.column`.
 */
async function columnsContaining(dataSource: DataSource, needle: string): Promise<string[]> {
  const columns: Array<{ table_schema: string; table_name: string; column_name: string }> =
    await dataSource.query(
      `SELECT c.table_schema, c.table_name, c.column_name
         FROM information_schema.columns c
         JOIN information_schema.tables t
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
        WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema')
          AND (c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
               OR (c.data_type = 'ARRAY' AND c.udt_name IN ('_text', '_varchar', '_json', '_jsonb')))`,
    );
  expect(columns.length).toBeGreaterThan(50);
  const found: string[] = [];
  for (const column of columns) {
    const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
    const [{ count }] = (await dataSource.query(
      `SELECT count(*)::int AS count FROM ${ident(column.table_schema)}.${ident(column.table_name)}
        WHERE strpos(${ident(column.column_name)}::text, $1) > 0`,
      [needle],
    )) as Array<{ count: number }>;
    if (count > 0) found.push(`${column.table_schema}.${column.table_name}.${column.column_name}`);
  }
  return found;
}

describe('secrets at rest: no raw API key or webhook signing secret anywhere in the database', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const post = (url: string, payload: Record<string, unknown>, idempotencyKey?: string) =>
    t.inject({
      method: 'POST',
      url,
      headers: { ...t.as(ADMIN), ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
      payload,
    });

  it('stores neither the raw key nor the raw secret, even when created with an Idempotency-Key', async () => {
    const key = await post('/v1/admin/api-keys', { name: 'scanner', scopes: ['usage:read'] }, 'secret-key-1');
    expect(key.statusCode).toBe(201);
    const rawKey = key.json().key as string;
    expect(rawKey).toMatch(/^ak_test_[A-Za-z0-9]{40}$/);

    const endpoint = await post(
      '/v1/admin/webhook-endpoints',
      { url: 'http://127.0.0.1:9/hooks', eventTypes: ['billing.payment.completed'] },
      'secret-endpoint-1',
    );
    expect(endpoint.statusCode).toBe(201);
    const rawSecret = endpoint.json().secret as string;
    expect(rawSecret).toMatch(/^whsec_/);

    const rotated = await post(
      `/v1/admin/webhook-endpoints/${endpoint.json().id}/rotate-secret`,
      { graceHours: 1 },
      'secret-rotate-1',
    );
    expect(rotated.statusCode).toBe(200);
    const rotatedSecret = rotated.json().secret as string;
    expect(rotatedSecret).not.toBe(rawSecret);

    // The key is used once, so every write its use causes (last_used_at, caches) has happened too.
    const me = await t.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${rawKey}` },
    });
    expect(me.statusCode).toBe(200);

    const needles = {
      'raw API key': rawKey,
      'API key body': rawKey.slice('ak_test_'.length),
      'webhook secret': rawSecret,
      'webhook secret body': rawSecret.slice('whsec_'.length),
      'rotated webhook secret': rotatedSecret,
      'rotated webhook secret body': rotatedSecret.slice('whsec_'.length),
    };
    const found: Record<string, string[]> = {};
    for (const [label, needle] of Object.entries(needles)) {
      found[label] = await columnsContaining(t.dataSource, needle);
    }
    expect(found).toEqual(Object.fromEntries(Object.keys(needles).map((label) => [label, []])));
  });

  it('answers a replay of a secret-bearing response with 409 in the error envelope, and issues nothing', async () => {
    const first = await post(
      '/v1/admin/api-keys',
      { name: 'replayed', scopes: ['usage:read'] },
      'secret-key-2',
    );
    expect(first.statusCode).toBe(201);
    const replay = await post(
      '/v1/admin/api-keys',
      { name: 'replayed', scopes: ['usage:read'] },
      'secret-key-2',
    );
    expect(replay.statusCode).toBe(409);
    expect(replay.json().error).toMatchObject({
      code: 'SECRET_ALREADY_SHOWN',
      message: expect.stringMatching(/shown once.*create a new key/),
      requestId: expect.any(String),
    });
    expect(replay.body).not.toContain(first.json().key as string);
    const keys: Array<{ count: number }> = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM platform.api_keys WHERE name = 'replayed'`,
    );
    expect(keys[0].count).toBe(1);

    const endpoint = { url: 'http://127.0.0.1:9/hooks', eventTypes: ['billing.payment.completed'] };
    const created = await post('/v1/admin/webhook-endpoints', endpoint, 'secret-endpoint-2');
    expect(created.statusCode).toBe(201);
    const again = await post('/v1/admin/webhook-endpoints', endpoint, 'secret-endpoint-2');
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('SECRET_ALREADY_SHOWN');
    expect(again.body).not.toContain(created.json().secret as string);
  });
});

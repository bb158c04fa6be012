import { Client } from 'pg';
import { migrateAsOwner } from '../../src/bootstrap/owner-migrations';
import { APPEND_ONLY_TABLES } from '../../src/platform/database/app-role';
import { createTestDatabase, TestDatabase, uniqueName, withAdminClient } from '../support/databases';
import { issueApiKey, startTestApp, TestApp } from '../support/test-app';
import { ADMIN, createFeature, insertCustomer } from '../support/usage';

const PERMISSION_DENIED = '42501';

/** The error code Postgres answers a statement with, or 'ok'. */
async function outcome(t: TestApp, sql: string): Promise<string> {
  try {
    await t.dataSource.query(sql);
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe('two database roles: the API connects as a role that owns no table', () => {
  let database: TestDatabase;
  let role: string;
  let t: TestApp;
  const migrationLines: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    role = uniqueName('astrix_app');
    const appUrl = new URL(database.url);
    appUrl.username = role;
    appUrl.password = 'app-password';
    // As `db migrate` does with DATABASE_MIGRATION_URL set: the owner migrates, then creates and
    // grants the app role named by DATABASE_URL.
    await migrateAsOwner({ databaseUrl: appUrl.toString(), databaseMigrationUrl: database.url }, (line) =>
      migrationLines.push(line),
    );
    t = await startTestApp({ database, env: { DATABASE_URL: appUrl.toString() } });
  });

  afterAll(async () => {
    await t?.close();
    await database?.drop();
    await withAdminClient(async (client) => {
      await client.query(`DROP ROLE IF EXISTS "${role}"`);
    });
  });

  it('created the app role and connects as it, owning no table', async () => {
    expect(migrationLines.join('\n')).toContain(`app role ${role}: granted`);
    const [{ user }] = await t.dataSource.query('SELECT current_user AS user');
    expect(user).toBe(role);
    const owned = await t.dataSource.query('SELECT tablename FROM pg_tables WHERE tableowner = current_user');
    expect(owned).toEqual([]);
  });

  it('writes as usual: API keys, features, customers, usage events, audit rows', async () => {
    const key = await issueApiKey(t, 'roles', ['usage:write']);
    await createFeature(t, { id: 'api-calls', name: 'API calls', kind: 'metered', unit: 'calls' });
    await insertCustomer(t, 'u_roles');
    const reported = await t.inject({
      method: 'POST',
      url: '/v1/usage/events',
      headers: { authorization: `Bearer ${key}` },
      payload: {
        customerId: 'u_roles',
        featureId: 'api-calls',
        quantity: 3,
        timestamp: new Date().toISOString(),
        idempotencyKey: 'roles-1',
      },
    });
    expect(reported.statusCode).toBe(201);
    const features = await t.inject({ method: 'GET', url: '/v1/admin/features', headers: t.as(ADMIN) });
    expect(features.statusCode).toBe(200);
    const [{ count }] = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM platform.audit_log WHERE action IN ('api_key.created', 'feature.created')`,
    );
    expect(count).toBeGreaterThanOrEqual(2);
    const ready = await t.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.json().error?.details ?? []).not.toContainEqual(
      expect.objectContaining({ field: 'migrations' }),
    );
  });

  it('gets a permission error on UPDATE, DELETE and TRUNCATE of the audit log and usage events', async () => {
    const attempts: Record<string, string> = {};
    for (const table of ['platform.audit_log', 'billing.usage_events']) {
      const column = table === 'platform.audit_log' ? 'action' : 'feature_id';
      attempts[`UPDATE ${table}`] = await outcome(t, `UPDATE ${table} SET ${column} = ${column}`);
      attempts[`DELETE ${table}`] = await outcome(t, `DELETE FROM ${table}`);
      attempts[`TRUNCATE ${table}`] = await outcome(t, `TRUNCATE ${table}`);
      // An owner could switch the append-only triggers off; the app role cannot.
      attempts[`DISABLE TRIGGER ${table}`] = await outcome(t, `ALTER TABLE ${table} DISABLE TRIGGER USER`);
    }
    expect(
      Object.values(attempts).every((code) => code === PERMISSION_DENIED) ? 'all refused' : attempts,
    ).toBe('all refused');
  });

  it('refuses UPDATE, DELETE and TRUNCATE on every append-only table that exists', async () => {
    const refused: string[] = [];
    for (const table of APPEND_ONLY_TABLES) {
      const [{ present }] = await t.dataSource.query('SELECT to_regclass($1) IS NOT NULL AS present', [
        table,
      ]);
      if (!present) continue;
      const [{ update, del, truncate }] = await t.dataSource.query(
        `SELECT has_table_privilege($1, 'UPDATE') AS update, has_table_privilege($1, 'DELETE') AS del,
                has_table_privilege($1, 'TRUNCATE') AS truncate`,
        [table],
      );
      if (!update && !del && !truncate) refused.push(table);
    }
    expect(refused).toEqual(
      expect.arrayContaining(['platform.audit_log', 'billing.usage_events', 'payouts.ledger_entries']),
    );
    expect(refused.length).toBeGreaterThanOrEqual(3);
  });

  it('gives tables created by later migrations the app grants (default privileges)', async () => {
    // As a later migration would: the owner creates a table.
    const owner = new Client({ connectionString: database.url });
    await owner.connect();
    try {
      await owner.query('CREATE TABLE billing.roles_probe (id text PRIMARY KEY)');
    } finally {
      await owner.end();
    }
    await t.dataSource.query(`INSERT INTO billing.roles_probe (id) VALUES ('a')`);
    expect(await t.dataSource.query('SELECT id FROM billing.roles_probe')).toEqual([{ id: 'a' }]);
  });

  it('is idempotent: a second migrate keeps the grants and the revokes', async () => {
    const again: string[] = [];
    const appUrl = new URL(database.url);
    appUrl.username = role;
    await migrateAsOwner({ databaseUrl: appUrl.toString(), databaseMigrationUrl: database.url }, (line) =>
      again.push(line),
    );
    expect(again.join('\n')).toContain('migrations (as owner): up to date');
    expect(await outcome(t, 'DELETE FROM platform.audit_log')).toBe(PERMISSION_DENIED);
    expect(await outcome(t, 'SELECT count(*) FROM platform.audit_log')).toBe('ok');
  });
});

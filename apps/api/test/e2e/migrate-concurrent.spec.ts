import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { MIGRATIONS } from '../../src/migrations';
import { DIST, runBuilt } from '../support/cli';
import { databaseUrl, uniqueName, withAdminClient } from '../support/databases';
import { TEST_JWT_SECRET } from '../support/tokens';

jest.setTimeout(180_000);

/**
 * Two replicas start at once and both run `db migrate` on a database that does not exist yet: both
 * succeed, each migration is applied once (the advisory lock makes the second wait and then find
 * nothing to do), and the ledger backfill posts nothing twice.
 */
describe('db migrate from two processes at once (built CLI)', () => {
  const name = uniqueName('astrix_migrate_race');
  const url = databaseUrl(name);
  afterAll(() => withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)));

  it('both succeed and every migration is applied once', async () => {
    if (!existsSync(join(DIST, 'cli.js'))) throw new Error('apps/api/dist is missing: build it first');
    const migrate = () =>
      runBuilt('cli.js', ['db', 'migrate'], { DATABASE_URL: url, AUTH_JWT_SECRET: TEST_JWT_SECRET });
    const [first, second] = await Promise.all([migrate(), migrate()]);
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect([second.code, second.stderr]).toEqual([0, '']);
    // One applied them all, the other waited for the lock and found none pending.
    const outputs = [first.stdout, second.stdout];
    expect(outputs.filter((output) => output.includes('migrations applied:'))).toHaveLength(1);
    expect(outputs.filter((output) => output.includes('migrations: up to date'))).toHaveLength(1);

    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const applied = await client.query<{ total: number; names: number }>(
        'SELECT count(*)::int AS total, count(DISTINCT name)::int AS names FROM migrations',
      );
      expect(applied.rows[0]).toEqual({ total: MIGRATIONS.length, names: MIGRATIONS.length });
    } finally {
      await client.end();
    }
  });
});

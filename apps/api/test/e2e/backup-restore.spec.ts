import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BillingTestApp, productBySlug, purchase, startBillingTestApp } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { DIST, runBuilt } from '../support/cli';
import { databaseUrl, uniqueName, withAdminClient } from '../support/databases';
import { tableCounts } from '../support/table-counts';
import { eventually, issueApiKey } from '../support/test-app';
import { TEST_JWT_SECRET } from '../support/tokens';
import { createFeature, grantToPlan, insertCustomer, insertSubscription } from '../support/usage';

// Each step boots the built CLI while other suites share the cores.
jest.setTimeout(180_000);

const FINANCE = { sub: 'staff_finance', roles: ['finance'] };
const DAY_MS = 86_400_000;

/**
 * `pnpm cli backup create|restore` end to end on the built CLI: activity (purchases, a refund,
 * usage), a backup, the database dropped, the backup restored into a fresh database: the same row
 * counts in every table, the books check clean, nothing left for `db migrate`. A backup whose bytes
 * changed is refused before anything is restored.
 */
describe('backup and restore (built CLI)', () => {
  let t: BillingTestApp | null = null;
  let directory: string;
  const restoredName = uniqueName('astrix_restored');
  const restoredUrl = databaseUrl(restoredName);
  const cli = (args: string[], url: string) =>
    runBuilt('cli.js', args, { DATABASE_URL: url, AUTH_JWT_SECRET: TEST_JWT_SECRET });

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'cli.js'))) throw new Error('apps/api/dist is missing: build it first');
    directory = await mkdtemp(join(tmpdir(), 'astrix-backup-'));
  });
  afterAll(async () => {
    await t?.close();
    await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${restoredName}" WITH (FORCE)`));
    await rm(directory, { recursive: true, force: true });
  });

  it('restores every row of a dropped database from a checksummed dump; books clean', async () => {
    const app = await startBillingTestApp();
    t = app;
    // Purchases and a partial refund.
    await purchase(app, { sub: 'user_backup_a', email: 'backup.a@example.com' }, 'evaluation-25k');
    const { charge } = await purchase(
      app,
      { sub: 'user_backup_b', email: 'backup.b@example.com' },
      'evaluation-50k',
    );
    const refund = await app.inject({
      method: 'POST',
      url: `/v1/admin/charges/${String(charge.id)}/refunds`,
      headers: { ...app.as(FINANCE), 'idempotency-key': randomUUID() },
      payload: { amount: 1500, reason: 'requested_by_customer' },
    });
    expect(refund.statusCode).toBe(201);
    await app.fake.flushWebhooks();
    await eventually(async () => {
      const [row] = await app.dataSource.query('SELECT status FROM billing.refunds WHERE id = $1', [
        refund.json().id,
      ]);
      return row?.status === 'succeeded';
    }, 20_000);
    // Usage on a subscription.
    const plan = (await productBySlug(app, 'pro-monthly')).id;
    await createFeature(app, { id: 'api-calls', name: 'API calls', kind: 'metered', unit: 'calls' });
    await grantToPlan(app, plan, 'api-calls', { limit: 1000 });
    const customerId = await insertCustomer(app, 'user_backup_usage');
    await insertSubscription(app, {
      customerId,
      userId: 'user_backup_usage',
      productId: plan,
      status: 'active',
      start: new Date(Date.now() - DAY_MS),
      end: new Date(Date.now() + 20 * DAY_MS),
    });
    const usageKey = await issueApiKey(app, 'trading-platform', ['usage:write']);
    for (const quantity of [5, 7]) {
      const reported = await app.inject({
        method: 'POST',
        url: '/v1/usage/events',
        headers: { authorization: `Bearer ${usageKey}` },
        payload: {
          customerId: 'user_backup_usage',
          featureId: 'api-calls',
          quantity,
          timestamp: new Date().toISOString(),
          idempotencyKey: `backup-usage-${quantity}`,
        },
      });
      expect(reported.statusCode).toBeLessThan(300);
    }
    await expectBooksClean(app.app);

    const before = await tableCounts(app.database.url);
    expect(before['billing.charges']).toBe(2);
    expect(before['billing.refunds']).toBe(1);
    expect(before['billing.usage_events']).toBe(2);
    expect(before['billing.journal_entries']).toBeGreaterThan(0);

    const dump = join(directory, 'astrix.dump');
    const created = await cli(['backup', 'create', '--out', dump], app.database.url);
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toMatch(/sha256 [0-9a-f]{64}/);
    const manifest = JSON.parse(await readFile(`${dump}.manifest.json`, 'utf8'));
    const [{ name: lastMigration }] = await app.dataSource.query(
      'SELECT name FROM migrations ORDER BY "timestamp" DESC, id DESC LIMIT 1',
    );
    expect(manifest).toMatchObject({
      format: 'astrix-backup/1',
      file: 'astrix.dump',
      dumpFormat: 'custom',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      size: expect.any(Number),
      schemaVersion: lastMigration,
      createdAt: expect.any(String),
    });

    // Destroy: the app stops and its database is dropped.
    await app.close();
    t = null;

    // A dump whose bytes changed is refused, and nothing is created.
    const tampered = join(directory, 'tampered', 'astrix.dump');
    await mkdir(join(directory, 'tampered'));
    const bytes = await readFile(dump);
    bytes[bytes.length - 10] ^= 0xff;
    await writeFile(tampered, bytes);
    await copyFile(`${dump}.manifest.json`, `${tampered}.manifest.json`);
    const refused = await cli(['backup', 'restore', tampered, '--target', restoredUrl], restoredUrl);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('checksum mismatch');
    const exists = await withAdminClient((client) =>
      client.query('SELECT 1 FROM pg_database WHERE datname = $1', [restoredName]),
    );
    expect(exists.rowCount).toBe(0);

    // The real one restores into a fresh database.
    const restored = await cli(['backup', 'restore', dump, '--target', restoredUrl], restoredUrl);
    expect(restored).toMatchObject({ code: 0 });
    expect(restored.stdout).toContain(`schema ${String(lastMigration)}`);
    expect(await tableCounts(restoredUrl)).toEqual(before);

    // Restoring again over it is refused: restore never merges into a database with our tables.
    const again = await cli(['backup', 'restore', dump, '--target', restoredUrl], restoredUrl);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already holds');

    const migrate = await cli(['db', 'migrate'], restoredUrl);
    expect(migrate).toMatchObject({ code: 0 });
    expect(migrate.stdout).toContain('migrations: up to date');
    expect(migrate.stdout).toContain('ledger backfill: 0 entries posted');
    // The fake Stripe went with the app: the books check compares our restored tables.
    const books = await cli(['books', 'check', '--no-processor'], restoredUrl);
    expect(books).toMatchObject({ code: 0, stdout: '(none)\n' });
  });
});

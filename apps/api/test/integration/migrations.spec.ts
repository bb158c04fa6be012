import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/bootstrap/data-source-options';
import { createTestDatabase, TestDatabase } from '../support/databases';

describe('migrations', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = new DataSource(dataSourceOptions(database.url, 'astrix-test-migrations'));
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('leaves nothing pending on a migrated database', async () => {
    expect(await dataSource.showMigrations()).toBe(false);
  });

  it('match the entities exactly: the schema builder finds nothing to change (no drift)', async () => {
    const drift = await dataSource.driver.createSchemaBuilder().log();
    expect(drift.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('create one schema per context', async () => {
    const rows = await dataSource.query(
      `SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ('platform','billing','accounts','payouts') ORDER BY 1`,
    );
    expect(rows.map((row: { schema_name: string }) => row.schema_name)).toEqual([
      'accounts',
      'billing',
      'payouts',
      'platform',
    ]);
  });

  it('can be reverted and re-applied', async () => {
    const count = dataSource.migrations.length;
    for (let index = 0; index < count; index += 1)
      await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await dataSource.showMigrations()).toBe(true);
    await dataSource.runMigrations({ transaction: 'each' });
    expect(await dataSource.showMigrations()).toBe(false);
  });
});

import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/bootstrap/data-source-options';
import { databaseUrl, TEMPLATE_DATABASE_VARIABLE, uniqueName, withAdminClient } from './databases';

/** Creates this run's own database, migrates it, and keeps it as the template every test file clones. */
export default async function globalSetup(): Promise<void> {
  await dropAbandonedTestDatabases();
  const name = uniqueName('astrix_run');
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`));
  const dataSource = new DataSource(dataSourceOptions(databaseUrl(name), 'astrix-test-setup'));
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();
  process.env[TEMPLATE_DATABASE_VARIABLE] = name;
}

const ABANDONED_AFTER_MS = 6 * 3600_000;

/** Databases left by runs that were killed before their teardown (names carry their creation time). */
async function dropAbandonedTestDatabases(): Promise<void> {
  await withAdminClient(async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname ~ '^astrix_(t|run|cli)_[0-9a-z]+_[0-9a-f]{8}$'`,
    );
    for (const { datname } of rows) {
      const createdAt = parseInt(datname.split('_')[2], 36);
      if (Date.now() - createdAt > ABANDONED_AFTER_MS) {
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
  });
}

import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/platform/database/data-source-options';
import { databaseUrl, TEMPLATE_DATABASE_VARIABLE, uniqueName, withAdminClient } from './databases';

/** Creates this run's own database, migrates it, and keeps it as the template every test file clones. */
export default async function globalSetup(): Promise<void> {
  const name = uniqueName('astrix_run');
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`));
  const dataSource = new DataSource(dataSourceOptions(databaseUrl(name), 'astrix-test-setup'));
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();
  process.env[TEMPLATE_DATABASE_VARIABLE] = name;
}

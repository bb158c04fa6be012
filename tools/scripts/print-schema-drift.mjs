#!/usr/bin/env node
// Prints the SQL that would bring a freshly migrated database in line with the entities: the body
// of the next migration. Build first (`pnpm nx build api`), then run
// `node tools/scripts/print-schema-drift.mjs`. Uses a throwaway database on DATABASE_ADMIN_URL.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(root, 'apps/api/package.json'));
const { Client } = require('pg');
const { DataSource } = require('typeorm');
const { dataSourceOptions } = require(join(root, 'apps/api/dist/bootstrap/data-source-options.js'));

const adminUrl = process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `astrix_drift_${process.pid}`;
const admin = new Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(adminUrl);
url.pathname = `/${name}`;
const dataSource = new DataSource(dataSourceOptions(url.toString(), 'astrix-drift'));
try {
  await dataSource.initialize();
  await dataSource.runMigrations();
  const drift = await dataSource.driver.createSchemaBuilder().log();
  for (const query of drift.upQueries) console.log(`${query.query};`);
  if (drift.upQueries.length === 0) console.error('no drift: entities match the migrations');
} finally {
  if (dataSource.isInitialized) await dataSource.destroy();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.end();
}

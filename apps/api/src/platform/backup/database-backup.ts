import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Client } from 'pg';
import { ensureDatabaseExists } from '../database/ensure-database';
import { APP_SCHEMAS } from '../database/app-role';
import {
  BACKUP_FORMAT,
  type BackupManifest,
  checkAgainstManifest,
  manifestPathOf,
  parseManifest,
} from './backup-manifest';
import { hashFile, pgToolConnection, runPgTool } from './pg-tools';

/** The last migration applied: the schema a dump holds, and the one a restored database has. */
export async function schemaVersionOf(databaseUrl: string): Promise<string> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const found = await client.query<{ name: string }>(
      `SELECT name FROM public.migrations ORDER BY "timestamp" DESC, id DESC LIMIT 1`,
    );
    const [row] = found.rows;
    if (!row) throw new Error('the database has no migrations applied');
    return row.name;
  } finally {
    await client.end();
  }
}

/**
 * `backup create`: pg_dump in custom format (compressed, restorable table by table), written to a
 * temporary name and renamed when complete, then its manifest (size, sha256, schema version).
 */
export async function createBackup(
  databaseUrl: string,
  path: string,
  now: () => Date = () => new Date(),
): Promise<BackupManifest> {
  const connection = pgToolConnection(databaseUrl);
  const schemaVersion = await schemaVersionOf(databaseUrl);
  const partial = `${path}.partial`;
  await runPgTool(
    'pg_dump',
    ['--format=custom', '--no-owner', '--no-acl', `--file=${partial}`, `--dbname=${connection.dbname}`],
    connection.env,
  );
  await rename(partial, path);
  const { size, sha256 } = await hashFile(path);
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    file: basename(path),
    dumpFormat: 'custom',
    sha256,
    size,
    schemaVersion,
    database: decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, '')),
    createdAt: now().toISOString(),
  };
  await writeFile(manifestPathOf(path), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Reads a backup's manifest and checks the file against it: throws before anything is restored. */
export async function verifyBackup(path: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(manifestPathOf(path), 'utf8');
  } catch {
    throw new Error(`no manifest beside the backup: ${manifestPathOf(path)}`);
  }
  const manifest = parseManifest(text);
  const actual = await hashFile(path);
  const verdict = checkAgainstManifest(manifest, { file: basename(path), ...actual });
  if (!verdict.ok) throw new Error(`refusing to restore ${path}: ${verdict.reason}`);
  return manifest;
}

/** Tables in the app's schemas: a restore goes into a database that has none. */
async function appTableCount(databaseUrl: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const found = await client.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM pg_tables WHERE schemaname = ANY($1) OR (schemaname = 'public' AND tablename = 'migrations')`,
      [[...APP_SCHEMAS]],
    );
    return found.rows[0]?.count ?? 0;
  } finally {
    await client.end();
  }
}

export interface RestoreReport {
  manifest: BackupManifest;
  createdDatabase: boolean;
  schemaVersion: string;
}

/**
 * `backup restore`: verifies the checksum, creates the target database when missing (it must hold
 * none of our tables: restore never merges into live data), and runs pg_restore in one transaction,
 * stopping at the first error so a failed restore leaves an empty database, not half of one.
 */
export async function restoreBackup(path: string, targetUrl: string): Promise<RestoreReport> {
  const manifest = await verifyBackup(path);
  const createdDatabase = await ensureDatabaseExists(targetUrl);
  const existing = await appTableCount(targetUrl);
  if (existing > 0) {
    throw new Error(
      `refusing to restore into ${new URL(targetUrl).pathname.slice(1)}: it already holds ${existing} of our tables; ` +
        'restore into a new (or empty) database and point the app at it',
    );
  }
  const connection = pgToolConnection(targetUrl);
  await runPgTool(
    'pg_restore',
    [
      '--exit-on-error',
      '--single-transaction',
      '--no-owner',
      '--no-acl',
      `--dbname=${connection.dbname}`,
      path,
    ],
    connection.env,
  );
  const schemaVersion = await schemaVersionOf(targetUrl);
  if (schemaVersion !== manifest.schemaVersion) {
    throw new Error(`restored schema version ${schemaVersion}, the manifest says ${manifest.schemaVersion}`);
  }
  return { manifest, createdDatabase, schemaVersion };
}

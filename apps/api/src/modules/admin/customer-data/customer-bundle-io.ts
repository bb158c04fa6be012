import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, escapeIdentifier, escapeLiteral } from 'pg';
import { RETAINED_TABLES } from '../../../platform/database/app-role';
import { newId } from '../../../platform/ids';
import {
  bundleChecksum,
  type BundleTable,
  CUSTOMER_BUNDLE_FORMAT,
  type CustomerBundleManifest,
  fileOfTable,
  MANIFEST_FILE,
  parseBundleManifest,
  sha256Of,
  tableFileContent,
  verifyTableFile,
} from './customer-bundle';
import { customerTables, ownerCondition, ruleOf } from './customer-data-map';

export interface CustomerRef {
  customerId: string;
  userId: string;
}

const qualified = (table: string): string =>
  table
    .split('.')
    .map((part) => escapeIdentifier(part))
    .join('.');

/** A map condition with the customer's ids in place of $1 and $2 (literals: a condition may use one, both or neither). */
export function conditionFor(table: string, who: CustomerRef): string {
  return ownerCondition(table).replace(/\$([12])(?!\d)/g, (_, n: string) =>
    escapeLiteral(n === '1' ? who.customerId : who.userId),
  );
}

/** Connects, runs the work and closes, with times written in UTC (row_to_json's text is stable). */
export async function withClient<T>(databaseUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'astrix-customer-data' });
  await client.connect();
  try {
    await client.query(`SET TIME ZONE 'UTC'`);
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function schemaVersion(client: Client): Promise<string> {
  const found = await client.query<{ name: string }>(
    `SELECT name FROM public.migrations ORDER BY "timestamp" DESC, id DESC LIMIT 1`,
  );
  if (!found.rows[0]) throw new Error('the database has no migrations applied');
  return found.rows[0].name;
}

/** The customer by its id (cust_…) or its user id. */
export async function findCustomer(client: Client, idOrUser: string): Promise<CustomerRef> {
  const found = await client.query<{ id: string; user_id: string }>(
    'SELECT id, user_id FROM billing.customers WHERE id = $1 OR user_id = $1 ORDER BY id',
    [idOrUser],
  );
  if (found.rows.length === 0) throw new Error(`no customer ${idOrUser} (a customer id or a user id)`);
  if (found.rows.length > 1)
    throw new Error(`${idOrUser} names ${found.rows.length} customers; pass a customer id`);
  return { customerId: found.rows[0].id, userId: found.rows[0].user_id };
}

/** Every row of the customer's, table by table (map order), as row_to_json text sorted by key. */
export async function readCustomerRows(client: Client, who: CustomerRef): Promise<Map<string, string[]>> {
  const rows = new Map<string, string[]>();
  for (const rule of customerTables()) {
    const order = rule.key.map((column) => `t.${escapeIdentifier(column)}`).join(', ');
    const found = await client.query<{ line: string }>(
      `SELECT row_to_json(t)::text AS line FROM ${qualified(rule.table)} t WHERE ${conditionFor(rule.table, who)} ORDER BY ${order}`,
    );
    rows.set(
      rule.table,
      found.rows.map((row) => row.line),
    );
  }
  return rows;
}

/**
 * `customer export`: one consistent snapshot (repeatable read) of every row of the customer's,
 * written as a bundle folder (must be new or empty).
 */
export async function exportCustomer(
  databaseUrl: string,
  idOrUser: string,
  directory: string,
  now: () => Date = () => new Date(),
): Promise<CustomerBundleManifest> {
  await mkdir(directory, { recursive: true });
  if ((await readdir(directory)).length > 0) throw new Error(`${directory} is not empty`);
  const snapshot = await withClient(databaseUrl, async (client) => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const who = await findCustomer(client, idOrUser);
      return { who, version: await schemaVersion(client), rows: await readCustomerRows(client, who) };
    } finally {
      await client.query('ROLLBACK');
    }
  });
  const tables: BundleTable[] = [];
  for (const [table, lines] of snapshot.rows) {
    const content = tableFileContent(lines);
    const file = fileOfTable(table);
    await writeFile(join(directory, file), content);
    tables.push({ table, file, rows: lines.length, sha256: sha256Of(content) });
  }
  const manifest: CustomerBundleManifest = {
    format: CUSTOMER_BUNDLE_FORMAT,
    customerId: snapshot.who.customerId,
    userId: snapshot.who.userId,
    schemaVersion: snapshot.version,
    createdAt: now().toISOString(),
    tables,
    sha256: bundleChecksum(tables),
  };
  await writeFile(join(directory, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Reads and verifies a bundle (the folder or its manifest.json): every file before any row is written. */
export async function readBundle(
  path: string,
): Promise<{ manifest: CustomerBundleManifest; rows: Map<string, string[]> }> {
  const directory = path.endsWith(MANIFEST_FILE) ? path.slice(0, -MANIFEST_FILE.length) : path;
  const manifest = parseBundleManifest(await readFile(join(directory, MANIFEST_FILE), 'utf8'));
  const rows = new Map<string, string[]>();
  for (const entry of manifest.tables) {
    ruleOf(entry.table);
    if (entry.file !== fileOfTable(entry.table))
      throw new Error(`bundle names an unexpected file ${entry.file}`);
    rows.set(entry.table, verifyTableFile(entry, await readFile(join(directory, entry.file), 'utf8')));
  }
  return { manifest, rows };
}

export interface RestoreCounts {
  table: string;
  inserted: number;
  updated: number;
  unchanged: number;
  /** With `prune`: the customer's rows the bundle does not have, deleted. */
  deleted: number;
}

async function columnsOf(client: Client, table: string): Promise<string[]> {
  const [schema, name] = table.split('.');
  const found = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
    [schema, name],
  );
  return found.rows.map((row) => row.column_name);
}

/**
 * `customer restore`: puts the bundle's rows back in one transaction. Rows are matched by primary
 * key: a missing row is inserted, a changed one is set back to the bundle's values, an equal one is
 * left alone; append-only tables only get their missing rows. Only rows in the bundle are written,
 * so no other customer's row is touched. Audited as `customer.restored`.
 */
export async function restoreCustomer(
  databaseUrl: string,
  path: string,
  actor: string,
  options: { prune?: boolean } = {},
): Promise<{ manifest: CustomerBundleManifest; counts: RestoreCounts[] }> {
  const { manifest, rows } = await readBundle(path);
  return withClient(databaseUrl, async (client) => {
    const version = await schemaVersion(client);
    if (version !== manifest.schemaVersion) {
      throw new Error(
        `the bundle was exported at schema ${manifest.schemaVersion}, this database is at ${version}: ` +
          'restore into a database of the same version (export again after migrating)',
      );
    }
    const owner = await client.query<{ id: string }>(
      'SELECT id FROM billing.customers WHERE user_id = $1 AND id <> $2',
      [manifest.userId, manifest.customerId],
    );
    if (owner.rows.length > 0) {
      throw new Error(
        `user ${manifest.userId} already belongs to customer ${owner.rows[0].id} here; refusing to restore`,
      );
    }
    await client.query('BEGIN');
    try {
      const counts: RestoreCounts[] = [];
      for (const entry of manifest.tables) {
        const lines = rows.get(entry.table) ?? [];
        if (lines.length === 0) continue;
        counts.push(await upsertRows(client, entry.table, lines));
      }
      if (options.prune) {
        const who = { customerId: manifest.customerId, userId: manifest.userId };
        for (const entry of [...manifest.tables].reverse()) {
          const deleted = await pruneRows(client, entry.table, rows.get(entry.table) ?? [], who);
          if (deleted === 0) continue;
          const count = counts.find((each) => each.table === entry.table);
          if (count) count.deleted = deleted;
          else counts.push({ table: entry.table, inserted: 0, updated: 0, unchanged: 0, deleted });
        }
      }
      await client.query(
        `INSERT INTO platform.audit_log
           (id, actor_type, actor_id, action, resource_type, resource_id, before, after, request_id, occurred_at)
         VALUES ($1, 'system', $2, 'customer.restored', 'customer', $3, NULL, $4::jsonb, NULL, now())`,
        [
          newId('aud'),
          actor,
          manifest.customerId,
          JSON.stringify({
            bundle: manifest.sha256,
            exportedAt: manifest.createdAt,
            inserted: counts.reduce((sum, count) => sum + count.inserted, 0),
            updated: counts.reduce((sum, count) => sum + count.updated, 0),
            deleted: counts.reduce((sum, count) => sum + count.deleted, 0),
          }),
        ],
      );
      await client.query('COMMIT');
      return { manifest, counts };
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  });
}

async function upsertRows(client: Client, table: string, lines: string[]): Promise<RestoreCounts> {
  const rule = ruleOf(table);
  const columns = await columnsOf(client, table);
  const list = columns.map((column) => escapeIdentifier(column)).join(', ');
  const key = rule.key.map((column) => escapeIdentifier(column)).join(', ');
  const rest = columns.filter((column) => !rule.key.includes(column));
  const onConflict =
    rule.appendOnly || rest.length === 0
      ? 'DO NOTHING'
      : `DO UPDATE SET ${rest.map((column) => `${escapeIdentifier(column)} = EXCLUDED.${escapeIdentifier(column)}`).join(', ')}
         WHERE (${rest.map((column) => `t.${escapeIdentifier(column)}`).join(', ')})::text
               IS DISTINCT FROM (${rest.map((column) => `EXCLUDED.${escapeIdentifier(column)}`).join(', ')})::text`;
  const written = await client.query<{ inserted: boolean }>(
    `INSERT INTO ${qualified(table)} AS t (${list})
     SELECT ${list} FROM json_populate_recordset(NULL::${qualified(table)}, $1::json)
     ON CONFLICT (${key}) ${onConflict}
     RETURNING (xmax = 0) AS inserted`,
    [`[${lines.join(',')}]`],
  );
  const inserted = written.rows.filter((row) => row.inserted).length;
  const updated = written.rows.length - inserted;
  return { table, inserted, updated, unchanged: lines.length - written.rows.length, deleted: 0 };
}

/**
 * `--prune`: deletes the customer's rows that the bundle does not have (rows a bad script added),
 * children first. Never in append-only tables or retained financial records: those are kept.
 */
async function pruneRows(client: Client, table: string, lines: string[], who: CustomerRef): Promise<number> {
  const rule = ruleOf(table);
  if (rule.appendOnly || (RETAINED_TABLES as readonly string[]).includes(table)) return 0;
  const key = rule.key.map((column) => escapeIdentifier(column)).join(', ');
  const result = await client.query(
    `DELETE FROM ${qualified(table)} WHERE (${conditionFor(table, who)})
        AND (${key}) NOT IN (SELECT ${key} FROM json_populate_recordset(NULL::${qualified(table)}, $1::json))`,
    [`[${lines.join(',')}]`],
  );
  return result.rowCount ?? 0;
}

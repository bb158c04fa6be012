import { createHash } from 'node:crypto';

/**
 * A customer bundle: a folder with one JSON-lines file per table (`billing.charges.jsonl`, one row
 * a line as Postgres' row_to_json writes it, sorted by primary key) and `manifest.json` naming each
 * file with its row count and sha256, and a checksum over the whole. Pure: no I/O.
 */
export const CUSTOMER_BUNDLE_FORMAT = 'astrix-customer-bundle/1';
export const MANIFEST_FILE = 'manifest.json';

export interface BundleTable {
  table: string;
  file: string;
  rows: number;
  sha256: string;
}

export interface CustomerBundleManifest {
  format: typeof CUSTOMER_BUNDLE_FORMAT;
  customerId: string;
  userId: string;
  /** The last migration of the database exported: the tables' columns as they were. */
  schemaVersion: string;
  createdAt: string;
  tables: BundleTable[];
  /** sha256 over each table's `name sha256` line, in order: one value to compare or sign. */
  sha256: string;
}

export const sha256Of = (content: string | Buffer): string =>
  createHash('sha256').update(content).digest('hex');

export const fileOfTable = (table: string): string => `${table}.jsonl`;

/** The checksum over the table list (names and file hashes, in order). */
export function bundleChecksum(tables: Pick<BundleTable, 'table' | 'sha256'>[]): string {
  return sha256Of(tables.map((entry) => `${entry.table} ${entry.sha256}\n`).join(''));
}

/** A table file's content: one line per row, each ending in a newline (an empty table: empty file). */
export function tableFileContent(lines: string[]): string {
  return lines.map((line) => `${line}\n`).join('');
}

/** Reads a manifest, refusing anything that is not one of ours or whose overall checksum is off. */
export function parseBundleManifest(text: string): CustomerBundleManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('customer bundle manifest is not JSON');
  }
  const manifest = value as Partial<CustomerBundleManifest> | null;
  if (!manifest || manifest.format !== CUSTOMER_BUNDLE_FORMAT) {
    throw new Error(`not a customer bundle manifest (format ${String(manifest?.format)})`);
  }
  for (const field of ['customerId', 'userId', 'schemaVersion', 'createdAt', 'sha256'] as const) {
    if (typeof manifest[field] !== 'string' || manifest[field] === '') {
      throw new Error(`customer bundle manifest has no ${field}`);
    }
  }
  if (!Array.isArray(manifest.tables)) throw new Error('customer bundle manifest has no tables');
  if (bundleChecksum(manifest.tables) !== manifest.sha256) {
    throw new Error('customer bundle manifest checksum mismatch: the table list was changed');
  }
  return manifest as CustomerBundleManifest;
}

/** Checks one table file's content against its manifest entry; returns its lines. */
export function verifyTableFile(entry: BundleTable, content: string): string[] {
  if (sha256Of(content) !== entry.sha256) {
    throw new Error(
      `refusing to restore: ${entry.file} checksum mismatch (the file changed since the export)`,
    );
  }
  const lines = content === '' ? [] : content.replace(/\n$/, '').split('\n');
  if (lines.length !== entry.rows) {
    throw new Error(
      `refusing to restore: ${entry.file} has ${lines.length} rows, the manifest says ${entry.rows}`,
    );
  }
  return lines;
}

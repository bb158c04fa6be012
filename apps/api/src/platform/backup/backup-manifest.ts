/**
 * The manifest written beside a backup file (`<file>.manifest.json`): what the file must hash to
 * before anything restores it, and which schema it holds. Pure: no I/O.
 */
export const BACKUP_FORMAT = 'astrix-backup/1';

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  /** The dump's file name (no directory): a manifest answers for one file. */
  file: string;
  /** pg_dump's custom format (`-Fc`), restored with pg_restore. */
  dumpFormat: 'custom';
  sha256: string;
  size: number;
  /** The last migration applied in the dumped database: restore needs this code version or newer. */
  schemaVersion: string;
  database: string;
  createdAt: string;
}

export type ManifestProblem = { ok: true } | { ok: false; reason: string };

const SHA256 = /^[0-9a-f]{64}$/;

/** Reads a manifest's JSON, refusing anything that is not one (a missing field, another format). */
export function parseManifest(text: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('backup manifest is not JSON');
  }
  if (typeof value !== 'object' || value === null) throw new Error('backup manifest is not an object');
  const manifest = value as Partial<BackupManifest>;
  if (manifest.format !== BACKUP_FORMAT) {
    throw new Error(`backup manifest format ${String(manifest.format)} is not ${BACKUP_FORMAT}`);
  }
  if (manifest.dumpFormat !== 'custom') throw new Error('backup manifest names no custom-format dump');
  if (typeof manifest.sha256 !== 'string' || !SHA256.test(manifest.sha256)) {
    throw new Error('backup manifest has no sha256');
  }
  if (typeof manifest.size !== 'number' || !Number.isSafeInteger(manifest.size) || manifest.size < 0) {
    throw new Error('backup manifest has no size');
  }
  for (const field of ['file', 'schemaVersion', 'database', 'createdAt'] as const) {
    if (typeof manifest[field] !== 'string' || manifest[field] === '') {
      throw new Error(`backup manifest has no ${field}`);
    }
  }
  return manifest as BackupManifest;
}

/** Does the file on disk (its name, size and hash) match what the manifest promised? */
export function checkAgainstManifest(
  manifest: BackupManifest,
  actual: { file: string; size: number; sha256: string },
): ManifestProblem {
  if (actual.file !== manifest.file) {
    return { ok: false, reason: `the manifest is for ${manifest.file}, not ${actual.file}` };
  }
  if (actual.size !== manifest.size) {
    return { ok: false, reason: `size ${actual.size} bytes, the manifest says ${manifest.size}` };
  }
  if (actual.sha256 !== manifest.sha256) {
    return {
      ok: false,
      reason: `checksum mismatch: sha256 ${actual.sha256}, the manifest says ${manifest.sha256}`,
    };
  }
  return { ok: true };
}

/** The manifest's path for a backup file. */
export function manifestPathOf(backupPath: string): string {
  return `${backupPath}.manifest.json`;
}

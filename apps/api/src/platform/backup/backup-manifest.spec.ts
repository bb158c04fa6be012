import {
  BACKUP_FORMAT,
  type BackupManifest,
  checkAgainstManifest,
  manifestPathOf,
  parseManifest,
} from './backup-manifest';

const manifest: BackupManifest = {
  format: BACKUP_FORMAT,
  file: 'astrix.dump',
  dumpFormat: 'custom',
  sha256: 'a'.repeat(64),
  size: 1234,
  schemaVersion: 'JournalLineProductKind1795550000000',
  database: 'astrix',
  createdAt: '2026-12-06T07:00:00.000Z',
};

describe('backup manifest', () => {
  it('reads back what was written', () => {
    expect(parseManifest(JSON.stringify(manifest))).toEqual(manifest);
  });

  it.each([
    ['not JSON', '{', 'not JSON'],
    ['another format', JSON.stringify({ ...manifest, format: 'other/1' }), 'format other/1'],
    ['no checksum', JSON.stringify({ ...manifest, sha256: 'xyz' }), 'no sha256'],
    ['no size', JSON.stringify({ ...manifest, size: -1 }), 'no size'],
    ['no schema version', JSON.stringify({ ...manifest, schemaVersion: '' }), 'no schemaVersion'],
  ])('refuses a manifest with %s', (_, text, message) => {
    expect(() => parseManifest(text)).toThrow(message);
  });

  it('accepts the file it describes and refuses one of another size, hash or name', () => {
    const file = { file: 'astrix.dump', size: 1234, sha256: 'a'.repeat(64) };
    expect(checkAgainstManifest(manifest, file)).toEqual({ ok: true });
    expect(checkAgainstManifest(manifest, { ...file, sha256: 'b'.repeat(64) })).toEqual({
      ok: false,
      reason: expect.stringContaining('checksum mismatch'),
    });
    expect(checkAgainstManifest(manifest, { ...file, size: 1 })).toMatchObject({ ok: false });
    expect(checkAgainstManifest(manifest, { ...file, file: 'other.dump' })).toMatchObject({ ok: false });
  });

  it('lives beside its file', () => {
    expect(manifestPathOf('/backups/astrix.dump')).toBe('/backups/astrix.dump.manifest.json');
  });
});

import {
  bundleChecksum,
  CUSTOMER_BUNDLE_FORMAT,
  parseBundleManifest,
  sha256Of,
  tableFileContent,
  verifyTableFile,
} from './customer-bundle';

describe('customer bundle', () => {
  const content = tableFileContent(['{"id":"chg_1"}', '{"id":"chg_2"}']);
  const entry = {
    table: 'billing.charges',
    file: 'billing.charges.jsonl',
    rows: 2,
    sha256: sha256Of(content),
  };
  const manifest = {
    format: CUSTOMER_BUNDLE_FORMAT,
    customerId: 'cust_1',
    userId: 'user_1',
    schemaVersion: 'Ledger1795500000001',
    createdAt: '2026-12-06T08:00:00.000Z',
    tables: [entry],
    sha256: bundleChecksum([entry]),
  };

  it('reads a manifest and the table files it names', () => {
    expect(parseBundleManifest(JSON.stringify(manifest))).toEqual(manifest);
    expect(verifyTableFile(entry, content)).toEqual(['{"id":"chg_1"}', '{"id":"chg_2"}']);
    expect(verifyTableFile({ ...entry, rows: 0, sha256: sha256Of('') }, '')).toEqual([]);
  });

  it('refuses a table file that changed, or a manifest whose table list changed', () => {
    expect(() => verifyTableFile(entry, content.replace('chg_2', 'chg_3'))).toThrow('checksum mismatch');
    expect(() => verifyTableFile({ ...entry, rows: 3 }, content)).toThrow('the manifest says 3');
    const edited = { ...manifest, tables: [{ ...entry, sha256: sha256Of('other') }] };
    expect(() => parseBundleManifest(JSON.stringify(edited))).toThrow('checksum mismatch');
    expect(() => parseBundleManifest(JSON.stringify({ ...manifest, format: 'x' }))).toThrow('not a customer');
  });
});

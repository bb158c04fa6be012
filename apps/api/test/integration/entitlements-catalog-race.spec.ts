import { EntitlementsCatalog } from '../../src/modules/billing/metering/entitlements-catalog';
import { CommitListener } from '../../src/platform/database/commit-listener';
import { eventually, startTestApp, TestApp } from '../support/test-app';
import { createFeature } from '../support/usage';

/**
 * A load of the definitions that read before a change committed, and finished after this process
 * invalidated its copy for that change, must not be trusted as fresh: usage ingest (which takes a copy
 * up to a second old) would refuse a feature just created as unknown.
 */
describe('entitlement definitions: a load overtaken by a change (integration)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('is not served as a fresh copy after the change', async () => {
    const catalog = t.app.get(EntitlementsCatalog);
    // Settled first: the load the listener's connection starts is over, so the next load is the test's.
    await eventually(async () => t.app.get(CommitListener).listening);
    await catalog.recent(0);
    const dataSource = t.dataSource;
    const realTransaction = dataSource.transaction.bind(dataSource) as (
      ...args: unknown[]
    ) => Promise<unknown>;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let readOld!: () => void;
    const hasRead = new Promise<void>((resolve) => (readOld = resolve));
    // The catalog's next load reads, then waits at the gate before it is installed.
    jest.spyOn(dataSource, 'transaction').mockImplementationOnce((async (...args: unknown[]) => {
      const result = await realTransaction(...args);
      readOld();
      await gate;
      return result;
    }) as never);
    catalog.invalidate();
    const staleLoad = catalog.recent(0);
    await hasRead;
    await createFeature(t, { id: 'race-feature', name: 'Race', kind: 'metered', unit: 'calls' });
    release();
    await staleLoad;
    const definitions = await catalog.recent();
    expect(definitions.features.has('race-feature')).toBe(true);
  });
});

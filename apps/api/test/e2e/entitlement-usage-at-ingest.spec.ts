import { CatalogService } from '../../src/modules/billing/catalog/catalog.service';
import { EntitlementsCatalog } from '../../src/modules/billing/metering/entitlements-catalog';
import { Clock } from '../../src/platform/clock';
import { CommitListener } from '../../src/platform/database/commit-listener';
import { productBySlug } from '../support/billing';
import { eventually, issueApiKey, startTestApp, TestApp } from '../support/test-app';
import {
  createFeature,
  entitlementChecksAnswered,
  grantToPlan,
  insertNovemberSubscriber,
} from '../support/usage';

/**
 * Usage counted at ingest (issue #25: "a check reads one row or none"): an insert of usage events
 * announces its amounts on commit, and a total held in memory takes them. The check after an ingest is
 * answered from memory, and is always what Postgres would count.
 */
describe('entitlement checks count usage at ingest (e2e)', () => {
  let t: TestApp;
  let checkKey: string;
  let usageKey: string;
  let proId: string;
  let sequence = 0;
  const now = new Date('2026-11-15T12:00:00Z');

  beforeAll(async () => {
    t = await startTestApp();
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now.getTime()));
    await t.app.get(CatalogService).seedDemoCatalog();
    proId = (await productBySlug(t, 'pro-monthly')).id;
    checkKey = await issueApiKey(t, 'ingest-checker', ['entitlements:read']);
    usageKey = await issueApiKey(t, 'ingest-reporter', ['usage:write']);
    await createFeature(t, { id: 'ingest-calls', name: 'Calls', kind: 'limit', aggregation: 'sum' });
    await createFeature(t, { id: 'ingest-orders', name: 'Orders', kind: 'limit', aggregation: 'count' });
    await createFeature(t, { id: 'ingest-peak', name: 'Peak', kind: 'limit', aggregation: 'max' });
    await grantToPlan(t, proId, 'ingest-calls', { limit: 1_000_000 });
    await grantToPlan(t, proId, 'ingest-orders', { limit: 1_000_000 });
    await grantToPlan(t, proId, 'ingest-peak', { limit: 1_000_000 });
  });
  afterAll(() => t.close());

  const subscriber = async (user: string) => {
    const { customerId } = await insertNovemberSubscriber(t, user, proId);
    // Its own setup's notices handled, and the definitions loaded: else the first checks rightly go to
    // Postgres, and the counts below would be off by them.
    await eventually(async () => t.app.get(CommitListener).listening);
    await t.app.get(CommitListener).sync();
    await eventually(async () => t.app.get(EntitlementsCatalog).fresh() !== null);
    return customerId;
  };
  const check = async (user: string, featureId: string) => {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/entitlements/check',
      headers: { authorization: `Bearer ${checkKey}` },
      payload: { customerId: user, featureId },
    });
    expect(response.statusCode).toBe(200);
    return (response.json() as { used: number }).used;
  };
  const ingest = async (user: string, featureId: string, quantities: number[]) => {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/usage/events',
      headers: { authorization: `Bearer ${usageKey}` },
      payload: {
        events: quantities.map((quantity) => ({
          customerId: user,
          featureId,
          quantity,
          timestamp: '2026-11-15T11:00:00Z',
          idempotencyKey: `ingest-${(sequence += 1)}`,
        })),
      },
    });
    expect(response.statusCode).toBe(200);
  };
  /** Events written behind the process's back in one statement (as another process would): [key, quantity, at, correctionOf]. */
  const insertEvents = (customerId: string, featureId: string, events: Array<[number, string, string?]>) =>
    t.dataSource.query(
      `INSERT INTO billing.usage_events (customer_id, idempotency_key, id, feature_id, quantity, occurred_at,
                                         correction_of, reported_by, received_at)
       SELECT $1, k, 'ue_' || k, $2, q, at, c, 'test', now()
         FROM unnest($3::text[], $4::bigint[], $5::timestamptz[], $6::text[]) AS e(k, q, at, c)`,
      [
        customerId,
        featureId,
        events.map(() => `sql-${(sequence += 1)}`),
        events.map(([quantity]) => quantity),
        events.map(([, at]) => at),
        events.map(([, , correctionOf]) => correctionOf ?? null),
      ],
    );
  /** What Postgres counts for the period, the way the billing run and the usage summary do. */
  const truth = async (customerId: string, featureId: string, aggregation: string) => {
    const [row] = (await t.dataSource.query(
      `SELECT CASE $3::text WHEN 'sum' THEN coalesce(sum(quantity), 0)
                            WHEN 'count' THEN count(*) FILTER (WHERE correction_of IS NULL)
                                              - count(*) FILTER (WHERE correction_of IS NOT NULL)
                            ELSE coalesce(max(quantity), 0) END AS value
         FROM billing.usage_events
        WHERE customer_id = $1 AND feature_id = $2
          AND occurred_at >= '2026-11-01T00:00:00Z' AND occurred_at < '2026-12-01T00:00:00Z'`,
      [customerId, featureId, aggregation],
    )) as Array<{ value: string }>;
    return Number(row.value);
  };
  const answered = () => entitlementChecksAnswered(t);

  it('answers the check after an ingest from memory, with what the ingest added', async () => {
    const customerId = await subscriber('ingest_sum');
    expect(await check('ingest_sum', 'ingest-calls')).toBe(0);
    const before = await answered();
    await ingest('ingest_sum', 'ingest-calls', [2, 3, 4]);
    expect(await check('ingest_sum', 'ingest-calls')).toBe(9);
    await ingest('ingest_sum', 'ingest-calls', [10]);
    await insertEvents(customerId, 'ingest-calls', [[5, '2026-11-20T00:00:00Z']]);
    expect(await check('ingest_sum', 'ingest-calls')).toBe(24);
    expect(await truth(customerId, 'ingest-calls', 'sum')).toBe(24);
    expect(await answered()).toEqual({ memory: before.memory + 2, database: before.database });
  });

  it('reads the total again when the amounts cannot update it, and ignores events of other periods', async () => {
    const customerId = await subscriber('ingest_edges');
    expect(await check('ingest_edges', 'ingest-calls')).toBe(0);
    const before = await answered();
    // All before the period (late usage of the last one): nothing changes, still from memory.
    await insertEvents(customerId, 'ingest-calls', [[7, '2026-10-31T23:59:59.999Z']]);
    expect(await check('ingest_edges', 'ingest-calls')).toBe(0);
    expect(await answered()).toEqual({ memory: before.memory + 1, database: before.database });
    // One statement with events on both sides of the period's start: read again, and right.
    await insertEvents(customerId, 'ingest-calls', [
      [7, '2026-10-31T23:00:00Z'],
      [6, '2026-11-01T00:00:00Z'],
    ]);
    expect(await check('ingest_edges', 'ingest-calls')).toBe(6);
    expect(await answered()).toEqual({ memory: before.memory + 1, database: before.database + 1 });
    // A maximum cannot take amounts: read again after each ingest.
    expect(await check('ingest_edges', 'ingest-peak')).toBe(0);
    await ingest('ingest_edges', 'ingest-peak', [3, 8]);
    expect(await check('ingest_edges', 'ingest-peak')).toBe(8);
    expect(await truth(customerId, 'ingest-peak', 'max')).toBe(8);
  });

  it('counts events less corrections for a count', async () => {
    const customerId = await subscriber('ingest_count');
    expect(await check('ingest_count', 'ingest-orders')).toBe(0);
    const before = await answered();
    await ingest('ingest_count', 'ingest-orders', [1, 1, 1]);
    await insertEvents(customerId, 'ingest-orders', [[-1, '2026-11-15T11:30:00Z', 'ingest-earlier']]);
    expect(await check('ingest_count', 'ingest-orders')).toBe(2);
    expect(await truth(customerId, 'ingest-orders', 'count')).toBe(2);
    expect(await answered()).toEqual({ memory: before.memory + 1, database: before.database });
  });

  it('misses no usage ingested while checks race it', async () => {
    const customerId = await subscriber('ingest_race');
    expect(await check('ingest_race', 'ingest-calls')).toBe(0);
    let expected = 0;
    for (let round = 0; round < 8; round += 1) {
      const quantities = Array.from({ length: 5 }, (_, index) => 1 + ((round * 7 + index * 3) % 11));
      expected += quantities.reduce((sum, quantity) => sum + quantity, 0);
      // Checks in flight while the batch commits may see it or not; the first one after must.
      const racing = Array.from({ length: 10 }, () => check('ingest_race', 'ingest-calls'));
      await Promise.all([ingest('ingest_race', 'ingest-calls', quantities), ...racing]);
      expect(await check('ingest_race', 'ingest-calls')).toBe(expected);
    }
    expect(await truth(customerId, 'ingest-calls', 'sum')).toBe(expected);
  });
});

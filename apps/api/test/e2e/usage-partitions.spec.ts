import { UsageEventsPartitioned1795740000000 } from '../../src/migrations/1795740000000-usage-events-partitioned';
import { UsageEventKeysInStatement1795740000001 } from '../../src/migrations/1795740000001-usage-event-keys-in-statement';
import { UsageEventsKeyedByFeature1795770000000 } from '../../src/migrations/1795770000000-usage-events-keyed-by-feature';
import { CatalogService } from '../../src/modules/billing/catalog/catalog.service';
import { UsagePartitionsJob } from '../../src/modules/billing/metering/usage-partitions.job';
import {
  USAGE_PARTITION_MONTHS_AHEAD,
  UsageMonthNotDetachable,
  UsagePartitions,
} from '../../src/modules/billing/metering/usage-partitions.service';
import { Clock } from '../../src/platform/clock';
import { JobQueue } from '../../src/platform/queues/job-queue.service';
import { productBySlug } from '../support/billing';
import { runBuilt } from '../support/cli';
import { issueApiKey, startTestApp, TestApp } from '../support/test-app';
import { TEST_JWT_SECRET } from '../support/tokens';
import { createFeature, grantToPlan, insertCustomer, insertSubscription } from '../support/usage';

/** The first instant of the UTC month `offset` months from the real current month. */
function monthFromNow(offset: number): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
}
const label = (month: Date) => month.toISOString().slice(0, 7);
const partitionOf = (month: Date) =>
  `usage_events_y${month.toISOString().slice(0, 4)}m${month.toISOString().slice(5, 7)}`;

/**
 * Usage events partitioned by month (issue #21, retention): the migration keeps every row, events of
 * months ahead land in partitions the job made, an event of a month without one lands in DEFAULT and
 * moves when the job makes it, exactly-once holds across partitions (a key reused in another month is
 * a duplicate, racers included), and a closed month detaches to billing_archive — never the current one.
 */
describe('usage events partitioned by month (e2e)', () => {
  let t: TestApp;
  let key: string;
  let now: Date;
  let planId: string;
  let customerId: string;
  let sequence = 0;

  beforeAll(async () => {
    t = await startTestApp({ workers: true });
    now = new Date();
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now.getTime()));
    await t.app.get(CatalogService).seedDemoCatalog();
    planId = (await productBySlug(t, 'pro-monthly')).id;
    key = await issueApiKey(t, 'trading-platform', ['usage:write']);
    await createFeature(t, { id: 'api-calls', name: 'API calls', kind: 'metered', unit: 'calls' });
    await grantToPlan(t, planId, 'api-calls', { limit: 1_000_000 });
    customerId = await insertCustomer(t, 'u_parts');
    // Its period is open from this month on, far enough that the moved clock stays inside it.
    await insertSubscription(t, {
      customerId,
      userId: 'u_parts',
      productId: planId,
      status: 'active',
      start: monthFromNow(0),
      end: monthFromNow(24),
    });
  });
  afterAll(() => t.close());

  const report = (events: Array<Record<string, unknown>>) =>
    t.inject({
      method: 'POST',
      url: '/v1/usage/events',
      headers: { authorization: `Bearer ${key}` },
      payload: { events },
    });
  const event = (at: Date, overrides: Record<string, unknown> = {}) => {
    sequence += 1;
    return {
      customerId: 'u_parts',
      featureId: 'api-calls',
      quantity: 1,
      timestamp: at.toISOString(),
      idempotencyKey: `part-${sequence}`,
      ...overrides,
    };
  };
  const whereStored = async (idempotencyKey: string): Promise<string[]> =>
    (
      await t.dataSource.query(
        `SELECT tableoid::regclass::text AS part FROM billing.usage_events WHERE customer_id = $1 AND idempotency_key = $2`,
        [customerId, idempotencyKey],
      )
    ).map((row: { part: string }) => row.part);

  it('the migration keeps every row of the unpartitioned table, each in its month, with its key claimed', async () => {
    const migration = new UsageEventsPartitioned1795740000000();
    const keysInStatement = new UsageEventKeysInStatement1795740000001();
    const keyedByFeature = new UsageEventsKeyedByFeature1795770000000();
    const runner = t.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await keyedByFeature.down(runner);
      await keysInStatement.down(runner);
      await migration.down(runner);
      const [kind] = await runner.query(
        `SELECT relkind FROM pg_class WHERE oid = 'billing.usage_events'::regclass`,
      );
      expect(kind.relkind).toBe('r');
      // A year and more ago, last month and now; a correction among them.
      const times = [monthFromNow(-14), monthFromNow(-1), new Date(monthFromNow(0).getTime() + 3_600_000)];
      for (const [index, at] of times.entries()) {
        await runner.query(
          `INSERT INTO billing.usage_events (customer_id, idempotency_key, id, feature_id, quantity, occurred_at, correction_of,
             reported_by, received_at) VALUES ('cust_legacy', $1, $2, 'api-calls', $3, $4, $5, 'legacy', $4)`,
          [`legacy-${index}`, `ue_legacy${index}`, index === 2 ? -5 : 5, at, index === 2 ? 'legacy-1' : null],
        );
      }
      await migration.up(runner);
      await keysInStatement.up(runner);
      await keyedByFeature.up(runner);
      await runner.commitTransaction();
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
    const [kind] = await t.dataSource.query(
      `SELECT relkind FROM pg_class WHERE oid = 'billing.usage_events'::regclass`,
    );
    expect(kind.relkind).toBe('p');
    const rows = await t.dataSource.query(
      `SELECT idempotency_key, id, quantity::int, correction_of, tableoid::regclass::text AS part
         FROM billing.usage_events WHERE customer_id = 'cust_legacy' ORDER BY idempotency_key`,
    );
    expect(rows).toEqual([
      {
        idempotency_key: 'legacy-0',
        id: 'ue_legacy0',
        quantity: 5,
        correction_of: null,
        part: `billing_usage.${partitionOf(monthFromNow(-14))}`,
      },
      {
        idempotency_key: 'legacy-1',
        id: 'ue_legacy1',
        quantity: 5,
        correction_of: null,
        part: `billing_usage.${partitionOf(monthFromNow(-1))}`,
      },
      {
        idempotency_key: 'legacy-2',
        id: 'ue_legacy2',
        quantity: -5,
        correction_of: 'legacy-1',
        part: `billing_usage.${partitionOf(monthFromNow(0))}`,
      },
    ]);
    // Every key claimed, and the feature its event is looked up by backfilled onto it.
    const [{ keys, withFeature }] = await t.dataSource.query(
      `SELECT count(*)::int AS keys, count(*) FILTER (WHERE feature_id = 'api-calls')::int AS "withFeature"
         FROM billing.usage_event_keys WHERE customer_id = 'cust_legacy'`,
    );
    expect({ keys, withFeature }).toEqual({ keys: 3, withFeature: 3 });
    // Partitions through the months ahead, from the migration itself.
    const partitions = (await t.app.get(UsagePartitions).list()).map((partition) => partition.month);
    for (let offset = 0; offset <= USAGE_PARTITION_MONTHS_AHEAD; offset += 1) {
      expect(partitions).toContain(label(monthFromNow(offset)));
    }
    expect(partitions).toContain('default');
    // An old key reported again, now (another month): the stored event comes back, exactly once.
    await t.dataSource.query(
      `INSERT INTO billing.customers (id, user_id, email, fraud_status, created_at)
       VALUES ('cust_legacy', 'u_legacy', 'legacy@example.com', 'clear', now())`,
    );
    const again = (
      await report([event(new Date(), { customerId: 'u_legacy', idempotencyKey: 'legacy-0', quantity: 99 })])
    ).json();
    expect(again).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(again.results[0]).toMatchObject({ status: 'duplicate', id: 'ue_legacy0', event: { quantity: 5 } });
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM billing.usage_events WHERE customer_id = 'cust_legacy' AND idempotency_key = 'legacy-0'`,
    );
    expect(n).toBe(1);
  });

  it('stores events of the months ahead in the partitions made ahead, and of a month without one in DEFAULT until the job makes it', async () => {
    const ahead = monthFromNow(2);
    now = new Date(ahead.getTime() + 5 * 86_400_000);
    const inAhead = event(now);
    expect((await report([inAhead])).json()).toMatchObject({ accepted: 1 });
    expect(await whereStored(inAhead.idempotencyKey)).toEqual([`billing_usage.${partitionOf(ahead)}`]);

    // Beyond the months made ahead: accepted all the same, in DEFAULT.
    const far = monthFromNow(USAGE_PARTITION_MONTHS_AHEAD + 3);
    now = new Date(far.getTime() + 86_400_000);
    const stray = event(now);
    expect((await report([stray])).json()).toMatchObject({ accepted: 1 });
    expect(await whereStored(stray.idempotencyKey)).toEqual(['billing_usage.usage_events_default']);

    // The job, on that clock, makes its month and the three after it, and moves the stray in.
    const job = t.app.get(UsagePartitionsJob);
    expect(await job.ensure()).toEqual({
      created: USAGE_PARTITION_MONTHS_AHEAD + 1,
      through: label(monthFromNow(USAGE_PARTITION_MONTHS_AHEAD + 3 + USAGE_PARTITION_MONTHS_AHEAD)),
    });
    expect(await whereStored(stray.idempotencyKey)).toEqual([`billing_usage.${partitionOf(far)}`]);
    // Idempotent, also when two workers run it at once.
    const again = await Promise.all([job.ensure(), t.app.get(UsagePartitions).ensureAhead()]);
    expect(again.map((result) => result.created)).toEqual([0, 0]);
    // The moved event is still the one its key names: a repeat is a duplicate of it.
    const repeat = (await report([{ ...stray, quantity: 7 }])).json();
    expect(repeat).toMatchObject({ accepted: 0, duplicates: 1 });
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM billing_usage.usage_events_default`,
    );
    expect(n).toBe(0);
    // DEFAULT is append-only again after the move (its row triggers came back when it was re-attached).
    await t.dataSource.query(
      `INSERT INTO billing.usage_events (customer_id, idempotency_key, id, feature_id, quantity, occurred_at, reported_by, received_at)
       VALUES ($1, 'far-future', 'ue_far', 'api-calls', 1, '2199-01-01T00:00:00Z', 'x', now())`,
      [customerId],
    );
    expect(await whereStored('far-future')).toEqual(['billing_usage.usage_events_default']);
    for (const statement of [
      'DELETE FROM billing_usage.usage_events_default',
      'TRUNCATE billing_usage.usage_events_default',
    ]) {
      await expect(t.dataSource.query(statement)).rejects.toThrow('append-only');
    }
    // The workers keep the job's schedule.
    expect(
      await t.app.get(JobQueue).queue('maintenance').getJobScheduler('maintenance.usage-partitions'),
    ).toBeTruthy();
    now = new Date();
  });

  it('keeps one event per key across a month boundary, sequentially and when racers straddle it', async () => {
    const boundary = monthFromNow(1);
    now = new Date(boundary.getTime() + 60_000);
    const before = new Date(boundary.getTime() - 1_000);
    const after = new Date(boundary.getTime() + 1_000);
    const first = event(before, { idempotencyKey: 'straddle-1' });
    const firstResult = (await report([first])).json();
    expect(firstResult).toMatchObject({ accepted: 1 });
    const second = (await report([{ ...first, timestamp: after.toISOString(), quantity: 9 }])).json();
    expect(second).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(second.results[0].event).toMatchObject({ timestamp: before.toISOString(), quantity: 1 });
    expect(await whereStored('straddle-1')).toEqual([`billing_usage.${partitionOf(monthFromNow(0))}`]);

    const racers = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        report([
          event(index % 2 === 0 ? before : after, { idempotencyKey: 'straddle-race', quantity: index + 1 }),
        ]),
      ),
    );
    const outcomes = racers.map((response) => response.json().results[0]);
    expect(outcomes.filter((outcome) => outcome.status === 'accepted')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.status === 'duplicate')).toHaveLength(7);
    expect(new Set(outcomes.map((outcome) => outcome.id)).size).toBe(1);
    expect(await whereStored('straddle-race')).toHaveLength(1);
    now = new Date();
  });

  it('detaches a closed month to billing_archive (rows kept, append-only) and refuses the current month or one still billing', async () => {
    const partitions = t.app.get(UsagePartitions);
    const current = label(monthFromNow(0));
    await expect(partitions.detachMonth(current)).rejects.toThrow(
      `usage month ${current} cannot be detached: it is the current month or a future one`,
    );
    await expect(partitions.detachMonth(label(monthFromNow(1)))).rejects.toThrow(
      'current month or a future one',
    );
    // The database refuses it too, whoever calls it.
    await expect(t.dataSource.query(`SELECT billing.detach_usage_event_month(now())`)).rejects.toThrow(
      'is not over: only a closed month is detached',
    );

    // A subscription whose open period began in that month still needs its usage.
    const old = monthFromNow(-14);
    const other = await insertCustomer(t, 'u_old_period');
    const subscriptionId = await insertSubscription(t, {
      customerId: other,
      userId: 'u_old_period',
      productId: planId,
      status: 'active',
      start: new Date(old.getTime() + 86_400_000),
      end: monthFromNow(1),
    });
    const refused = await partitions.detachMonth(label(old)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UsageMonthNotDetachable);
    expect((refused as UsageMonthNotDetachable).reasons).toEqual([
      `subscription ${subscriptionId}'s open period began ${new Date(old.getTime() + 86_400_000).toISOString()}: its usage is not invoiced yet`,
    ]);
    await t.dataSource.query(`UPDATE billing.subscriptions SET status = 'canceled' WHERE id = $1`, [
      subscriptionId,
    ]);
    // An event the live customer reported back then, key claimed as ingest does (it is retried
    // after the archive, below).
    const then = new Date(old.getTime() + 2 * 86_400_000);
    await t.dataSource.query(
      `INSERT INTO billing.usage_event_keys (customer_id, idempotency_key, occurred_at, id) VALUES ($1, 'archived-key', $2, 'ue_archived')`,
      [customerId, then],
    );
    await t.dataSource.query(
      `INSERT INTO billing.usage_events (customer_id, idempotency_key, id, feature_id, quantity, occurred_at, reported_by, received_at)
       VALUES ($1, 'archived-key', 'ue_archived', 'api-calls', 1, $2, 'x', $2)`,
      [customerId, then],
    );

    // The CLI refuses the current month with the reason, and exits non-zero.
    const cli = await runBuilt('cli.js', ['usage', 'detach-month', '--month', current, '--yes'], {
      DATABASE_URL: t.database.url,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
    });
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('it is the current month or a future one');

    // Detached by the CLI: the rows are in billing_archive, out of the table and its sums.
    const detached = await runBuilt(
      'cli.js',
      ['usage', 'detach-month', '--month', label(old), '--yes', '--json'],
      {
        DATABASE_URL: t.database.url,
        AUTH_JWT_SECRET: TEST_JWT_SECRET,
      },
    );
    expect(detached.code).toBe(0);
    const archivedAs = `billing_archive.${partitionOf(old)}`;
    expect(JSON.parse(detached.stdout)).toEqual({ month: label(old), rows: 2, archivedAs });
    const [{ archived }] = await t.dataSource.query(
      `SELECT count(*)::int AS archived FROM ${archivedAs} WHERE idempotency_key = 'legacy-0'`,
    );
    expect(archived).toBe(1);
    const [{ online }] = await t.dataSource.query(
      `SELECT count(*)::int AS online FROM billing.usage_events WHERE customer_id = 'cust_legacy' AND idempotency_key = 'legacy-0'`,
    );
    expect(online).toBe(0);
    for (const statement of [
      `DELETE FROM ${archivedAs}`,
      `UPDATE ${archivedAs} SET quantity = 0`,
      `TRUNCATE ${archivedAs}`,
    ]) {
      await expect(t.dataSource.query(statement)).rejects.toThrow('append-only');
    }
    expect((await partitions.list()).find((partition) => partition.month === label(old))).toMatchObject({
      state: 'archived',
      table: archivedAs,
    });
    // Once detached, not again; and its keys stay claimed: the legacy event's key reported again
    // now is not stored a second time.
    await expect(partitions.detachMonth(label(old))).rejects.toThrow('has no attached partition');
    const retried = (
      await report([event(new Date(), { customerId: 'u_legacy', idempotencyKey: 'legacy-0' })])
    ).json();
    expect(retried).toMatchObject({ accepted: 0, duplicates: 0, rejected: 1 });
    expect(retried.results[0].message).toContain('a month archived since: this is a duplicate of it');
    const [{ again }] = await t.dataSource.query(
      `SELECT count(*)::int AS again FROM billing.usage_events WHERE customer_id = 'cust_legacy' AND idempotency_key = 'legacy-0'`,
    );
    expect(again).toBe(0);
  });

  it('answers a reporter retrying the key of an archived event: a duplicate it can no longer show', async () => {
    const old = monthFromNow(-14);
    const retry = (await report([event(new Date(), { idempotencyKey: 'archived-key' })])).json();
    expect(retry).toMatchObject({ accepted: 0, rejected: 1 });
    expect(retry.results[0]).toEqual({
      index: 0,
      status: 'rejected',
      reason: 'timestamp_too_old',
      message: `idempotency key archived-key was used by an event of ${label(old)}, a month archived since: this is a duplicate of it`,
    });
    expect(await whereStored('archived-key')).toEqual([]);
  });

  it('refuses a month still needed, with each reason: malformed, within the grace after its end, a period closed early or an unsettled invoice billing its usage', async () => {
    const partitions = t.app.get(UsagePartitions);
    const reasonsFor = (month: string): Promise<string[] | null> =>
      partitions.detachMonth(month).then(
        () => null,
        (error: unknown) => (error as UsageMonthNotDetachable).reasons,
      );
    const archivedTables = async (): Promise<number> =>
      (
        await t.dataSource.query(
          `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'billing_archive'`,
        )
      )[0].n;
    const archivedBefore = await archivedTables();
    expect(await reasonsFor('2026-13')).toEqual(['the month must be YYYY-MM']);
    expect(await reasonsFor('last month')).toEqual(['the month must be YYYY-MM']);

    // Half an hour into this month, last month's late events are still accepted.
    const realNow = now;
    now = new Date(monthFromNow(0).getTime() + 30 * 60_000);
    try {
      expect(await reasonsFor(label(monthFromNow(-1)))).toEqual([
        'late events of it are still accepted (grace after the month end)',
      ]);
    } finally {
      now = realNow;
    }

    // A usage period closed early (a plan change) and not invoiced, and a draft invoice billing the
    // month's usage: both still need its rows.
    const old = monthFromNow(-20);
    const day = (days: number) => new Date(old.getTime() + days * 86_400_000);
    await t.dataSource.query(
      `INSERT INTO billing.usage_periods (id, subscription_id, customer_id, product_id, currency, period_start, period_end, closed_by, created_at)
       VALUES ('up_detach_open', 'sub_detach', $1, $2, 'USD', $3, $4, 'plan_change', now())`,
      [customerId, planId, day(1), day(10)],
    );
    await t.dataSource.query(
      `INSERT INTO billing.invoices (id, number, customer_id, user_id, status, currency, subtotal, discount, tax, total, amount_paid, seller, issued_at)
       VALUES ('inv_detach_draft', 'AST-DETACH-1', $1, 'u_parts', 'draft', 'USD', 100, 0, 0, 100, 0, '{}', $2)`,
      [customerId, day(12)],
    );
    await t.dataSource.query(
      `INSERT INTO billing.invoice_lines (invoice_id, position, description, quantity, unit_amount, amount, discount, tax, kind, period_start, period_end)
       VALUES ('inv_detach_draft', 1, 'API calls', 100, 1, 100, 0, 0, 'usage', $1, $2)`,
      [day(10), day(12)],
    );
    expect(await reasonsFor(label(old))).toEqual([
      'usage period up_detach_open (closed early) is not invoiced yet',
      'invoice inv_detach_draft bills usage of it and is still draft',
    ]);
    // Nothing was detached by any refusal.
    expect(await archivedTables()).toBe(archivedBefore);
  });
});

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client } from 'pg';
import { UsageIngestService } from '../../src/modules/billing/metering/usage-ingest.service';
import { startTestApp, TestApp } from '../support/test-app';
import { createFeature, insertCustomer } from '../support/usage';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * A batch's events are not kept while its statement runs: a few batches in flight kept about a
 * megabyte each alive across the wait, and every young-generation collection copied it
 * (docs/performance.md, issue #25, twentieth session).
 */
describe('usage ingest memory (e2e)', () => {
  let t: TestApp;
  let customerId: string;

  beforeAll(async () => {
    t = await startTestApp();
    await createFeature(t, { id: 'held-calls', name: 'Held calls', kind: 'metered', unit: 'calls' });
    customerId = await insertCustomer(t, 'u_memory');
  });
  afterAll(() => t.close());

  /** The events, and weak references to each event and to its properties (which a parsed event keeps). */
  function batch(size: number): { events: unknown[]; held: Array<WeakRef<object>> } {
    const events: unknown[] = [];
    const held: Array<WeakRef<object>> = [];
    for (let index = 0; index < size; index++) {
      const properties = { symbol: `SYM${index}` };
      const event = {
        customerId,
        featureId: 'held-calls',
        quantity: 1 + (index % 5),
        timestamp: new Date().toISOString(),
        idempotencyKey: `memory-${index}`,
        properties,
      };
      events.push(event);
      held.push(new WeakRef(event), new WeakRef(properties));
    }
    return { events, held };
  }

  it('lets go of the parsed events while the statement waits, and stores every one', async () => {
    const blocker = new Client({ connectionString: t.database.url });
    await blocker.connect();
    try {
      // Inserts into the keys table wait behind this lock: the batch's statement is then in flight.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE billing.usage_event_keys IN SHARE ROW EXCLUSIVE MODE');
      const { events, held } = batch(500);
      const pending = t.app.get(UsageIngestService).ingest(events, 'memory-test');
      await waitFor(async () => {
        const { rows } = await blocker.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
            WHERE c.relname = 'usage_event_keys' AND NOT l.granted`,
        );
        return rows[0].n > 0;
      });
      expect(events).toHaveLength(0);
      collectGarbage();
      collectGarbage();
      expect(held.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);

      await blocker.query('COMMIT');
      const answer = await pending;
      expect(answer).toMatchObject({ accepted: 500, duplicates: 0, rejected: 0 });
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM billing.usage_events WHERE customer_id = $1 AND properties ? 'symbol'`,
        [customerId],
      );
      expect(n).toBe(500);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
  });
});

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the statement never waited on the lock');
}

import type { EntityManager } from 'typeorm';
import { issuedTogether } from '../../src/platform/database/issued-together';
import { countingWrites } from '../support/socket-writes';
import { startTestApp, TestApp } from '../support/test-app';

describe('statements issued together (pipelined, one write)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const three = (manager: EntityManager) =>
    Promise.all([
      manager.query(`SELECT 1 AS n`),
      manager.query(`SELECT $1::int AS n`, [2]),
      manager.query(`SELECT 3 AS n, pg_sleep(0.01)`),
    ]);

  it('sends a transaction’s statements issued at once in one write, and answers each in order', async () => {
    const runner = t.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const together = await countingWrites(runner, () =>
        issuedTogether(runner.manager, () => three(runner.manager)),
      );
      expect(together.result.map(([row]) => row.n)).toEqual([1, 2, 3]);
      // One write for all three: pipelined (pg sends each without waiting for the one before) and corked.
      expect(together.writes).toBe(1);
      // The same statements issued at once without the helper: pipelined, but one write each.
      const apart = await countingWrites(runner, () => three(runner.manager));
      expect(apart.result.map(([row]) => row.n)).toEqual([1, 2, 3]);
      expect(apart.writes).toBe(3);
      await runner.commitTransaction();
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('fails the whole transaction when one statement fails, and leaves the connection usable', async () => {
    await t.dataSource.query(`CREATE TABLE IF NOT EXISTS public.issued_together_t (id int PRIMARY KEY)`);
    const runner = t.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const settled = await issuedTogether(runner.manager, () =>
        Promise.allSettled([
          runner.manager.query(`INSERT INTO public.issued_together_t VALUES (1)`),
          runner.manager.query(`SELECT 1 / $1::int AS quotient`, [0]),
          runner.manager.query(`INSERT INTO public.issued_together_t VALUES (2)`),
        ]),
      );
      expect(settled.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
      expect(String((settled[1] as PromiseRejectedResult).reason)).toMatch(/division by zero/);
      // The statement behind the failure was already sent: the server refused it in the aborted transaction.
      expect(String((settled[2] as PromiseRejectedResult).reason)).toMatch(/current transaction is aborted/);
      await runner.rollbackTransaction();
      // The same connection answers the next statements, in order.
      const next = await issuedTogether(runner.manager, () => three(runner.manager));
      expect(next.map(([row]) => row.n)).toEqual([1, 2, 3]);
    } finally {
      await runner.release();
    }
    expect(await t.dataSource.query(`SELECT count(*)::int AS rows FROM public.issued_together_t`)).toEqual([
      { rows: 0 },
    ]);
    await t.dataSource.query(`DROP TABLE public.issued_together_t`);
  });

  it('outside a transaction just runs the work on the pool', async () => {
    const rows = await issuedTogether(t.dataSource.manager, () => three(t.dataSource.manager));
    expect(rows.map(([row]) => row.n)).toEqual([1, 2, 3]);
  });
});

import type { EntityManager, QueryRunner } from 'typeorm';
import { QueryFailedError } from 'typeorm';
import { transactionCommittedWith } from '../../src/platform/database/commit-together';
import { countingWrites } from '../support/socket-writes';
import { startTestApp, TestApp } from '../support/test-app';

// A transaction ended by its last statements and its COMMIT, sent together (the billing run's batches).
describe('transactionCommittedWith', () => {
  let t: TestApp;
  const table = 'public.commit_together_t';
  beforeAll(async () => {
    t = await startTestApp();
    await t.dataSource.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note jsonb)`);
  });
  afterEach(() => t.dataSource.query(`DELETE FROM ${table}`));
  afterAll(async () => {
    await t.dataSource.query(`DROP TABLE ${table}`);
    await t.close();
  });

  const ids = async (): Promise<number[]> =>
    (await t.dataSource.query(`SELECT id FROM ${table} ORDER BY id`)).map((row: { id: number }) => row.id);
  const runnerOf = (manager: EntityManager) => manager.queryRunner as QueryRunner;
  const insert = (id: number, note: unknown = null) => ({
    sql: `INSERT INTO ${table} (id, note) VALUES ($1, $2::jsonb)`,
    params: [id, note === null ? null : JSON.stringify(note)],
  });

  it('sends the last statements and the COMMIT in one write, and commits all of the transaction', async () => {
    let writes = -1;
    const answer = await transactionCommittedWith(t.dataSource, async (manager, commitWith) => {
      await manager.query(`INSERT INTO ${table} (id) VALUES (1)`);
      writes = (await countingWrites(runnerOf(manager), () => commitWith([insert(2), insert(3)]))).writes;
      return 'done';
    });
    expect(answer).toBe('done');
    expect(writes).toBe(1);
    expect(await ids()).toEqual([1, 2, 3]);
    // The connection went back to the pool out of any transaction: the next one starts clean.
    await transactionCommittedWith(t.dataSource, (_, commitWith) => commitWith([insert(4)]));
    expect(await ids()).toEqual([1, 2, 3, 4]);
  });

  it('a last statement refused by Postgres rolls the whole transaction back and throws its error', async () => {
    await t.dataSource.query(`INSERT INTO ${table} (id) VALUES (7)`);
    const ending = transactionCommittedWith(t.dataSource, async (manager, commitWith) => {
      await manager.query(`INSERT INTO ${table} (id) VALUES (1)`);
      await commitWith([insert(2), insert(7), insert(3)]);
    });
    await expect(ending).rejects.toBeInstanceOf(QueryFailedError);
    await expect(ending).rejects.toThrow(/duplicate key/);
    expect(await ids()).toEqual([7]);
  });

  // node-postgres drops a statement whose parameter it cannot serialize and sends the next: without the
  // check before sending, the COMMIT behind it committed the rest of the transaction without it.
  it('a parameter node-postgres cannot serialize throws before anything is sent, and nothing stays', async () => {
    const ending = transactionCommittedWith(t.dataSource, async (manager, commitWith) => {
      await manager.query(`INSERT INTO ${table} (id) VALUES (1)`);
      const unserializable = {
        sql: `INSERT INTO ${table} (id, note) VALUES ($1, $2)`,
        params: [2, { big: 1n }],
      };
      await commitWith([insert(3), unserializable]);
    });
    await expect(ending).rejects.toThrow(/BigInt/);
    expect(await ids()).toEqual([]);
  });

  it('commits as usual when the work does not end it, rolls back when the work throws, ends only once', async () => {
    await transactionCommittedWith(t.dataSource, (manager) =>
      manager.query(`INSERT INTO ${table} (id) VALUES (1)`),
    );
    await expect(
      transactionCommittedWith(t.dataSource, async (manager) => {
        await manager.query(`INSERT INTO ${table} (id) VALUES (2)`);
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    await expect(
      transactionCommittedWith(t.dataSource, async (_, commitWith) => {
        await commitWith([insert(3)]);
        await commitWith([insert(4)]);
      }),
    ).rejects.toThrow('the transaction has already ended');
    expect(await ids()).toEqual([1, 3]);
  });
});

import { QueryFailedError } from 'typeorm';
import { QueryLogger } from '../../src/platform/logging/query-logger';
import { MAX_PREPARED_TEXTS, preparedName, preparedQuery } from '../../src/platform/database/prepared-query';
import { JSON_ROWS_SLICE, jsonRowsParameter } from '../../src/platform/database/json-rows-parameter';
import { startTestApp, TestApp } from '../support/test-app';

describe('preparedQuery', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const SELECT_SQL = `SELECT n, n * $2::int AS times FROM unnest($1::int[]) AS u(n) ORDER BY n`;

  it('runs a fixed text as one named statement per connection, parsed once, with fresh parameters each time', async () => {
    const name = preparedName(SELECT_SQL);
    expect(name).toMatch(/^astrix_[0-9a-f]{24}$/);
    const { first, second, prepared } = await t.dataSource.transaction(async (manager) => ({
      first: await preparedQuery<Array<{ n: number; times: number }>>(manager, SELECT_SQL, [[2, 1], 10]),
      second: await preparedQuery<Array<{ n: number; times: number }>>(manager, SELECT_SQL, [[3], 5]),
      // On the connection that ran them: prepared once, under the text's name.
      prepared: (await manager.query(`SELECT name, statement FROM pg_prepared_statements WHERE name = $1`, [
        name,
      ])) as Array<{ name: string; statement: string }>,
    }));
    expect(first).toEqual([
      { n: 1, times: 10 },
      { n: 2, times: 20 },
    ]);
    expect(second).toEqual([{ n: 3, times: 15 }]);
    expect(prepared).toEqual([{ name, statement: SELECT_SQL }]);
  });

  it('takes a long JSON array of rows as bytes (jsonRowsParameter) for a json parameter, UTF-8 intact', async () => {
    const rows = Array.from({ length: 2 * JSON_ROWS_SLICE + 3 }, (_, n) => ({ n, note: `é€😀 ${n}` }));
    const parameter = jsonRowsParameter(rows);
    expect(Buffer.isBuffer(parameter)).toBe(true);
    const read = await preparedQuery<Array<{ rows: number; total: number; last: string }>>(
      t.dataSource.manager,
      `SELECT count(*)::int AS rows, sum(r.n)::int AS total, (array_agg(r.note ORDER BY r.n DESC))[1] AS last
         FROM json_to_recordset($1::json) AS r(n int, note text)`,
      [parameter],
    );
    expect(read).toEqual([
      { rows: rows.length, total: (rows.length * (rows.length - 1)) / 2, last: `é€😀 ${rows.length - 1}` },
    ]);
  });

  it('answers as manager.query does: an UPDATE with its rows and count, in the caller transaction', async () => {
    const answer = await t.dataSource.transaction(async (manager) => {
      await manager.query(`CREATE TEMP TABLE prepared_t (id int PRIMARY KEY, n int) ON COMMIT DROP`);
      await manager.query(`INSERT INTO prepared_t VALUES (1, 1), (2, 2)`);
      return preparedQuery(
        manager,
        `UPDATE prepared_t SET n = n + $1 WHERE id = ANY($2::int[]) RETURNING id, n`,
        [5, [1, 2]],
      );
    });
    expect(answer).toEqual([
      [
        { id: 1, n: 6 },
        { id: 2, n: 7 },
      ],
      2,
    ]);
  });

  it('fails as manager.query does, and the logged query is the SQL without its parameters', async () => {
    const failing = `SELECT 1 / $1::int AS quotient`;
    const error: unknown = await preparedQuery(t.dataSource.manager, failing, [0]).catch((caught) => caught);
    expect(error).toBeInstanceOf(QueryFailedError);
    expect((error as QueryFailedError).message).toMatch(/division by zero/);
    expect(String((error as QueryFailedError).query)).toBe(failing);
    // Serialised (a log line), the query is its text: pg's copy of the parameters stays out.
    expect(JSON.parse(JSON.stringify({ query: (error as QueryFailedError).query }))).toEqual({
      query: failing,
    });
    const logged: unknown[] = [];
    const logger = new QueryLogger();
    (logger as unknown as { logger: { debug: (entry: unknown) => void } }).logger = {
      debug: (entry) => logged.push(entry),
    };
    logger.logQueryError(error as Error, (error as QueryFailedError).query);
    expect(logged).toEqual([expect.objectContaining({ query: failing })]);
    // The connection still runs it after the failure.
    expect(await preparedQuery(t.dataSource.manager, failing, [4])).toEqual([{ quotient: 0 }]);
  });

  // Last: it fills this file's table of names.
  it('runs texts unnamed past the cap (a caller splicing values in), still naming the known ones', async () => {
    const known = preparedName(SELECT_SQL);
    for (let index = 0; preparedName(`SELECT ${index} AS spliced`) !== null; index += 1) {
      expect(index).toBeLessThan(MAX_PREPARED_TEXTS);
    }
    expect(preparedName(SELECT_SQL)).toBe(known);
    const sql = `SELECT $1::int + 1 AS next`;
    expect(preparedName(sql)).toBeNull();
    const { answer, count } = await t.dataSource.transaction(async (manager) => {
      const answer = await preparedQuery(manager, sql, [1]);
      // On the connection that ran it: no statement of that text.
      const [{ count }]: Array<{ count: number }> = await manager.query(
        `SELECT count(*)::int AS count FROM pg_prepared_statements WHERE statement = $1`,
        [sql],
      );
      return { answer, count };
    });
    expect(answer).toEqual([{ next: 2 }]);
    expect(count).toBe(0);
  });
});

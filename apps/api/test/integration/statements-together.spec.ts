import { runStatementsTogether } from '../../src/platform/database/statements-together';
import { startTestApp, TestApp } from '../support/test-app';

describe('runStatementsTogether', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('runs several data-modifying statements as one, each with its own parameters, and skips absent ones', async () => {
    const rows = await t.dataSource.transaction(async (manager) => {
      await manager.query(`CREATE TEMP TABLE together_a (n int, label text) ON COMMIT DROP`);
      await manager.query(`CREATE TEMP TABLE together_b (label text, n int) ON COMMIT DROP`);
      const sent: string[] = [];
      const query = manager.query.bind(manager);
      manager.query = ((sql: string, params?: unknown[]) => {
        sent.push(sql);
        return query(sql, params);
      }) as typeof manager.query;
      await runStatementsTogether(manager, [
        {
          sql: `INSERT INTO together_a SELECT * FROM unnest($1::int[], $2::text[])`,
          params: [
            [1, 2],
            ['x', 'y'],
          ],
        },
        null,
        { sql: `INSERT INTO together_b VALUES ($2, $1)`, params: [3, 'z'] },
      ]);
      await runStatementsTogether(manager, [null]);
      await runStatementsTogether(manager, [
        { sql: `INSERT INTO together_b VALUES ($1, $2)`, params: ['w', 4] },
      ]);
      expect(sent).toHaveLength(2);
      return manager.query(
        `SELECT 'a' AS t, n, label FROM together_a UNION ALL SELECT 'b', n, label FROM together_b ORDER BY t, n`,
      );
    });
    expect(rows).toEqual([
      { t: 'a', n: 1, label: 'x' },
      { t: 'a', n: 2, label: 'y' },
      { t: 'b', n: 3, label: 'z' },
      { t: 'b', n: 4, label: 'w' },
    ]);
  });
});

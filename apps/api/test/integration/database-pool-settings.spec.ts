import { validateEnvironment } from '../../src/platform/config/environment';
import { startTestApp, type TestApp } from '../support/test-app';

/** DATABASE_POOL_SIZE, DATABASE_CONNECT_TIMEOUT_MS and DATABASE_STATEMENT_TIMEOUT_MS reach the app's pool. */
describe('database pool settings', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        DATABASE_POOL_SIZE: '7',
        DATABASE_CONNECT_TIMEOUT_MS: '2500',
        DATABASE_STATEMENT_TIMEOUT_MS: '1500',
      },
    });
  });
  afterAll(() => t.close());

  it('sizes the pool, and Postgres cancels a statement past the timeout', async () => {
    const pool = (t.dataSource.driver as unknown as { master: { options: Record<string, unknown> } }).master
      .options;
    expect(pool).toMatchObject({ max: 7, connectionTimeoutMillis: 2500, statement_timeout: 1500 });
    const [{ statement_timeout: timeout }] = await t.dataSource.query('SHOW statement_timeout');
    expect(timeout).toBe('1500ms');
    await expect(t.dataSource.query('SELECT pg_sleep(3)')).rejects.toThrow(
      'canceling statement due to statement timeout',
    );
  });

  it('refuses a bad value, naming the variable', () => {
    for (const [name, value] of [
      ['DATABASE_POOL_SIZE', '0'],
      ['DATABASE_CONNECT_TIMEOUT_MS', 'soon'],
      ['DATABASE_STATEMENT_TIMEOUT_MS', '-1'],
    ]) {
      expect(() => validateEnvironment({ NODE_ENV: 'test', [name]: value })).toThrow(name);
    }
  });
});

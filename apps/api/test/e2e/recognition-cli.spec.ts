import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BillingTestApp, purchase, startBillingTestApp } from '../support/billing';
import { DIST, type ProcessResult, runBuilt } from '../support/cli';
import { TEST_JWT_SECRET } from '../support/tokens';

const run = promisify(execFile);
const SCRIPT = join(__dirname, '../../../../tools/scripts/close-month.mjs');

// Each step boots the CLI process (the whole app) while other suites share the cores.
jest.setTimeout(180_000);

/** 'pnpm cli recognize', 'export journal' and 'close' against the built CLI. */
describe('pnpm cli recognize, export journal and close (built output)', () => {
  let t: BillingTestApp;
  let firstDay: string;
  let lastDay: string;
  let month: string;

  const cli = (...args: string[]) =>
    runBuilt('cli.js', args, {
      DATABASE_URL: t.database.url,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      QUEUE_PREFIX: t.queuePrefix,
      STRIPE_SANDBOX_PORT: String(t.fake.port),
    });

  /** tools/scripts/close-month.mjs with the same environment. */
  const closeMonthScript = async (...args: string[]): Promise<ProcessResult> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [SCRIPT, ...args], {
        env: {
          PATH: process.env.PATH ?? '',
          NODE_ENV: 'test',
          LOG_LEVEL: 'silent',
          DATABASE_URL: t.database.url,
          AUTH_JWT_SECRET: TEST_JWT_SECRET,
          QUEUE_PREFIX: t.queuePrefix,
          STRIPE_SANDBOX_PORT: String(t.fake.port),
        },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as ProcessResult;
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'cli.js'))) throw new Error('apps/api/dist is missing: build it first');
    t = await startBillingTestApp();
    await purchase(
      t,
      { sub: 'user_recognition_cli', email: 'recognition.cli@example.com' },
      'evaluation-25k',
    );
    const [schedule] = await t.dataSource.query(
      `SELECT to_char(first_day, 'YYYY-MM-DD') AS first_day, to_char(last_day, 'YYYY-MM-DD') AS last_day
         FROM billing.revenue_schedules`,
    );
    firstDay = schedule.first_day;
    lastDay = schedule.last_day;
    month = firstDay.slice(0, 7);
  });
  afterAll(() => t.close());

  it('recognizes through a day, once, and refuses a day that is not one', async () => {
    const first = await cli('recognize', '--through', firstDay, '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ through: firstDay, schedules: 1, entries: 1 });
    const again = await cli('recognize', '--through', firstDay, '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ entries: 0 });

    const bad = await cli('recognize', '--through', '2026-02-30');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--through must be a calendar day YYYY-MM-DD');
  });

  it("exports the month's journal as CSV and JSON, and closes the month", async () => {
    const csv = await cli('export', 'journal', '--month', month);
    expect(csv.code).toBe(0);
    const rows = csv.stdout.trim().split('\n');
    expect(rows[0]).toMatch(
      /^date,occurred_at,entry_id,account,account_name,debit,credit,currency,reporting_currency/,
    );
    expect(rows.some((row) => row.includes(',deferred_revenue,'))).toBe(true);
    expect(rows.some((row) => row.includes(`recognized.${firstDay}`))).toBe(true);

    const json = await cli('export', 'journal', '--month', month, '--format', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({ month, lines: expect.any(Array) });
    expect(JSON.parse(json.stdout).lines).toHaveLength(rows.length - 1);

    // Through the tools script operators run at the month end (it calls the built CLI's 'close').
    const dir = mkdtempSync(join(tmpdir(), 'close-'));
    const close = await closeMonthScript('--month', month, '--out-dir', dir);
    expect(close.stderr).toContain(`close ${month}: CLOSED`);
    expect(close.stderr).toContain(`close-month: ${month} closed; files in ${dir}`);
    expect(close.code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, `close-${month}.json`), 'utf8'));
    expect(report).toMatchObject({ month, closed: true, trialBalanceBalanced: true, schedulesBehind: 0 });
    expect(readFileSync(join(dir, `journal-${month}.csv`), 'utf8').split('\n')[0]).toBe(rows[0]);
    // The close recognized every day of the month the evaluation covers.
    const [{ through }] = await t.dataSource.query(
      `SELECT to_char(recognized_through, 'YYYY-MM-DD') AS through FROM billing.revenue_schedules`,
    );
    expect(through <= lastDay).toBe(true);
    expect(through.slice(0, 7)).toBe(month);
  });
});

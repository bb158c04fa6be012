import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TrialBalanceView } from '@astrix/contracts';
import { Journal } from '../../src/modules/billing/ledger/journal.service';
import { BillingTestApp, startBillingTestApp } from '../support/billing';
import { DIST, runBuilt } from '../support/cli';
import { TEST_JWT_SECRET } from '../support/tokens';

// Each step boots the CLI process (the whole app) while other suites share the cores.
jest.setTimeout(120_000);

describe('pnpm cli ledger trial-balance (built output)', () => {
  let t: BillingTestApp;

  /** The CLI against the test app's database, Redis prefix and sandbox Stripe. */
  const cli = (...args: string[]) =>
    runBuilt('cli.js', ['ledger', 'trial-balance', ...args], {
      DATABASE_URL: t.database.url,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      QUEUE_PREFIX: t.queuePrefix,
      STRIPE_SANDBOX_PORT: String(t.fake.port),
    });

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'cli.js'))) throw new Error('apps/api/dist is missing: build it first');
    t = await startBillingTestApp();
    const journal = t.app.get(Journal);
    for (const [sourceId, at, amount] of [
      ['inv_cli_1', '2026-03-02T09:00:00Z', 29900],
      ['inv_cli_2', '2026-04-02T09:00:00Z', 10000],
    ] as const) {
      await t.dataSource.transaction((manager) =>
        journal.post(manager, {
          sourceType: 'invoice',
          sourceId,
          event: 'invoice.finalized',
          occurredAt: new Date(at),
          customerId: 'cust_ledger_cli',
          lines: [
            { account: 'accounts_receivable', currency: 'USD', debit: amount },
            { account: 'revenue_evaluation', currency: 'USD', credit: amount },
          ],
        }),
      );
    }
  });
  afterAll(() => t.close());

  it('prints the trial balance at an instant as a table, or as JSON, and exits 0 when it balances', async () => {
    const table = await cli('--at', '2026-04-01');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^ACCOUNT\s+NAME\s+TYPE\s+NORMAL_SIDE\s+CURRENCY\s+DEBITS\s+CREDITS\s+DEBIT_BALANCE\s+CREDIT_BALANCE\n/,
    );
    expect(table.stdout).toMatch(
      /accounts_receivable\s+Accounts receivable\s+asset\s+debit\s+USD\s+299\.00\s+0\.00\s+299\.00\s+0\.00/,
    );
    expect(table.stdout).toMatch(/TOTAL\s+balanced\s+USD\s+299\.00\s+299\.00\s+299\.00\s+299\.00/);
    expect(table.stderr).toContain('trial balance at 2026-04-01T00:00:00.000Z: balanced');

    const json = await cli('--json', '--at', '2026-05-01T00:00:00Z');
    expect(json.code).toBe(0);
    const view = JSON.parse(json.stdout) as TrialBalanceView;
    expect(view).toMatchObject({ at: '2026-05-01T00:00:00.000Z', balanced: true });
    expect(view.totals).toEqual([
      {
        currency: 'USD',
        debits: 39900,
        credits: 39900,
        debitBalance: 39900,
        creditBalance: 39900,
        balanced: true,
      },
    ]);
  });

  it('refuses an --at that is not a date', async () => {
    const result = await cli('--at', '2026-02-30');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--at must be an ISO 8601 date');
  });

  it('exits 1 and says NOT BALANCED when lines slipped past the balance trigger', async () => {
    await t.dataSource.transaction(async (manager) => {
      await manager.query(`ALTER TABLE billing.journal_lines DISABLE TRIGGER journal_lines_balanced`);
      await manager.query(`ALTER TABLE billing.journal_entries DISABLE TRIGGER journal_entries_have_lines`);
      await manager.query(
        `INSERT INTO billing.journal_entries (id, source_type, source_id, event, occurred_at) VALUES ('je_cli_broken', 'journal_entry', 'broken', 'test.broken', '2026-03-05')`,
      );
      await manager.query(
        `INSERT INTO billing.journal_lines (entry_id, account, currency, debit, credit, occurred_at) VALUES ('je_cli_broken', 'suspense', 'USD', 1, 0, '2026-03-05')`,
      );
      await manager.query(`ALTER TABLE billing.journal_lines ENABLE TRIGGER journal_lines_balanced`);
      await manager.query(`ALTER TABLE billing.journal_entries ENABLE TRIGGER journal_entries_have_lines`);
    });
    const result = await cli('--at', '2026-04-01');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/TOTAL\s+NOT BALANCED\s+USD\s+299\.01\s+299\.00/);
    expect(result.stderr).toContain('NOT BALANCED');
  });
});

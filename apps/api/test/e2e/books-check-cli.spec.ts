import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BillingTestApp, purchase, startBillingTestApp } from '../support/billing';
import { DIST, runBuilt } from '../support/cli';
import { TEST_JWT_SECRET } from '../support/tokens';

// Each step boots the CLI process (the whole app) while other suites share the cores.
jest.setTimeout(120_000);

describe('pnpm cli books check (built output)', () => {
  let t: BillingTestApp;

  /** The CLI against the test app's database, Redis prefix and sandbox Stripe. */
  const cli = (...args: string[]) =>
    runBuilt('cli.js', ['books', 'check', ...args], {
      DATABASE_URL: t.database.url,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      QUEUE_PREFIX: t.queuePrefix,
      STRIPE_SANDBOX_PORT: String(t.fake.port),
    });

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'cli.js'))) throw new Error('apps/api/dist is missing: build it first');
    t = await startBillingTestApp();
    await purchase(t, { sub: 'user_books_cli', email: 'books.cli@example.com' }, 'evaluation-25k');
  });
  afterAll(() => t.close());

  /** A port nothing listens on (the OS picks one, then it is released). */
  const freePort = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });

  it('refuses to compare with a sandbox Stripe it had to start itself (empty), and says how to fix it', async () => {
    const port = await freePort();
    const run = (...args: string[]) =>
      runBuilt('cli.js', ['books', 'check', ...args], {
        DATABASE_URL: t.database.url,
        AUTH_JWT_SECRET: TEST_JWT_SECRET,
        QUEUE_PREFIX: t.queuePrefix,
        STRIPE_SANDBOX_PORT: String(port),
      });
    const refused = await run();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`no running API hosts the sandbox Stripe on port ${port}`);
    expect(refused.stderr).not.toContain('charge_not_at_processor');

    const ownTablesOnly = await run('--no-processor');
    expect(ownTablesOnly).toMatchObject({ code: 0, stdout: '(none)\n' });
  });

  it('exits 0 and says clean when the books and the fake Stripe agree', async () => {
    const table = await cli('--since', '2000-01-01');
    const json = await cli('--json', '--since', '2000-01-01');

    expect(table).toMatchObject({ code: 0, stdout: '(none)\n' });
    expect(table.stderr).toContain('books check: clean');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      clean: true,
      findings: [],
      processorComparedSince: '2000-01-01T00:00:00.000Z',
    });
  });

  it('exits 1 with the findings, as JSON with --json and as a table without', async () => {
    const [charge] = await t.dataSource.query(
      `SELECT customer_id FROM billing.charges WHERE user_id = 'user_books_cli'`,
    );
    // Inserted around the recorder: no receipt and no journal entry, two findings.
    await t.dataSource.query(
      `INSERT INTO billing.charges (id, customer_id, user_id, product_id, amount, currency, status, paid_at)
       VALUES ('chg_books_cli_orphan', $1, 'user_books_cli', 'prd_books', 4200, 'USD', 'succeeded', now())`,
      [charge.customer_id],
    );

    const json = await cli('--json', '--no-processor');
    const table = await cli();

    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      checkedAt: expect.any(String),
      processorComparedSince: null,
      clean: false,
      findings: [
        {
          kind: 'charge_without_invoice',
          subject: 'chg_books_cli_orphan',
          ids: ['chg_books_cli_orphan'],
          amount: 4200,
          currency: 'USD',
          message: 'charge chg_books_cli_orphan of USD 42.00 has no invoice or receipt',
        },
        {
          kind: 'money_row_without_entry',
          subject: 'chg_books_cli_orphan',
          ids: ['chg_books_cli_orphan', charge.customer_id],
          amount: 4200,
          currency: 'USD',
          message: 'charge chg_books_cli_orphan (USD 42.00) has no charge.succeeded journal entry',
        },
      ],
    });
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^KIND\s+SUBJECT\s+AMOUNT\s+CURRENCY\s+IDS\s+EXPLANATION\n/);
    expect(table.stdout).toMatch(/^charge_without_invoice +chg_books_cli_orphan /m);
    expect(table.stdout).toMatch(/^money_row_without_entry +chg_books_cli_orphan /m);
    expect(table.stderr).toContain('books check: 2 finding(s)');
  });

  it('refuses a --since that is not a date', async () => {
    const result = await cli('--since', 'yesterday');

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--since must be an ISO 8601 date');
  });
});

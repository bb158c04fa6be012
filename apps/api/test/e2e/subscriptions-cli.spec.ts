import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BillingTestApp, productBySlug, startBillingTestApp } from '../support/billing';
import { DIST, runBuilt } from '../support/cli';
import { eventually } from '../support/test-app';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';
import { expectBooksClean } from '../support/books';

// Every step starts a CLI process (about 1.5 s alone, several times that while other suites share
// the two cores), so a test of many steps gets more than the default 30 s.
jest.setTimeout(120_000);

describe('operator CLI for billing runs, dunning and invoices (built output)', () => {
  let t: BillingTestApp;

  const cli = (...args: string[]) =>
    runBuilt('cli.js', args, {
      DATABASE_URL: t.database.url,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      QUEUE_PREFIX: t.queuePrefix,
      STRIPE_SANDBOX_PORT: String(t.fake.port),
      // The CLI acts as a named staff member (its token), never as the OS user.
      ASTRIX_STAFF_TOKEN: signToken({ sub: 'staff_ops_bob', roles: ['admin'] }),
      BILLING_RUN_CRON: '',
    });
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await cli(...args, '--json');
    if (result.code !== 0) throw new Error(`cli ${args.join(' ')} failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };

  /** A paid monthly subscription whose period ended over an hour ago (past the late-usage grace). */
  async function dueSubscription(user: string): Promise<string> {
    const headers = t.as({ sub: user, email: `${user}@example.com` });
    await t.inject({
      method: 'POST',
      url: '/v1/billing/payment-methods/setup-intent',
      headers,
      payload: { paymentMethodId: 'pm_card_visa' },
    });
    const created = await t.inject({
      method: 'POST',
      url: '/v1/billing/subscriptions',
      headers,
      payload: { productId: (await productBySlug(t, 'pro-monthly')).id, currency: 'USD', trialDays: 0 },
    });
    const id = created.json().id as string;
    await t.dataSource.query(
      `UPDATE billing.subscriptions SET billing_anchor = now() - interval '1 month' - interval '61 minutes',
         current_period_start = now() - interval '1 month' - interval '61 minutes',
         current_period_end = now() - interval '61 minutes' WHERE id = $1`,
      [id],
    );
    return id;
  }

  async function failedRenewal(subscriptionId: string): Promise<string> {
    return eventually(async () => {
      const [row] = await t.dataSource.query(
        `SELECT d.invoice_id FROM billing.dunning_cases d WHERE d.subscription_id = $1`,
        [subscriptionId],
      );
      return row?.invoice_id as string | undefined;
    });
  }

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'cli.js'))) throw new Error('apps/api/dist is missing: build it first');
    t = await startBillingTestApp();
  });
  afterAll(() => t.close());

  it('billing-run start renews due periods; dunning status and retry-now recover a failed renewal', async () => {
    const subscriptionId = await dueSubscription('user_cli_dunning');
    t.fake.controls.declineNextPayments({ count: 1, declineCode: 'insufficient_funds' });

    const refused = await cli('billing-run', 'start');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--yes');

    const run = await json<{ id: string; status: string; progress: { invoicesCreated: number } }>(
      'billing-run',
      'start',
      '--yes',
    );
    expect(run).toMatchObject({ status: 'completed', progress: { invoicesCreated: 1 } });
    const invoiceId = await failedRenewal(subscriptionId);

    const listed = await cli('dunning', 'status');
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(
      /^INVOICE\s+SUBSCRIPTION\s+STATUS\s+FAILED\s+NEXT\s+LASTFAILURE$/,
    );
    expect(listed.stdout).toContain(invoiceId);
    expect(await json('dunning', 'status', invoiceId)).toMatchObject({
      status: 'active',
      failedAttempts: 1,
      lastFailure: { code: 'insufficient_funds' },
    });

    const retried = await json<{ outcome: string; invoice: { status: string } }>(
      'dunning',
      'retry-now',
      invoiceId,
      '--yes',
    );
    expect(retried).toMatchObject({ outcome: 'paid', invoice: { status: 'paid' } });
    const [subscription] = await t.dataSource.query(
      `SELECT status FROM billing.subscriptions WHERE id = $1`,
      [subscriptionId],
    );
    expect(subscription.status).toBe('active');

    const runs = await json<Array<{ id: string }>>('billing-run', 'status');
    expect(runs.map((entry) => entry.id)).toContain(run.id);
    expect(await json('billing-run', 'status', run.id)).toMatchObject({ id: run.id, status: 'completed' });
    const [audit] = await t.dataSource.query(
      `SELECT actor_id FROM platform.audit_log WHERE action = 'dunning.retry_requested' AND resource_id = $1`,
      [invoiceId],
    );
    // The named staff member from the CLI's token, not the OS user.
    expect(audit.actor_id).toBe('staff_ops_bob');
  });

  it('invoice void then regenerate issues one replacement and collects it', async () => {
    const subscriptionId = await dueSubscription('user_cli_void');
    t.fake.controls.declineNextPayments({ count: 1 });
    await json('billing-run', 'start', '--yes');
    const invoiceId = await failedRenewal(subscriptionId);

    expect((await cli('invoice', 'void', invoiceId, '--yes')).code).not.toBe(0);
    const voided = await json<{ status: string }>(
      'invoice',
      'void',
      invoiceId,
      '--reason',
      'wrong plan',
      '--yes',
    );
    expect(voided.status).toBe('void');
    const again = await cli('invoice', 'void', invoiceId, '--reason', 'twice', '--yes');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('a void invoice is final');

    expect((await cli('invoice', 'regenerate', invoiceId, '--yes')).code).not.toBe(0);
    const replacement = await json<{
      id: string;
      number: string;
      status: string;
      total: number;
      regeneratedFromInvoiceId: string;
    }>('invoice', 'regenerate', invoiceId, '--reason', 'wrong plan', '--yes');
    expect(replacement).toMatchObject({ status: 'paid', total: 4900, regeneratedFromInvoiceId: invoiceId });
    expect(replacement.id).not.toBe(invoiceId);
    const twice = await cli('invoice', 'regenerate', invoiceId, '--reason', 'twice', '--yes');
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain(`was already regenerated as ${replacement.number}`);
    const unknown = await cli(
      'invoice',
      'regenerate',
      'inv_01jzzzzzzzzzzzzzzzzzzzzzzz',
      '--reason',
      'typo',
      '--yes',
    );
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('was not found');
    const badDate = await cli('billing-run', 'start', '--as-of', 'yesterday', '--yes');
    expect(badDate.code).not.toBe(0);
    expect(badDate.stderr).toContain('--as-of');
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

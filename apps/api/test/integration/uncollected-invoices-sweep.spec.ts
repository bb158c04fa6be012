import { Clock } from '../../src/platform/clock';
import { newId } from '../../src/platform/ids';
import { JobQueue } from '../../src/platform/queues/job-queue.service';
import {
  UncollectedInvoices,
  UNCOLLECTED_AFTER_MS,
} from '../../src/modules/billing/collection/uncollected-invoices';
import {
  ABANDONED_RUN_AFTER_MS,
  BillingRuns,
} from '../../src/modules/billing/subscriptions/billing-runs.service';
import { startTestApp, TestApp } from '../support/test-app';

const SYSTEM = { actor: { kind: 'system', name: 'test' }, requestId: null } as const;

/**
 * No workers here: no relay publishes the runs' billing.invoice.finalized events and no job runs, so
 * every invoice a run issues is exactly what a lost collection leaves behind.
 */
describe('invoices whose collection was lost (integration: real Postgres and Redis, no workers)', () => {
  let t: TestApp;
  let runs: BillingRuns;
  let sweep: UncollectedInvoices;
  let productId: string;
  let now: Date;

  beforeAll(async () => {
    t = await startTestApp();
    runs = t.app.get(BillingRuns);
    sweep = t.app.get(UncollectedInvoices);
    now = new Date('2026-03-01T02:00:00Z');
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now.getTime()));
    productId = newId('prd');
    await t.dataSource.query(
      `INSERT INTO billing.products (id, kind, name, description, attributes, slug, status, created_at, updated_at)
       VALUES ($1, 'subscription', 'Sweep Plan', NULL, '{}', $2, 'active', now(), now())`,
      [productId, `sweep-plan-${productId.slice(-6)}`],
    );
  });
  afterAll(() => t.close());

  /** Subscriptions whose February period ended: the next run invoices March, open. */
  async function dueSubscriptions(count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => newId('sub'));
    const customers = ids.map(() => newId('cust'));
    await t.dataSource.query(
      `INSERT INTO billing.customers (id, user_id, email, created_at)
       SELECT c, 'user_' || c, NULL, now() FROM unnest($1::text[]) AS c`,
      [customers],
    );
    await t.dataSource.query(
      `INSERT INTO billing.subscriptions (id, customer_id, user_id, product_id, price_id, currency, unit_amount, quantity,
         status, interval, interval_count, billing_anchor, trial_end, current_period_start, current_period_end,
         created_at, updated_at)
       SELECT s, c, 'user_' || c, $3, 'prc_test', 'USD', 4900, 1, 'active', 'month', 1, $4, NULL, $4, $5, $4, $4
         FROM unnest($1::text[], $2::text[]) AS u(s, c)`,
      [ids, customers, productId, new Date('2026-02-01T00:00:00Z'), new Date('2026-03-01T00:00:00Z')],
    );
    return ids;
  }
  const openInvoicesOf = async (ids: string[]): Promise<string[]> =>
    (
      await t.dataSource.query(
        `SELECT id FROM billing.invoices WHERE subscription_id = ANY($1) AND status = 'open' ORDER BY id`,
        [ids],
      )
    ).map((row: { id: string }) => row.id);
  const firstAttemptJob = async (invoiceId: string) => {
    const job = await t.app.get(JobQueue).queue('billing').getJob(`collect-${invoiceId}-1`);
    return job ? { name: job.name, data: job.data, state: await job.getState() } : null;
  };

  it('enqueues the first attempt of open invoices left uncollected past the bound, once per invoice', async () => {
    now = new Date('2026-03-01T02:00:00Z');
    const ids = await dueSubscriptions(3);
    const run = await runs.execute((await runs.create('manual', SYSTEM, now)).id);
    expect(run.progress.invoicesCreated).toBe(3);
    const invoices = await openInvoicesOf(ids);
    expect(invoices).toHaveLength(3);
    // One was attempted (its attempt is under way), one is in dunning: neither is the sweep's.
    await t.dataSource.query(`UPDATE billing.invoices SET attempt_count = 1 WHERE id = $1`, [invoices[1]]);
    await t.dataSource.query(
      `INSERT INTO billing.dunning_cases (invoice_id, subscription_id, customer_id, status, policy, failed_attempts,
         next_attempt_at, last_failure_code, last_failure_message, started_at, resolved_at, updated_at)
       SELECT id, subscription_id, customer_id, 'active', '{}', 1, $2, 'card_declined', NULL, $2, NULL, $2
         FROM billing.invoices WHERE id = $1`,
      [invoices[2], now],
    );

    // Fresh invoices are the outbox's to collect.
    expect(await sweep.sweep()).toBe(0);
    expect(await firstAttemptJob(invoices[0])).toBeNull();

    now = new Date(now.getTime() + UNCOLLECTED_AFTER_MS);
    expect(await sweep.sweep()).toBe(1);
    expect(await firstAttemptJob(invoices[0])).toEqual({
      name: 'billing.collect-invoice',
      data: { invoiceId: invoices[0], attempt: 1 },
      state: 'waiting',
    });
    expect(await firstAttemptJob(invoices[1])).toBeNull();
    expect(await firstAttemptJob(invoices[2])).toBeNull();
    // Swept again before a worker took it: still one job, the same attempt.
    expect(await sweep.sweep()).toBe(1);
    const waiting = await t.app.get(JobQueue).queue('billing').getJobs(['waiting']);
    expect(waiting.filter((job) => job.data.invoiceId === invoices[0])).toHaveLength(1);
  });

  it('the scheduler works an on-demand run whose job was never enqueued', async () => {
    now = new Date('2026-03-02T00:00:00Z');
    const ids = await dueSubscriptions(2);
    // The run's row committed; the enqueue of its job failed (Redis), so no worker will ever run it.
    const lost = await runs.create('manual', SYSTEM, now);
    now = new Date(now.getTime() + ABANDONED_RUN_AFTER_MS + 1000);
    expect(await runs.startScheduled()).toMatchObject({
      id: lost.id,
      trigger: 'manual',
      status: 'completed',
      progress: { invoicesCreated: 2 },
    });
    expect(await openInvoicesOf(ids)).toHaveLength(2);
  });
});

import type { Queue } from 'bullmq';
import { BillingJobs } from '../../src/modules/billing/billing-jobs';
import { JobQueue } from '../../src/platform/queues/job-queue.service';
import { productBySlug } from '../support/billing';
import { startSubscriptionTestApp, SubscriptionTestApp } from '../support/subscriptions';
import { eventually } from '../support/test-app';
import { expectBooksClean } from '../support/books';

/**
 * Redis refusing the billing queue's writes of collection jobs, as a connection lost at that moment
 * would: the fault sits in the BullMQ queue the app enqueues through, not in the code under test.
 */
function refuseCollectionJobs(queue: Queue): { failures: () => number; heal: () => void } {
  let refusing = true;
  let failures = 0;
  const realAdd = queue.add.bind(queue);
  const realAddBulk = queue.addBulk.bind(queue);
  const refuse = (names: string[]): void => {
    if (refusing && names.includes('billing.collect-invoice')) {
      failures += 1;
      throw new Error('Connection is closed.');
    }
  };
  const add = jest.spyOn(queue, 'add').mockImplementation(async (name, data, options) => {
    refuse([name]);
    return realAdd(name, data, options);
  });
  const addBulk = jest.spyOn(queue, 'addBulk').mockImplementation(async (jobs) => {
    refuse(jobs.map((job) => job.name));
    return realAddBulk(jobs);
  });
  return {
    failures: () => failures,
    heal: () => {
      refusing = false;
      add.mockRestore();
      addBulk.mockRestore();
    },
  };
}

describe('billing-run collection survives a queue failure after commit (e2e, fake Stripe, controllable clock)', () => {
  let t: SubscriptionTestApp;
  let pro: string;
  let billingQueue: Queue;

  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-04-01T00:00:00Z');
    pro = (await productBySlug(t, 'pro-monthly')).id;
    billingQueue = t.app.get(JobQueue).queue('billing');
  });
  afterAll(() => t.close());

  /** A paid monthly Pro subscription from 1 April; its renewal is due on 1 May (after the grace). */
  async function paidSubscription(user: string): Promise<string> {
    t.setNow('2026-04-01T00:00:00Z');
    await t.addCard(user);
    const created = await t.subscribe(user, { productId: pro, currency: 'USD', trialDays: 0 });
    expect(created.statusCode).toBe(201);
    await t.paidInvoicesOf(created.json().id, 1);
    return created.json().id;
  }

  const collectionStateOf = async (invoiceId: string) => {
    const [row] = await t.dataSource.query(
      `SELECT i.status, i.attempt_count, i.charge_id IS NOT NULL AS charged,
              (SELECT count(*)::int FROM billing.dunning_cases d WHERE d.invoice_id = i.id) AS dunning_cases
         FROM billing.invoices i WHERE i.id = $1`,
      [invoiceId],
    );
    return row as { status: string; attempt_count: number; charged: boolean; dunning_cases: number };
  };

  it('billing-run collection jobs lost to a Redis failure right after commit: the renewal is still collected', async () => {
    const id = await paidSubscription('user_run_redis_blip');
    const fault = refuseCollectionJobs(billingQueue);
    let renewalId: string;
    try {
      await t.runBillingAt('2026-05-01T01:00:00Z');
      const [, renewal] = await t.invoicesOf(id);
      expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', status: 'open' });
      renewalId = renewal.id;
      // The queue refused to take the renewal's collection job; it is healthy again from here on.
      expect(await eventually(async () => fault.failures() >= 1)).toBe(true);
    } finally {
      fault.heal();
    }
    // A day later the scheduler ticks as it does every few minutes.
    t.setNow('2026-05-02T01:00:00Z');
    await t.app.get(BillingJobs).scheduledBilling();
    const collected = await eventually(async () => {
      const state = await collectionStateOf(renewalId);
      return state.status === 'paid' ? state : undefined;
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}: renewal ${JSON.stringify(await collectionStateOf(renewalId))}`);
    });
    expect(collected).toEqual({ status: 'paid', attempt_count: 1, charged: true, dunning_cases: 0 });
    // Charged once for the renewal, once for the first period.
    const charges = await t.dataSource.query(
      `SELECT c.amount FROM billing.charges c JOIN billing.invoices i ON i.id = c.invoice_id
        WHERE i.subscription_id = $1 ORDER BY c.id`,
      [id],
    );
    expect(charges).toEqual([{ amount: '4900' }, { amount: '4900' }]);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

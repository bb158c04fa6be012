import type { Queue } from 'bullmq';
import { BillingJobs } from '../../src/modules/billing/billing-jobs';
import { PayoutsJobs } from '../../src/modules/payouts/payouts-jobs';
import { Clock } from '../../src/platform/clock';
import { JobQueue } from '../../src/platform/queues/job-queue.service';
import { BillingTestApp, startBillingTestApp } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { fundedAccount as fundedPayoutAccount, preparePayouts } from '../support/payouts';
import { idempotent } from '../support/idempotency';
import { eventually } from '../support/test-app';

/**
 * Redis refusing the payouts queue's writes of execute jobs, as a connection lost at that moment
 * would: the fault sits in the BullMQ queue the app enqueues through, not in the code under test.
 */
function refuseExecuteJobs(queue: Queue): { failures: () => number; heal: () => void } {
  let failures = 0;
  const realAdd = queue.add.bind(queue);
  const add = jest.spyOn(queue, 'add').mockImplementation(async (name, data, options) => {
    if (name === 'payouts.execute-payout') {
      failures += 1;
      throw new Error('Connection is closed.');
    }
    return realAdd(name, data, options);
  });
  return { failures: () => failures, heal: () => add.mockRestore() };
}

/**
 * Issue #16 (tail): a payout retried by finance is `approved` in our books once the retry commits;
 * its execute job is enqueued after the commit. Redis failing right then must not leave the
 * reserved money approved forever with nothing to pay it.
 */
describe('a retried payout whose execute job Redis lost (e2e, fake Stripe)', () => {
  let t: BillingTestApp;
  let platformKey: string;
  let identityKey: string;
  let payoutsQueue: Queue;
  const finance = { sub: 'staff_fin_lost_job', roles: ['finance'] };

  beforeAll(async () => {
    t = await startBillingTestApp();
    ({ platformKey, identityKey } = await preparePayouts(t, finance));
    payoutsQueue = t.app.get(JobQueue).queue('payouts');
  });
  afterAll(() => t.close());

  /** Buys an evaluation, passes both phases, funds it, verifies KYC and reports a balance. */
  const fundedAccount = (sub: string, balance: number) =>
    fundedPayoutAccount(t, { platformKey, identityKey }, sub, balance);

  const payoutStatus = (sub: string, id: string, status: string) =>
    eventually(async () => {
      const view = (
        await t.inject({ method: 'GET', url: `/v1/payouts/${id}`, headers: t.as({ sub }) })
      ).json();
      return view.status === status ? (view as Record<string, unknown>) : undefined;
    });

  /** The scheduler's ticks, as they run every few minutes in a worker. */
  async function schedulerTick(): Promise<void> {
    await t.app.get(BillingJobs).scheduledBilling();
    await t.app.get(PayoutsJobs).resumeStrandedPayouts();
  }

  it('payout retry job lost to a Redis failure after commit: the payout is still paid, once', async () => {
    const sub = 'user_po_retry_lost_job';
    const account = await fundedAccount(sub, 50_000);
    // The transfer fails without a webhook to settle it: only finance's retry can.
    t.fake.controls.setWebhookEndpoint(null);
    t.fake.controls.injectFault({
      kind: 'server_error',
      path: '/v1/transfers',
      method: 'POST',
      phase: 'after_processing',
      times: 5,
    });
    const requested = await t.inject({
      method: 'POST',
      url: '/v1/payouts',
      headers: idempotent(t.as({ sub })),
      payload: { method: 'stripe_connect', accountId: account.id },
    });
    expect(requested.statusCode).toBe(201);
    const payoutId = requested.json().id as string;
    await payoutStatus(sub, payoutId, 'failed');
    t.fake.controls.clearFaults();

    const fault = refuseExecuteJobs(payoutsQueue);
    let retriedStatus: number;
    try {
      const retried = await t.inject({
        method: 'POST',
        url: `/v1/admin/payouts/${payoutId}/retry`,
        headers: idempotent(t.as(finance)),
      });
      retriedStatus = retried.statusCode;
      expect(fault.failures()).toBe(1);
    } finally {
      fault.heal();
    }
    // Committed as approved, with no job in Redis to run it.
    const [row] = await t.dataSource.query(`SELECT status, attempt FROM payouts.payouts WHERE id = $1`, [
      payoutId,
    ]);
    expect(row.status).toBe('approved');
    expect(await payoutsQueue.getJob(`${payoutId}-attempt-${row.attempt as number}`)).toBeUndefined();

    // An hour later the scheduler ticks; Redis is healthy again.
    const later = new Date(Date.now() + 3_600_000);
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(later.getTime()));
    try {
      await schedulerTick();
      const paid = await payoutStatus(sub, payoutId, 'paid').catch(async (error: Error) => {
        const [state] = await t.dataSource.query(`SELECT status FROM payouts.payouts WHERE id = $1`, [
          payoutId,
        ]);
        throw new Error(`${error.message}: payout ${payoutId} is ${JSON.stringify(state)}`);
      });
      expect(paid.transferId).toBeTruthy();
      // A second tick finds nothing to resume: one transfer.
      await schedulerTick();
    } finally {
      jest.restoreAllMocks();
    }
    const transfers = t.fake.controls
      .sentEvents()
      .filter(
        (event) =>
          event.type === 'transfer.created' &&
          (event.data.object as { transfer_group?: string }).transfer_group === payoutId,
      );
    expect(transfers).toHaveLength(1);
    // The retry committed: finance is told so, not handed an error for a change that happened.
    expect(retriedStatus).toBe(200);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

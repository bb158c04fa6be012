import { Queue } from 'bullmq';
import { keepJobSchedule, keepJobSchedulesAlive } from './job-schedule';

// Against the real Redis: the schedule is BullMQ's own job scheduler, shared by every worker.
describe('keepJobSchedule', () => {
  const queue = new Queue('billing', {
    connection: { host: '127.0.0.1', port: 6379 },
    prefix: `test-schedule-${process.pid}-${Date.now()}`,
  });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('keeps one schedule under the job name, replaces it when the cron changes, and removes it when off', async () => {
    await keepJobSchedule(queue, 'billing.scheduled-billing', '*/15 * * * *');
    await keepJobSchedule(queue, 'billing.scheduled-billing', '*/15 * * * *');
    let schedulers = await queue.getJobSchedulers();
    expect(schedulers).toEqual([
      expect.objectContaining({ key: 'billing.scheduled-billing', pattern: '*/15 * * * *', tz: 'UTC' }),
    ]);

    await keepJobSchedule(queue, 'billing.scheduled-billing', '0 * * * *');
    schedulers = await queue.getJobSchedulers();
    expect(schedulers).toEqual([
      expect.objectContaining({ key: 'billing.scheduled-billing', pattern: '0 * * * *' }),
    ]);

    await keepJobSchedule(queue, 'billing.scheduled-billing', 'off');
    expect(await queue.getJobSchedulers()).toEqual([]);
  });

  it('a worker booting with the same cron leaves the schedule as it is (its next job is not rewritten)', async () => {
    await keepJobSchedule(queue, 'billing.scheduled-billing', '*/15 * * * *');
    const [before] = await queue.getDelayed();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await keepJobSchedule(queue, 'billing.scheduled-billing', '*/15 * * * *');
    const [after] = await queue.getDelayed();
    expect({ id: after.id, timestamp: after.timestamp }).toEqual({
      id: before.id,
      timestamp: before.timestamp,
    });
    await keepJobSchedule(queue, 'billing.scheduled-billing', 'off');
  });

  it("a worker without a cron (empty setting) leaves everyone's schedule in place; 'off' removes it", async () => {
    await keepJobSchedule(queue, 'billing.scheduled-billing', '*/15 * * * *');
    await keepJobSchedule(queue, 'billing.scheduled-billing', null);
    expect(await queue.getJobSchedulers()).toEqual([
      expect.objectContaining({ key: 'billing.scheduled-billing', pattern: '*/15 * * * *' }),
    ]);
    await keepJobSchedule(queue, 'billing.scheduled-billing', 'off');
    expect(await queue.getJobSchedulers()).toEqual([]);
  });

  // Found by the chaos harness: Redis restarted without its data took every schedule with it, and
  // they came back only when a worker restarted.
  it('puts a schedule back after Redis lost it, while the worker runs', async () => {
    const apply = () => keepJobSchedule(queue, 'payouts.resume-stranded-payouts', '*/5 * * * *');
    await apply();
    const stop = keepJobSchedulesAlive(queue, apply, undefined, 50);
    try {
      await queue.removeJobScheduler('payouts.resume-stranded-payouts'); // as a Redis restart does
      await eventually(() => queue.getJobScheduler('payouts.resume-stranded-payouts'));
      expect(await queue.getJobScheduler('payouts.resume-stranded-payouts')).toEqual(
        expect.objectContaining({ pattern: '*/5 * * * *' }),
      );
    } finally {
      stop();
    }
  });

  // Found by the chaos harness: a Redis restart without its data loses the jobs in flight too (a
  // payout's execute job, a refund's retry). The sweeps that find them tick with the schedule; a
  // schedule put back after a loss runs its tick at once instead of at its next cron boundary.
  it('a schedule put back after Redis lost it runs its tick at once', async () => {
    const name = 'payouts.resume-stranded-payouts';
    const yearly = '0 0 1 1 *';
    const apply = (afterLoss: boolean) =>
      keepJobSchedule(queue, name, yearly, { runAtOnceIfLost: afterLoss });
    await apply(false);
    expect(await queue.getWaiting()).toEqual([]);
    const stop = keepJobSchedulesAlive(queue, () => apply(true), undefined, 50);
    try {
      await queue.removeJobScheduler(name); // as a Redis restart does
      const waiting = await eventually(async () => {
        const jobs = await queue.getWaiting();
        return jobs.length > 0 ? jobs : undefined;
      });
      expect(waiting.map((job) => job.name)).toEqual([name]);
      expect(await queue.getJobScheduler(name)).toEqual(expect.objectContaining({ pattern: yearly }));
    } finally {
      stop();
      await queue.removeJobScheduler(name);
      await queue.drain(true);
    }
  });

  it('checks the schedules as soon as the connection to Redis is back, not at the next interval', async () => {
    const name = 'billing.scheduled-billing';
    const apply = () => keepJobSchedule(queue, name, '*/15 * * * *');
    await apply();
    const stop = keepJobSchedulesAlive(queue, apply, undefined, 3_600_000);
    try {
      await queue.removeJobScheduler(name);
      (await queue.client).disconnect(true); // a restarted Redis: the client reconnects
      const restored = await eventually(() => queue.getJobScheduler(name));
      expect(restored).toEqual(expect.objectContaining({ pattern: '*/15 * * * *' }));
    } finally {
      stop();
      await queue.removeJobScheduler(name);
    }
  });
});

/** Polls until `read` answers something, for up to five seconds; answers undefined otherwise. */
async function eventually<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('not within five seconds');
}

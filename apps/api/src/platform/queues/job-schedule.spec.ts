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
    const stop = keepJobSchedulesAlive(apply, 50);
    try {
      await queue.removeJobScheduler('payouts.resume-stranded-payouts'); // as a Redis restart does
      let restored = false;
      for (let attempt = 0; attempt < 100 && !restored; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        restored = (await queue.getJobScheduler('payouts.resume-stranded-payouts')) !== undefined;
      }
      expect(await queue.getJobScheduler('payouts.resume-stranded-payouts')).toEqual(
        expect.objectContaining({ pattern: '*/5 * * * *' }),
      );
    } finally {
      stop();
    }
  });
});

import { Queue } from 'bullmq';
import { keepJobSchedule } from './job-schedule';

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

    await keepJobSchedule(queue, 'billing.scheduled-billing', null);
    expect(await queue.getJobSchedulers()).toEqual([]);
  });
});

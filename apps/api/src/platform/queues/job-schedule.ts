import type { Queue } from 'bullmq';
import type { JobName } from './job-registry';

/**
 * Keeps one repeating job on a cron schedule. The schedule lives in Redis under the job's name, so
 * every worker process shares it; with the cron turned off (null) it is removed.
 */
export async function keepJobSchedule(queue: Queue, name: JobName, cron: string | null): Promise<void> {
  if (cron === null) {
    await queue.removeJobScheduler(name);
    return;
  }
  await queue.upsertJobScheduler(name, { pattern: cron, tz: 'UTC' }, { name, data: {} });
}

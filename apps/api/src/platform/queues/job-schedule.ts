import type { Queue } from 'bullmq';
import type { JobName } from './job-registry';

/** The setting value that removes a schedule (an empty setting leaves it to the processes that set one). */
export const SCHEDULE_OFF = 'off';

/**
 * Keeps one repeating job on a cron schedule. The schedule lives in Redis under the job's name, so
 * every worker process shares it, and it has one owner: the setting.
 * - a cron pattern: the schedule is created, or changed when its pattern differs; a worker booting
 *   with the pattern already in place leaves it alone (its next job is not rewritten);
 * - null (the setting empty): this process does not manage the schedule — it neither creates nor
 *   removes it, so a worker started without the setting cannot delete everyone's schedule;
 * - `off`: the schedule is removed.
 */
export async function keepJobSchedule(queue: Queue, name: JobName, cron: string | null): Promise<void> {
  if (cron === null) return;
  if (cron === SCHEDULE_OFF) {
    await queue.removeJobScheduler(name);
    return;
  }
  const existing = await queue.getJobScheduler(name);
  if (existing && existing.pattern === cron && existing.tz === 'UTC') return;
  await queue.upsertJobScheduler(name, { pattern: cron, tz: 'UTC' }, { name, data: {} });
}

/** How often a worker checks that its schedules still exist (one read per schedule when they do). */
export const SCHEDULE_CHECK_INTERVAL_MS = 60_000;

/**
 * Schedules live only in Redis: a Redis restarted without its data loses them all, and nothing
 * would create them again until a worker restarts (found by the chaos harness). A worker re-applies
 * its schedules every interval; keepJobSchedule writes only what is missing or changed. Returns the
 * function that stops it (call it when the worker shuts down).
 */
export function keepJobSchedulesAlive(
  apply: () => Promise<void>,
  intervalMs = SCHEDULE_CHECK_INTERVAL_MS,
  onError: (error: unknown) => void = () => undefined,
): () => void {
  const timer = setInterval(() => {
    apply().catch(onError);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

import type { Queue } from 'bullmq';
import type { JobName } from './job-registry';

/** The setting value that removes a schedule (an empty setting leaves it to the processes that set one). */
export const SCHEDULE_OFF = 'off';

/** How a worker keeps a schedule. */
export interface KeepScheduleOptions {
  /**
   * Found missing while the worker runs, the schedule was lost with Redis's data, and with it any job
   * in flight: written back, its tick runs at once (for the sweeps that find lost work), instead of
   * at its next cron boundary.
   */
  runAtOnceIfLost?: boolean;
}

/**
 * Keeps one repeating job on a cron schedule. The schedule lives in Redis under the job's name, so
 * every worker process shares it, and it has one owner: the setting.
 * - a cron pattern: the schedule is created, or changed when its pattern differs; a worker booting
 *   with the pattern already in place leaves it alone (its next job is not rewritten);
 * - null (the setting empty): this process does not manage the schedule — it neither creates nor
 *   removes it, so a worker started without the setting cannot delete everyone's schedule;
 * - `off`: the schedule is removed.
 */
export async function keepJobSchedule(
  queue: Queue,
  name: JobName,
  cron: string | null,
  { runAtOnceIfLost = false }: KeepScheduleOptions = {},
): Promise<void> {
  if (cron === null) return;
  if (cron === SCHEDULE_OFF) {
    await queue.removeJobScheduler(name);
    return;
  }
  const existing = await queue.getJobScheduler(name);
  if (existing && existing.pattern === cron && existing.tz === 'UTC') return;
  await queue.upsertJobScheduler(
    name,
    { pattern: cron, tz: 'UTC', ...(runAtOnceIfLost && !existing ? { immediately: true } : {}) },
    { name, data: {} },
  );
}

/** How often a worker checks that its schedules still exist (one read per schedule when they do). */
export const SCHEDULE_CHECK_INTERVAL_MS = 60_000;

/**
 * Schedules live only in Redis: a Redis restarted without its data loses them all, and nothing
 * would create them again until a worker restarts (found by the chaos harness). A worker re-applies
 * its schedules every interval and whenever its connection to `queue`'s Redis is ready again (a
 * restart is seen at once); keepJobSchedule writes only what is missing or changed. Returns the
 * function that stops it (call it when the worker shuts down).
 */
export function keepJobSchedulesAlive(
  queue: Queue,
  apply: () => Promise<void>,
  onError: (error: unknown) => void = () => undefined,
  intervalMs = SCHEDULE_CHECK_INTERVAL_MS,
): () => void {
  const check = () => {
    apply().catch(onError);
  };
  const timer = setInterval(check, intervalMs);
  timer.unref();
  let stopped = false;
  let client: Awaited<Queue['client']> | undefined;
  queue.client.then(
    (ready) => {
      if (stopped) return;
      client = ready;
      client.on('ready', check);
    },
    (error: unknown) => onError(error),
  );
  return () => {
    stopped = true;
    clearInterval(timer);
    client?.removeListener('ready', check);
  };
}

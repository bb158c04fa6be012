import type { Job } from 'bullmq';
import { isJobName, JOB_NAMES, JobName, QUEUE_OF_JOB, QueueName } from './job-registry';

/** One handler found at startup: `owner` names it in errors (e.g. `BillingJobs.retryRefund`). */
export interface JobHandlerRegistration {
  name: string;
  owner: string;
  handle: (payload: unknown, job: Job) => Promise<unknown>;
}

/**
 * The map from job name to its one handler. Building it checks that every job name of the registry
 * has exactly one handler, so a job type added to JobPayloads without a handler stops the worker
 * process at startup instead of completing jobs that did nothing.
 */
export class JobHandlerTable {
  private constructor(private readonly handlers: ReadonlyMap<JobName, JobHandlerRegistration>) {}

  static build(registrations: readonly JobHandlerRegistration[]): JobHandlerTable {
    const byName = new Map<string, JobHandlerRegistration[]>();
    for (const registration of registrations) {
      byName.set(registration.name, [...(byName.get(registration.name) ?? []), registration]);
    }
    const problems: string[] = [];
    for (const [name, found] of byName) {
      if (!isJobName(name))
        problems.push(`${found.map((r) => r.owner).join(', ')} handles unknown job "${name}"`);
      else if (found.length > 1)
        problems.push(`job "${name}" has ${found.length} handlers: ${found.map((r) => r.owner).join(', ')}`);
    }
    for (const name of JOB_NAMES) {
      if (!byName.has(name))
        problems.push(`job "${name}" has no handler (declare one with @JobHandler('${name}'))`);
    }
    if (problems.length > 0) throw new Error(`Job handlers are not one per job name: ${problems.join('; ')}`);
    const handlers = new Map<JobName, JobHandlerRegistration>();
    for (const registration of registrations) handlers.set(registration.name as JobName, registration);
    return new JobHandlerTable(handlers);
  }

  /**
   * Runs the job's handler. A job this table cannot handle fails (and is retried, then kept as
   * failed): a newer deployment may have enqueued it, and completing it would silently drop it.
   */
  async handle(queue: QueueName, job: Job): Promise<unknown> {
    const handler = isJobName(job.name) ? this.handlers.get(job.name) : undefined;
    if (!handler) throw new Error(`no handler for job "${job.name}" (id ${job.id ?? '?'}) on queue ${queue}`);
    const expectedQueue = QUEUE_OF_JOB[handler.name as JobName];
    if (expectedQueue !== queue) {
      throw new Error(
        `job "${job.name}" (id ${job.id ?? '?'}) belongs on queue ${expectedQueue}, not ${queue}`,
      );
    }
    return handler.handle(job.data, job);
  }
}

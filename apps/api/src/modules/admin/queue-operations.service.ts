import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import { DataSource } from 'typeorm';
import type { Page, QueueCountsView, QueueJobState, QueueJobView } from '@astrix/contracts';
import { AuditService } from '../../platform/audit/audit.service';
import type { RequestContext } from '../../platform/auth/actor';
import { ConflictError, NotFoundError } from '../../platform/http/app-error';
import { JobQueue } from '../../platform/queues/job-queue.service';
import { QUEUE_NAMES, QueueName } from '../../platform/queues/job-registry';

const COUNTED_STATES = ['failed', 'waiting', 'delayed', 'active', 'completed', 'paused'] as const;

export function queueNameOf(value: string): QueueName {
  if (!(QUEUE_NAMES as readonly string[]).includes(value)) {
    throw new NotFoundError('queue', `${value.slice(0, 32)} (one of ${QUEUE_NAMES.join(', ')})`);
  }
  return value as QueueName;
}

function toJobView(queue: QueueName, job: Job, state: string): QueueJobView {
  return {
    id: String(job.id),
    queue,
    name: job.name,
    state,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason || null,
    data: job.data as unknown,
    createdAt: new Date(job.timestamp).toISOString(),
    finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
  };
}

/** Staff view of the BullMQ queues: counts, jobs by state, and retrying or discarding failed ones. */
@Injectable()
export class QueueOperations {
  constructor(
    private readonly jobs: JobQueue,
    private readonly audit: AuditService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async counts(): Promise<QueueCountsView[]> {
    return Promise.all(
      QUEUE_NAMES.map(async (name) => {
        const counts = await this.jobs.queue(name).getJobCounts(...COUNTED_STATES);
        return {
          name,
          counts: Object.fromEntries(
            COUNTED_STATES.map((state) => [state, counts[state] ?? 0]),
          ) as QueueCountsView['counts'],
        };
      }),
    );
  }

  /** Newest first; the cursor is the offset of the next page. */
  async list(
    queueName: QueueName,
    state: QueueJobState,
    page: { limit: number; cursor?: string },
  ): Promise<Page<QueueJobView>> {
    const start = page.cursor ? Number(page.cursor) : 0;
    const jobs = await this.jobs.queue(queueName).getJobs([state], start, start + page.limit, false);
    const hasMore = jobs.length > page.limit;
    return {
      data: jobs.slice(0, page.limit).map((job) => toJobView(queueName, job, state)),
      nextCursor: hasMore ? String(start + page.limit) : null,
    };
  }

  async retry(queueName: QueueName, jobId: string, context: RequestContext): Promise<QueueJobView> {
    const job = await this.failedJob(queueName, jobId);
    await job.retry('failed');
    await this.record(context, 'job.retried', queueName, job);
    return toJobView(queueName, job, await job.getState());
  }

  async discard(queueName: QueueName, jobId: string, context: RequestContext): Promise<QueueJobView> {
    const job = await this.failedJob(queueName, jobId);
    const view = toJobView(queueName, job, 'discarded');
    await job.remove();
    await this.record(context, 'job.discarded', queueName, job);
    return view;
  }

  private async failedJob(queueName: QueueName, jobId: string): Promise<Job> {
    const job = (await this.jobs.queue(queueName).getJob(jobId)) as Job | undefined;
    if (!job) throw new NotFoundError(`job in queue ${queueName}`, jobId.slice(0, 200));
    const state = await job.getState();
    if (state !== 'failed') {
      throw new ConflictError(`job ${jobId} is ${state}: only failed jobs can be retried or discarded`);
    }
    return job;
  }

  private async record(
    context: RequestContext,
    action: string,
    queueName: QueueName,
    job: Job,
  ): Promise<void> {
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, context, {
        action,
        resourceType: 'job',
        resourceId: `${queueName}:${String(job.id)}`,
        after: {
          queue: queueName,
          name: job.name,
          attemptsMade: job.attemptsMade,
          failedReason: job.failedReason,
        },
      }),
    );
  }
}

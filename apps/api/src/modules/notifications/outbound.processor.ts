import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { JobPayloads } from '../../platform/queues/job-registry';
import { WebhookSender } from './webhook-sender.service';

/**
 * Worker of the `outbound` queue: one HTTP attempt per job. A failed attempt is recorded and
 * rescheduled by our own retry schedule, not by BullMQ; the job itself only fails (and is retried
 * by the queue) when recording is impossible (database down).
 */
@Processor('outbound', { concurrency: 16 })
export class OutboundProcessor extends WorkerHost {
  constructor(private readonly sender: WebhookSender) {
    super();
  }

  async process(job: Job<JobPayloads['outbound.deliver-webhook']>): Promise<void> {
    await this.sender.attempt(job.data.deliveryId, job.data.attempt);
  }
}

import { Injectable } from '@nestjs/common';
import { JobHandler } from '../../platform/queues/job-handler.decorator';
import type { JobPayloads } from '../../platform/queues/job-registry';
import { WebhookSender } from './webhook-sender.service';

/**
 * Handler of the `outbound` queue: one HTTP attempt per job. A failed attempt is recorded and
 * rescheduled by our own retry schedule, not by BullMQ; the job itself only fails (and is retried
 * by the queue) when recording is impossible (database down).
 */
@Injectable()
export class OutboundJobs {
  constructor(private readonly sender: WebhookSender) {}

  @JobHandler('outbound.deliver-webhook')
  async deliverWebhook({ deliveryId, attempt }: JobPayloads['outbound.deliver-webhook']): Promise<void> {
    await this.sender.attempt(deliveryId, attempt);
  }
}

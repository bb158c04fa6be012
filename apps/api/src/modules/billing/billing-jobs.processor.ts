import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { JobPayloads } from '../../platform/queues/job-registry';
import { RefundsService } from './refunds/refunds.service';
import { StripeWebhooksService } from './stripe-webhooks/stripe-webhooks.service';

type BillingJob =
  | Job<JobPayloads['billing.process-stripe-event'], unknown, 'billing.process-stripe-event'>
  | Job<JobPayloads['billing.retry-refund'], unknown, 'billing.retry-refund'>;

/** Worker of the `billing` queue. Failures retry with the queue's backoff and are kept when final. */
@Processor('billing', { concurrency: 8 })
export class BillingJobsProcessor extends WorkerHost {
  constructor(
    private readonly webhooks: StripeWebhooksService,
    private readonly refunds: RefundsService,
  ) {
    super();
  }

  async process(job: BillingJob): Promise<unknown> {
    switch (job.name) {
      case 'billing.process-stripe-event':
        return this.webhooks.process(job.data.stripeEventId);
      case 'billing.retry-refund':
        return this.refunds.retry(job.data.refundId);
    }
  }
}

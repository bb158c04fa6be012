import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { AppConfig } from '../../platform/config/app-config';
import type { JobPayloads } from '../../platform/queues/job-registry';
import { RefundsService } from './refunds/refunds.service';
import { StripeWebhooksService } from './stripe-webhooks/stripe-webhooks.service';
import { BillingRuns } from './subscriptions/billing-runs.service';
import { InvoiceCollection } from './collection/invoice-collection.service';
import { UsageAlertsService } from './metering/usage-alerts.service';

type BillingJob =
  | Job<JobPayloads['billing.process-stripe-event'], unknown, 'billing.process-stripe-event'>
  | Job<JobPayloads['billing.retry-refund'], unknown, 'billing.retry-refund'>
  | Job<JobPayloads['billing.run-billing'], unknown, 'billing.run-billing'>
  | Job<JobPayloads['billing.collect-invoice'], unknown, 'billing.collect-invoice'>
  | Job<JobPayloads['billing.scheduled-billing'], unknown, 'billing.scheduled-billing'>;

const SCHEDULER_ID = 'billing.scheduled-billing';

/** Worker of the `billing` queue. Failures retry with the queue's backoff and are kept when final. */
@Processor('billing', { concurrency: 8 })
export class BillingJobsProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly webhooks: StripeWebhooksService,
    private readonly refunds: RefundsService,
    private readonly runs: BillingRuns,
    private readonly collection: InvoiceCollection,
    private readonly usageAlerts: UsageAlertsService,
    private readonly config: AppConfig,
    @InjectQueue('billing') private readonly queue: Queue,
  ) {
    super();
  }

  /** The billing run's schedule lives in Redis, so several workers share one schedule. */
  async onApplicationBootstrap(): Promise<void> {
    const cron = this.config.billingRunCron;
    if (cron === null) {
      await this.queue.removeJobScheduler(SCHEDULER_ID);
      return;
    }
    await this.queue.upsertJobScheduler(
      SCHEDULER_ID,
      { pattern: cron, tz: 'UTC' },
      { name: 'billing.scheduled-billing', data: {} },
    );
  }

  async process(job: BillingJob): Promise<unknown> {
    switch (job.name) {
      case 'billing.process-stripe-event':
        return this.webhooks.process(job.data.stripeEventId);
      case 'billing.retry-refund':
        return this.refunds.retry(job.data.refundId);
      case 'billing.run-billing':
        return this.runs.execute(job.data.runId);
      case 'billing.collect-invoice':
        return this.collection.collect(job.data.invoiceId, job.data.attempt);
      case 'billing.scheduled-billing': {
        const run = await this.runs.startScheduled();
        const retried = await this.collection.collectDueRetries();
        const alertPairs = await this.usageAlerts.sweepPending();
        return { runId: run?.id ?? null, dunningRetries: retried, usageAlertPairsSwept: alertPairs };
      }
    }
  }
}

import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '../../platform/config/app-config';
import { JobHandler } from '../../platform/queues/job-handler.decorator';
import type { JobPayloads } from '../../platform/queues/job-registry';
import { keepJobSchedule, keepJobSchedulesAlive, SCHEDULE_OFF } from '../../platform/queues/job-schedule';
import { RefundsService } from './refunds/refunds.service';
import { StripeWebhooksService } from './stripe-webhooks/stripe-webhooks.service';
import { BillingRuns } from './subscriptions/billing-runs.service';
import { InvoiceCollection } from './collection/invoice-collection.service';
import { UncollectedInvoices } from './collection/uncollected-invoices';
import { UsageAlertsService } from './metering/usage-alerts.service';
import { RevenueRecognition } from './ledger/recognition/revenue-recognition.service';

/** The daily recognition run (UTC): after midnight, when yesterday has ended. */
const RECOGNITION_CRON = '20 0 * * *';

/**
 * Handlers of the `billing` queue's jobs (workers only). Failures retry with the queue's backoff
 * and are kept when final.
 */
@Injectable()
export class BillingJobs implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BillingJobs.name);
  private stopKeepingSchedules: () => void = () => undefined;

  constructor(
    private readonly webhooks: StripeWebhooksService,
    private readonly refunds: RefundsService,
    private readonly runs: BillingRuns,
    private readonly collection: InvoiceCollection,
    private readonly uncollected: UncollectedInvoices,
    private readonly usageAlerts: UsageAlertsService,
    private readonly recognition: RevenueRecognition,
    private readonly config: AppConfig,
    @InjectQueue('billing') private readonly queue: Queue,
  ) {}

  /** The billing run's schedule lives in Redis, so several workers share one schedule. */
  async onApplicationBootstrap(): Promise<void> {
    await this.keepSchedules(false);
    // Put back what a Redis restart without its data removed, while this worker runs; the billing
    // tick then runs at once, since its sweeps find the refund, dunning and collection jobs lost with it.
    this.stopKeepingSchedules = keepJobSchedulesAlive(
      this.queue,
      () => this.keepSchedules(true),
      (error) => this.logger.warn(`billing schedules not checked: ${String(error)}`),
    );
  }

  onModuleDestroy(): void {
    this.stopKeepingSchedules();
  }

  private async keepSchedules(runAtOnceIfLost: boolean): Promise<void> {
    await keepJobSchedule(this.queue, 'billing.scheduled-billing', this.config.billingRunCron, {
      runAtOnceIfLost,
    });
    // Daily, and off with the billing schedule (BILLING_RUN_CRON=off: then `pnpm cli recognize`);
    // a worker with the setting empty leaves both schedules as they are.
    const billing = this.config.billingRunCron;
    await keepJobSchedule(
      this.queue,
      'billing.recognize-revenue',
      billing === null || billing === SCHEDULE_OFF ? billing : RECOGNITION_CRON,
    );
  }

  /** Deferred revenue to revenue through yesterday (or the day asked), idempotent per schedule and day. */
  @JobHandler('billing.recognize-revenue')
  recognizeRevenue({ through }: JobPayloads['billing.recognize-revenue']): Promise<unknown> {
    return this.recognition.run(through);
  }

  @JobHandler('billing.process-stripe-event')
  processStripeEvent({ stripeEventId }: JobPayloads['billing.process-stripe-event']): Promise<unknown> {
    return this.webhooks.process(stripeEventId);
  }

  @JobHandler('billing.retry-refund')
  retryRefund({ refundId, attempt }: JobPayloads['billing.retry-refund']): Promise<unknown> {
    return this.refunds.retry(refundId, attempt ?? 1);
  }

  /** Settles refunds pending longer than REFUND_PENDING_BOUND_SECONDS by asking the processor. */
  @JobHandler('billing.settle-pending-refunds')
  settlePendingRefunds(): Promise<unknown> {
    return this.refunds.settleOverdue();
  }

  @JobHandler('billing.run-billing')
  runBilling({ runId }: JobPayloads['billing.run-billing']): Promise<unknown> {
    return this.runs.execute(runId);
  }

  @JobHandler('billing.collect-invoice')
  collectInvoice({ invoiceId, attempt }: JobPayloads['billing.collect-invoice']): Promise<unknown> {
    return this.collection.collect(invoiceId, attempt);
  }

  /**
   * The scheduler's tick: starts a billing run, retries the dunning attempts that are due and enqueues
   * the first attempt of open invoices whose collection was lost.
   */
  @JobHandler('billing.scheduled-billing')
  async scheduledBilling(): Promise<unknown> {
    const run = await this.runs.startScheduled();
    const retried = await this.collection.collectDueRetries();
    const uncollected = await this.uncollected.sweep();
    const pendingRefunds = await this.refunds.settleOverdue();
    const alertPairs = await this.usageAlerts.sweepPending();
    return {
      runId: run?.id ?? null,
      dunningRetries: retried,
      uncollectedInvoices: uncollected,
      pendingRefunds,
      usageAlertPairsSwept: alertPairs,
    };
  }
}

import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../../platform/config/app-config';
import { Clock } from '../../../platform/clock';
import { JobQueue } from '../../../platform/queues/job-queue.service';
import { PollingLoop } from '../../../platform/queues/polling-loop';
import { WORKER_ROLE } from '../../../platform/queues/worker-role';

/** A stored event gets this long to be processed before its job counts as lost. */
export const STRIPE_EVENT_GRACE_MS = 60_000;
const BATCH_SIZE = 200;

/**
 * Enqueues again the processing of stored Stripe events whose job was lost. Intake stores the
 * event, then enqueues its job; a Redis that loses its data (a restart without persistence, a
 * failover) loses the job, and Stripe, having had its 200, never sends the event again: a payment
 * would stay unrecorded. Events still `received` or `failed` a minute after they arrived are
 * enqueued again under their own id: a job still alive (waiting, retrying, failed for staff) is not
 * doubled, and processing is idempotent. Runs in worker processes.
 */
@Injectable()
export class StripeEventRedelivery implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StripeEventRedelivery.name);
  private readonly loop: PollingLoop;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
    config: AppConfig,
    @Inject(WORKER_ROLE) private readonly workerRole: boolean,
  ) {
    this.loop = new PollingLoop(() => this.redeliverOnce(), {
      intervalMs: config.outboxPollIntervalMs * 40,
      fullBatch: Number.POSITIVE_INFINITY,
      onError: (error) => this.logger.error({ err: error }, 'stripe event redelivery failed; will retry'),
    });
  }

  onApplicationBootstrap(): void {
    if (this.workerRole) this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Enqueues the processing of unprocessed events again; returns how many. */
  async redeliverOnce(): Promise<number> {
    // However long ago: a day-long window left events stranded for good once a day had passed
    // (found when the sandbox clock moved days ahead). One whose job failed for good is still in
    // Redis under its id, so enqueuing it again does nothing; staff see it as failed.
    const rows = (await this.dataSource.query(
      `SELECT id FROM billing.stripe_webhook_events
        WHERE status IN ('received', 'failed') AND received_at <= $1
        ORDER BY received_at LIMIT ${BATCH_SIZE}`,
      [new Date(this.clock.now().getTime() - STRIPE_EVENT_GRACE_MS)],
    )) as Array<{ id: string }>;
    if (rows.length === 0) return 0;
    await this.jobs.enqueueMany(
      rows.map(({ id }) => ({
        name: 'billing.process-stripe-event' as const,
        payload: { stripeEventId: id },
        jobId: id,
      })),
    );
    return rows.length;
  }
}

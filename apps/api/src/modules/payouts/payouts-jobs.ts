import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '../../platform/config/app-config';
import { JobHandler } from '../../platform/queues/job-handler.decorator';
import type { JobPayloads } from '../../platform/queues/job-registry';
import { keepJobSchedule, keepJobSchedulesAlive } from '../../platform/queues/job-schedule';
import { PayoutExecution } from './payout-execution.service';
import { PayoutRecovery } from './payout-recovery.service';

/** Handler of the `payouts` queue: processor refusals settle the payout; anything else retries the job. */
@Injectable()
export class PayoutsJobs implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PayoutsJobs.name);
  private stopKeepingSchedules: () => void = () => undefined;

  constructor(
    private readonly execution: PayoutExecution,
    private readonly recovery: PayoutRecovery,
    private readonly config: AppConfig,
    @InjectQueue('payouts') private readonly queue: Queue,
  ) {}

  /** The stranded payout sweep ticks with the billing scheduler (BILLING_RUN_CRON), shared in Redis. */
  async onApplicationBootstrap(): Promise<void> {
    const keep = (runAtOnceIfLost: boolean) =>
      keepJobSchedule(this.queue, 'payouts.resume-stranded-payouts', this.config.billingRunCron, {
        runAtOnceIfLost,
      });
    await keep(false);
    // Put back what a Redis restart without its data removed, while this worker runs; the sweep
    // then runs at once, since the lost data may have held execute jobs.
    this.stopKeepingSchedules = keepJobSchedulesAlive(
      this.queue,
      () => keep(true),
      (error) => this.logger.warn(`payout sweep schedule not checked: ${String(error)}`),
    );
  }

  onModuleDestroy(): void {
    this.stopKeepingSchedules();
  }

  @JobHandler('payouts.execute-payout')
  executePayout({ payoutId, attempt }: JobPayloads['payouts.execute-payout']): Promise<unknown> {
    return this.execution.execute(payoutId, attempt);
  }

  /** Enqueues again the execute job of approved payouts left without a live one past the bound. */
  @JobHandler('payouts.resume-stranded-payouts')
  resumeStrandedPayouts(): Promise<unknown> {
    return this.recovery.resumeStranded();
  }
}

import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '../../../platform/config/app-config';
import { Clock } from '../../../platform/clock';
import { JobHandler } from '../../../platform/queues/job-handler.decorator';
import type { JobPayloads } from '../../../platform/queues/job-registry';
import { keepJobSchedule, keepJobSchedulesAlive } from '../../../platform/queues/job-schedule';
import { ReconciliationRunner } from './reconciliation-runner.service';
import { Reconciliations } from './reconciliations.service';

const SCHEDULER = { actor: { kind: 'system' as const, name: 'reconciliation-schedule' }, requestId: null };

/** Reconciliation's jobs on the `billing` queue (workers only), and its daily schedule. */
@Injectable()
export class ReconciliationJobs implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReconciliationJobs.name);
  private stopKeepingSchedule: () => void = () => undefined;

  constructor(
    private readonly runner: ReconciliationRunner,
    private readonly reconciliations: Reconciliations,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    @InjectQueue('billing') private readonly queue: Queue,
  ) {}

  /** The schedule lives in Redis, so several workers share one (RECONCILIATION_CRON, UTC). */
  async onApplicationBootstrap(): Promise<void> {
    const keep = () =>
      keepJobSchedule(this.queue, 'billing.scheduled-reconciliation', this.config.reconciliationCron);
    await keep();
    // Put back what a Redis restart without its data removed, while this worker runs.
    this.stopKeepingSchedule = keepJobSchedulesAlive(this.queue, keep, (error) =>
      this.logger.warn(`reconciliation schedule not checked: ${String(error)}`),
    );
  }

  onModuleDestroy(): void {
    this.stopKeepingSchedule();
  }

  @JobHandler('billing.reconcile-day')
  async reconcileDay({ runId }: JobPayloads['billing.reconcile-day']): Promise<unknown> {
    const run = await this.runner.execute(runId);
    return { runId: run.id, status: run.status, counts: run.counts };
  }

  /** Yesterday (UTC): the day is over, its balance transactions are all there. */
  @JobHandler('billing.scheduled-reconciliation')
  async scheduled(): Promise<unknown> {
    const yesterday = new Date(this.clock.now().getTime() - 86_400_000).toISOString().slice(0, 10);
    const { run, start } = await this.reconciliations.start(yesterday, SCHEDULER);
    if (start === 'already_running') return { runId: run.id, start };
    const done = await this.runner.execute(run.id);
    return { runId: done.id, start, counts: done.counts };
  }
}

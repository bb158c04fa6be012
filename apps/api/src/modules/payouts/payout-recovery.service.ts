import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan } from 'typeorm';
import { Clock } from '../../platform/clock';
import { JobQueue } from '../../platform/queues/job-queue.service';
import { Payout } from './payout.entity';

/**
 * How long an approved payout may wait for its execute job before the sweep enqueues it again: well
 * past the outbox relay's and the retry's enqueue after commit.
 */
export const STRANDED_AFTER_MS = 10 * 60_000;
/** Payouts the sweep looks at per run; the next run takes the rest. */
const SWEEP_BATCH = 200;
/** Job states in which the payout's execute job will still run. */
const LIVE_JOB_STATES = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);

export interface StrandedPayoutSweep {
  /** Approved payouts older than the bound. */
  checked: number;
  /** Of those, whose execute job was missing or finished: enqueued again. */
  resumed: number;
}

/** The deterministic id of a payout attempt's execute job (approval, retry and this sweep agree). */
export function executeJobId(payoutId: string, attempt: number): string {
  return `${payoutId}-attempt-${attempt}`;
}

/**
 * Approved payouts are executed by a job enqueued after the approval (or finance's retry) commits.
 * If Redis loses that write, this sweep (on the scheduler's tick) enqueues the attempt's job again
 * under its deterministic id; the transfer's idempotency key (per attempt) means a job that runs
 * twice still transfers once.
 */
@Injectable()
export class PayoutRecovery {
  private readonly logger = new Logger(PayoutRecovery.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
  ) {}

  async resumeStranded(): Promise<StrandedPayoutSweep> {
    const cutoff = new Date(this.clock.now().getTime() - STRANDED_AFTER_MS);
    const stranded = await this.dataSource.getRepository(Payout).find({
      where: { status: 'approved', updatedAt: LessThan(cutoff) },
      order: { updatedAt: 'ASC', id: 'ASC' },
      take: SWEEP_BATCH,
    });
    const result: StrandedPayoutSweep = { checked: stranded.length, resumed: 0 };
    const queue = this.jobs.queue('payouts');
    for (const payout of stranded) {
      const jobId = executeJobId(payout.id, payout.attempt);
      const job = await queue.getJob(jobId);
      if (job && LIVE_JOB_STATES.has(await job.getState())) continue;
      // Requeue replaces a finished job of that id; an add racing this one is the same job.
      await this.jobs.requeue({
        name: 'payouts.execute-payout',
        payload: { payoutId: payout.id, attempt: payout.attempt },
        jobId,
      });
      result.resumed += 1;
      this.logger.warn(`payout ${payout.id}: approved without a live execute job; enqueued ${jobId} again`);
    }
    return result;
  }
}

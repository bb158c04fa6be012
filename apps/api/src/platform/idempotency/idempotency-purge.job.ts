import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { JobHandler } from '../queues/job-handler.decorator';
import { keepJobSchedulesAlive } from '../queues/job-schedule';
import { IdempotencyStore } from './idempotency.store';

const PURGE_JOB = 'maintenance.purge-idempotency-records';

/** Hourly purge of expired idempotency records (kept at least IDEMPOTENCY_TTL_HOURS). */
@Injectable()
export class IdempotencyPurgeJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(IdempotencyPurgeJob.name);
  private stopKeepingSchedule: () => void = () => undefined;

  constructor(
    private readonly store: IdempotencyStore,
    @InjectQueue('maintenance') private readonly queue: Queue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // A job scheduler is idempotent by id: every worker process may upsert it.
    const keep = async () => {
      if (await this.queue.getJobScheduler(PURGE_JOB)) return;
      await this.queue.upsertJobScheduler(PURGE_JOB, { every: 3600_000 }, { name: PURGE_JOB, data: {} });
    };
    await this.queue.upsertJobScheduler(PURGE_JOB, { every: 3600_000 }, { name: PURGE_JOB, data: {} });
    // Put back what a Redis restart without its data removed, while this worker runs.
    this.stopKeepingSchedule = keepJobSchedulesAlive(this.queue, keep, (error) =>
      this.logger.warn(`purge schedule not checked: ${String(error)}`),
    );
  }

  onModuleDestroy(): void {
    this.stopKeepingSchedule();
  }

  @JobHandler(PURGE_JOB)
  async purge(): Promise<number> {
    const purged = await this.store.purgeExpired();
    this.logger.log(`purged ${purged} expired idempotency records`);
    return purged;
  }
}

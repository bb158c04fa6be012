import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { IdempotencyStore } from './idempotency.store';

const PURGE_JOB = 'maintenance.purge-idempotency-records';

/** Hourly purge of expired idempotency records (kept at least IDEMPOTENCY_TTL_HOURS). */
@Injectable()
@Processor('maintenance')
export class IdempotencyPurgeProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(IdempotencyPurgeProcessor.name);

  constructor(
    private readonly store: IdempotencyStore,
    @InjectQueue('maintenance') private readonly queue: Queue,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    // A job scheduler is idempotent by id: every worker process may upsert it.
    await this.queue.upsertJobScheduler(PURGE_JOB, { every: 3600_000 }, { name: PURGE_JOB, data: {} });
  }

  async process(job: Job): Promise<number> {
    if (job.name !== PURGE_JOB) throw new Error(`unknown maintenance job ${job.name}`);
    const purged = await this.store.purgeExpired();
    this.logger.log(`purged ${purged} expired idempotency records`);
    return purged;
  }
}

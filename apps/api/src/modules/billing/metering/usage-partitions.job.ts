import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { JobHandler } from '../../../platform/queues/job-handler.decorator';
import { keepJobSchedulesAlive } from '../../../platform/queues/job-schedule';
import { UsagePartitions } from './usage-partitions.service';

const PARTITIONS_JOB = 'maintenance.usage-partitions';
/** Every six hours: a missed run or two still leaves months of partitions ahead. */
const EVERY_MS = 6 * 3600_000;

/**
 * Keeps the usage events' month partitions USAGE_PARTITION_MONTHS_AHEAD ahead (workers only). DDL
 * runs here, never on the ingest path; an event whose month has no partition lands in DEFAULT, and
 * this job moves it into the month's partition when it creates it.
 */
@Injectable()
export class UsagePartitionsJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(UsagePartitionsJob.name);
  private stopKeepingSchedule: () => void = () => undefined;

  constructor(
    private readonly partitions: UsagePartitions,
    @InjectQueue('maintenance') private readonly queue: Queue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // A job scheduler is idempotent by id: every worker process may upsert the same one.
    const keep = async () => {
      if (await this.queue.getJobScheduler(PARTITIONS_JOB)) return;
      await this.queue.upsertJobScheduler(
        PARTITIONS_JOB,
        { every: EVERY_MS },
        { name: PARTITIONS_JOB, data: {} },
      );
    };
    await keep();
    // Put back what a Redis restart without its data removed, while this worker runs.
    this.stopKeepingSchedule = keepJobSchedulesAlive(this.queue, keep, (error) =>
      this.logger.warn(`usage partitions schedule not checked: ${String(error)}`),
    );
  }

  onModuleDestroy(): void {
    this.stopKeepingSchedule();
  }

  @JobHandler(PARTITIONS_JOB)
  async ensure(): Promise<{ created: number; through: string }> {
    const result = await this.partitions.ensureAhead();
    if (result.created > 0)
      this.logger.log(`created ${result.created} usage partitions through ${result.through}`);
    return result;
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { Clock } from '../clock';
import { QUEUE_NAMES } from '../queues/job-registry';
import { JobQueue } from '../queues/job-queue.service';
import { MetricsRegistry } from './metrics-registry';

/** Queue states reported: the ones that make a backlog (completed jobs are kept only for a while). */
export const QUEUE_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'failed',
] as const;

/** When a job became ready to run: added, plus the delay it was added with. */
export function readySince(job: Pick<Job, 'timestamp' | 'delay'>): number {
  return job.timestamp + (job.delay ?? 0);
}

/**
 * The platform's gauges, read on scrape: BullMQ queues (jobs by state, age of the oldest waiting
 * job), the outbox (unpublished events, age of the oldest) and the database pool. Each scrape costs
 * two Redis calls per queue and one query on the outbox's partial index.
 */
@Injectable()
export class PlatformMetrics {
  constructor(
    metrics: MetricsRegistry,
    jobs: JobQueue,
    @InjectDataSource() dataSource: DataSource,
    clock: Clock,
  ) {
    metrics.gaugeOnScrape(
      {
        name: 'astrix_queue_jobs',
        help: 'Jobs in each BullMQ queue by state.',
        labelNames: ['queue', 'state'],
      },
      async (gauge) => {
        const counts = await Promise.all(
          QUEUE_NAMES.map((queue) => jobs.queue(queue).getJobCounts(...QUEUE_STATES)),
        );
        QUEUE_NAMES.forEach((queue, index) => {
          for (const state of QUEUE_STATES) gauge.set({ queue, state }, counts[index][state] ?? 0);
        });
      },
    );
    metrics.gaugeOnScrape(
      {
        name: 'astrix_queue_oldest_waiting_job_age_seconds',
        help: 'Seconds since the oldest waiting job of each queue became ready to run (0 when none waits).',
        labelNames: ['queue'],
      },
      async (gauge) => {
        // asc: the oldest end of the wait list; one job only.
        const oldest = await Promise.all(
          QUEUE_NAMES.map((queue) => jobs.queue(queue).getJobs(['wait'], 0, 0, true)),
        );
        // BullMQ stamps jobs with the system time, not the Clock.
        const now = Date.now();
        QUEUE_NAMES.forEach((queue, index) => {
          const job = oldest[index][0] as Job | undefined;
          gauge.set({ queue }, job ? Math.max(0, now - readySince(job)) / 1000 : 0);
        });
      },
    );

    const outbox = metrics.sharedRead(async () => {
      const [row] = (await dataSource.query(
        `SELECT count(*)::int AS backlog, min(occurred_at) AS oldest
           FROM platform.outbox_events WHERE published_at IS NULL`,
      )) as Array<{ backlog: number; oldest: Date | null }>;
      return row;
    });
    metrics.gaugeOnScrape(
      { name: 'astrix_outbox_backlog_events', help: 'Committed outbox events not yet relayed to the queue.' },
      async (gauge) => gauge.set((await outbox()).backlog),
    );
    metrics.gaugeOnScrape(
      {
        name: 'astrix_outbox_lag_seconds',
        help: 'Age of the oldest unrelayed outbox event (0 when none is waiting).',
      },
      async (gauge) => {
        const { oldest } = await outbox();
        gauge.set(oldest ? Math.max(0, clock.now().getTime() - new Date(oldest).getTime()) / 1000 : 0);
      },
    );

    const pool = (): Pool => (dataSource.driver as PostgresDriver).master as Pool;
    metrics.gaugeOnScrape(
      {
        name: 'astrix_db_pool_connections',
        help: 'Database pool connections: total open, idle, and requests waiting for one.',
        labelNames: ['state'],
      },
      (gauge) => {
        const current = pool();
        gauge.set({ state: 'total' }, current.totalCount);
        gauge.set({ state: 'idle' }, current.idleCount);
        gauge.set({ state: 'waiting' }, current.waitingCount);
        return Promise.resolve();
      },
    );
  }
}

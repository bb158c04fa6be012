import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, IsNull } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { Clock } from '../clock';
import { JobQueue } from '../queues/job-queue.service';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { OpenSpan, SpanKind, startSpanFrom } from '../tracing/tracing';
import { OutboxEvent } from './outbox-event.entity';
import { PollingLoop } from '../queues/polling-loop';
import { WORKER_ROLE } from '../queues/worker-role';
import { CommitListener, OUTBOX_CHANNEL } from '../database/commit-listener';

const BATCH_SIZE = 200;
/** The poll is only the fallback (a lost notification): commits wake the relay at once. */
export const FALLBACK_POLL_FACTOR = 8;
/** Woken rounds start at least this far apart: a burst of commits is published in a few batches. */
export const WAKE_GAP_MS = 10;

/**
 * Publishes committed outbox events to the `events` queue, in batches, woken by the commit that
 * wrote them (LISTEN/NOTIFY, CommitListener) and polling every FALLBACK_POLL_FACTOR × the poll
 * interval in case a notification was lost. Rows are marked published only after
 * the queue accepted them, so a crash in between publishes again (at-least-once); the job id is
 * the event id and consumers keep an inbox, so a repeat has no effect.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly loop: PollingLoop;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    config: AppConfig,
    private readonly clock: Clock,
    @Inject(WORKER_ROLE) private readonly workerRole: boolean,
    private readonly metrics: MetricsRegistry,
    private readonly listener: CommitListener,
  ) {
    // relayOnce logs its own failures.
    this.loop = new PollingLoop(() => this.relayOnce(), {
      intervalMs: config.outboxPollIntervalMs * FALLBACK_POLL_FACTOR,
      minGapMs: WAKE_GAP_MS,
      fullBatch: BATCH_SIZE,
      onError: () => undefined,
    });
  }

  onApplicationBootstrap(): void {
    // Only processes running workers poll; the CLI and worker-less API processes relay nothing.
    if (!this.workerRole) return;
    this.loop.start();
    this.listener.on(OUTBOX_CHANNEL, () => this.loop.wake());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Publishes one batch of unpublished events; returns how many went out. */
  async relayOnce(limit = BATCH_SIZE): Promise<number> {
    // One span per traced event, in the trace of the request or job that wrote it, ended after commit.
    let spans: OpenSpan[] = [];
    try {
      const relayed = await this.dataSource.transaction(async (manager) => {
        const pending = await manager
          .createQueryBuilder(OutboxEvent, 'event')
          .where('event.published_at IS NULL')
          .orderBy('event.position', 'ASC')
          .limit(limit)
          .setLock('pessimistic_write')
          .setOnLocked('skip_locked')
          .getMany();
        if (pending.length === 0) return [];
        spans = pending.map((row) =>
          startSpanFrom(row.traceparent, `outbox.relay ${row.type}`, {
            kind: SpanKind.PRODUCER,
            attributes: { 'astrix.event.id': row.eventId },
          }),
        );
        await this.jobs.enqueueMany(
          pending.map((row, index) => ({
            name: 'events.deliver' as const,
            payload: row.envelope,
            jobId: row.eventId,
            traceparent: spans[index].traceparent,
          })),
        );
        await manager.update(
          OutboxEvent,
          { position: In(pending.map((row) => row.position)) },
          { publishedAt: this.clock.now(), publishAttempts: () => 'publish_attempts + 1', lastError: null },
        );
        return pending.map((row) => row.type);
      });
      // After commit: each counted event was handed to the queue and marked published.
      for (const type of relayed) this.metrics.eventsRelayed.inc({ type });
      for (const span of spans) span.end();
      return relayed.length;
    } catch (error) {
      for (const span of spans) span.end(error);
      this.logger.error({ err: error }, 'outbox relay failed; will retry');
      throw error;
    }
  }

  /** Relays until nothing is left (tests, CLI, shutdown). */
  async drain(): Promise<number> {
    let total = 0;
    for (let published = await this.relayOnce(); published > 0; published = await this.relayOnce())
      total += published;
    return total;
  }

  /** Unpublished events waiting in the outbox: the backlog operations watch. */
  async backlog(): Promise<number> {
    return this.dataSource.getRepository(OutboxEvent).count({ where: { publishedAt: IsNull() } });
  }
}

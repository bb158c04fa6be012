import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import type { AstrixEvent } from '@astrix/contracts';
import { AppConfig } from '../config/app-config';
import { Clock } from '../clock';
import { JobQueue } from '../queues/job-queue.service';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { OpenSpan, SpanKind, startSpanFrom } from '../tracing/tracing';
import { OutboxEvent } from './outbox-event.entity';
import { PollingLoop } from '../queues/polling-loop';
import { WORKER_ROLE } from '../queues/worker-role';
import { CommitListener, OUTBOX_CHANNEL } from '../database/commit-listener';
import { EventDispatcher } from './event-dispatcher.service';

/**
 * Work done in the relay's transaction for every batch it publishes (the event history and its
 * webhook deliveries): set-based, atomic with marking the events published, so it happens exactly
 * once per event with no queue hop and no per-event transaction.
 */
export type RelayRecorder = (manager: EntityManager, events: readonly RelayedEvent[]) => Promise<void>;

/** An outbox event as the relay publishes it, in outbox order. */
export interface RelayedEvent {
  position: number;
  eventId: string;
  type: string;
  envelope: AstrixEvent;
  traceparent: string | null;
}

interface PickedRow {
  position: string;
  event_id: string;
  type: string;
  envelope: AstrixEvent;
  traceparent: string | null;
}

const BATCH_SIZE = 200;
/** The poll is only the fallback (a lost notification): commits wake the relay at once. */
export const FALLBACK_POLL_FACTOR = 8;
/** Woken rounds start at least this far apart: a burst of commits is published in a few batches. */
export const WAKE_GAP_MS = 10;

/**
 * Publishes committed outbox events to the `events` queue (the events some consumer acts on), in
 * batches, running the registered recorders (event history, webhook deliveries) in the same
 * transaction, woken by the commit that wrote them (LISTEN/NOTIFY, CommitListener) and polling
 * every FALLBACK_POLL_FACTOR × the poll interval in case a notification was lost. Rows are marked
 * published in that transaction, which commits only after the queue accepted their jobs, so a
 * crash in between publishes again (at-least-once); the job id is the event id and consumers keep
 * an inbox, so a repeat has no effect.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly loop: PollingLoop;
  private readonly recorders: RelayRecorder[] = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    config: AppConfig,
    private readonly clock: Clock,
    @Inject(WORKER_ROLE) private readonly workerRole: boolean,
    private readonly metrics: MetricsRegistry,
    private readonly listener: CommitListener,
    private readonly dispatcher: EventDispatcher,
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

  /** Adds work to every publishing transaction (module init; see RelayRecorder). */
  recordWith(recorder: RelayRecorder): void {
    this.recorders.push(recorder);
  }

  /** Publishes one batch of unpublished events; returns how many went out. */
  async relayOnce(limit = BATCH_SIZE): Promise<number> {
    // One span per traced event, in the trace of the request or job that wrote it, ended after commit.
    let spans: OpenSpan[] = [];
    try {
      const relayed = await this.dataSource.transaction(async (manager) => {
        // Picks and marks a batch in one statement (the rows stay locked until commit; a round that
        // fails before commit leaves them unpublished, and the queue's job ids make a repeat a no-op).
        const [picked] = (await manager.query(
          `UPDATE platform.outbox_events o
              SET published_at = $2, publish_attempts = o.publish_attempts + 1, last_error = NULL
            WHERE o.position IN (SELECT position FROM platform.outbox_events WHERE published_at IS NULL
                                  ORDER BY position LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING o.position::text AS position, o.event_id, o.type, o.envelope, o.traceparent`,
          [limit, this.clock.now()],
        )) as [PickedRow[], number];
        if (picked.length === 0) return [];
        const pending: RelayedEvent[] = picked
          .map((row) => ({
            position: Number(row.position),
            eventId: row.event_id,
            type: row.type,
            envelope: row.envelope,
            traceparent: row.traceparent,
          }))
          .sort((a, b) => a.position - b.position);
        spans = pending.map((row) =>
          startSpanFrom(row.traceparent, `outbox.relay ${row.type}`, {
            kind: SpanKind.PRODUCER,
            attributes: { 'astrix.event.id': row.eventId },
          }),
        );
        for (const recorder of this.recorders) await recorder(manager, pending);
        // Only events some consumer acts on need a job; the others are done once recorded.
        const wanted = pending.flatMap((row, index) =>
          this.dispatcher.wanted(row.envelope)
            ? [
                {
                  name: 'events.deliver' as const,
                  payload: row.envelope,
                  jobId: row.eventId,
                  traceparent: spans[index].traceparent,
                },
              ]
            : [],
        );
        // Before commit: a crash after this publishes the batch again, under the same job ids.
        if (wanted.length > 0) await this.jobs.enqueueMany(wanted);
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

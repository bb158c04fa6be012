import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type AstrixEvent, EVENT_TYPES, type EventType } from '@astrix/contracts';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { Clock } from '../clock';
import { JobQueue } from '../queues/job-queue.service';
import { PollingLoop } from '../queues/polling-loop';
import { WORKER_ROLE } from '../queues/worker-role';
import { EventDispatcher } from './event-dispatcher.service';

/** A published event gets this long to reach all its consumers before it counts as stranded. */
export const REDELIVERY_GRACE_MS = 60_000;
/** How far back, in outbox positions, a process starts looking when it boots. */
const LOOKBACK_EVENTS = 50_000;
const BATCH_SIZE = 500;
/**
 * Events enqueued again stay watched (enqueued again each round while unconsumed) this long, in
 * this process's elapsed time: the sandbox clock jumps days ahead, which dropped every watched
 * event at once, so a job lost again after a jump was never enqueued again.
 */
const WATCH_MS = 3600_000;
const elapsedMs = (): number => performance.now();
const WATCH_LIMIT = 500;

interface OutboxRow {
  position: string;
  event_id: string;
  type: EventType;
  envelope: AstrixEvent;
  published_at: Date | null;
  consumed: number;
}

/**
 * Publishes again the events whose job was lost. The relay marks an event published once the queue
 * accepted its job, so a Redis that loses its data afterwards (a restart without persistence, a
 * failover) loses the job and nothing else would ever deliver it. Every published event older than
 * the grace whose consumers have not all processed it (the inbox says so) is enqueued again under
 * its own id: a job still alive (waiting, retrying, failed for staff to look at) is not doubled,
 * and consumers are idempotent. Scans forward by outbox position; runs in worker processes.
 */
@Injectable()
export class OutboxRedelivery implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRedelivery.name);
  private readonly loop: PollingLoop;
  /** Every event up to this position was consumed or enqueued again; null until the first round. */
  private scannedTo: bigint | null = null;
  /** Stranded events enqueued again, by id, with when they were first found. */
  private readonly watched = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly dispatcher: EventDispatcher,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
    config: AppConfig,
    @Inject(WORKER_ROLE) private readonly workerRole: boolean,
  ) {
    this.loop = new PollingLoop(() => this.redeliverOnce(), {
      intervalMs: config.outboxPollIntervalMs * 40,
      fullBatch: BATCH_SIZE,
      onError: (error) => this.logger.error({ err: error }, 'outbox redelivery failed; will retry'),
    });
  }

  onApplicationBootstrap(): void {
    if (this.workerRole) this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** One batch: returns how many events it looked at (a full batch runs the next one at once). */
  async redeliverOnce(): Promise<number> {
    if (this.scannedTo === null) {
      const [{ last }] = (await this.dataSource.query(
        `SELECT coalesce(max(position), 0)::text AS last FROM platform.outbox_events`,
      )) as Array<{ last: string }>;
      const start = BigInt(last) - BigInt(LOOKBACK_EVENTS);
      this.scannedTo = start > 0n ? start : 0n;
    }
    const consumers = EVENT_TYPES.flatMap((type) => this.dispatcher.consumersOf(type));
    const rows = (await this.dataSource.query(
      `SELECT o.position::text AS position, o.event_id, o.type, o.envelope, o.published_at,
              (SELECT count(*) FROM platform.inbox_entries i
                WHERE i.consumer = ANY($2::text[]) AND i.event_id = o.event_id)::int AS consumed
         FROM platform.outbox_events o
        WHERE o.position > $1 OR o.event_id = ANY($3::text[])
        ORDER BY o.position
        LIMIT ${BATCH_SIZE + WATCH_LIMIT}`,
      [this.scannedTo.toString(), [...new Set(consumers)], [...this.watched.keys()]],
    )) as OutboxRow[];
    const now = this.clock.now().getTime();
    const stranded: OutboxRow[] = [];
    let looked = 0;
    let reachedYoung = false;
    for (const row of rows) {
      // Only the consumers that act on this event owe it an inbox row (their `accepts`).
      const unconsumed = row.consumed < this.dispatcher.consumersFor(row.envelope).length;
      const watchedSince = this.watched.get(row.event_id);
      if (watchedSince !== undefined) {
        // Enqueued again earlier: again while still not consumed (its job may have been lost twice).
        if (!unconsumed || elapsedMs() - watchedSince > WATCH_MS) this.watched.delete(row.event_id);
        else stranded.push(row);
        continue;
      }
      if (BigInt(row.position) <= this.scannedTo || reachedYoung || looked >= BATCH_SIZE) continue;
      // Not published yet (the relay's work) or too recent to judge: look again next round.
      if (row.published_at === null || now - row.published_at.getTime() < REDELIVERY_GRACE_MS) {
        reachedYoung = true;
        continue;
      }
      if (unconsumed) {
        stranded.push(row);
        if (this.watched.size < WATCH_LIMIT) this.watched.set(row.event_id, elapsedMs());
      }
      this.scannedTo = BigInt(row.position);
      looked++;
    }
    if (stranded.length > 0) {
      await this.jobs.enqueueMany(
        stranded.map((row) => ({
          name: 'events.deliver' as const,
          payload: row.envelope,
          jobId: row.event_id,
        })),
      );
      this.logger.warn(
        { events: stranded.map((row) => row.event_id) },
        `enqueued ${stranded.length} published event(s) again: their consumers had not processed them`,
      );
    }
    return looked;
  }
}

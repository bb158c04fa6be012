import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AstrixEvent } from '@astrix/contracts';
import { AppConfig } from '../../platform/config/app-config';
import { Clock } from '../../platform/clock';
import { JobQueue } from '../../platform/queues/job-queue.service';
import { RedisConnection } from '../../platform/queues/redis.provider';
import { PollingLoop } from '../../platform/queues/polling-loop';
import { WORKER_ROLE } from '../../platform/queues/worker-role';
import { streamChannel, StreamMessage } from './event-stream';

const BATCH_SIZE = 200;
/** A queued attempt not recorded after this long (its job was lost) is queued again. */
const REQUEUE_AFTER_MS = 10 * 60_000;
/** Transaction-scoped advisory lock held while assigning stream positions (works behind PgBouncer). */
const STREAM_LOCK_KEY = 0x0b7b_0001;

/**
 * Runs after commit, in worker processes, like the outbox relay:
 * - streams: gives new history rows their stream position under a transaction-scoped advisory
 *   lock (positions are assigned in commit order, never twice), then publishes them on Redis. Two
 *   relays may publish their batches interleaved: streams read the history after their cursor and
 *   take a message only as the signal, so order and completeness do not depend on pub/sub;
 * - deliveries: hands every due attempt (next_attempt_at ≤ Clock.now()) to the `outbound` queue,
 *   job id `<delivery>-<attempt>`, and marks it queued.
 */
@Injectable()
export class OutboundRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboundRelay.name);
  private readonly loop: PollingLoop;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    private readonly redis: RedisConnection,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    @Inject(WORKER_ROLE) private readonly workerRole: boolean,
  ) {
    this.loop = new PollingLoop(() => this.relayOnce(), {
      intervalMs: config.outboxPollIntervalMs,
      fullBatch: BATCH_SIZE,
      onError: (error) => this.logger.error({ err: error }, 'outbound relay failed; will retry'),
    });
  }

  onApplicationBootstrap(): void {
    if (this.workerRole) this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** One round of both duties; returns how many rows moved. */
  async relayOnce(): Promise<number> {
    return (await this.streamOnce()) + (await this.queueDueDeliveries());
  }

  async streamOnce(limit = BATCH_SIZE): Promise<number> {
    type Row = { stream_position: string; user_id: string | null; sequence: number; envelope: AstrixEvent };
    // Transaction-scoped: a session lock (pg_advisory_lock) behind PgBouncer in transaction mode
    // would stay held by a server connection this process no longer has.
    const rows = await this.dataSource.transaction(async (manager): Promise<Row[]> => {
      const [{ locked }] = (await manager.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [
        STREAM_LOCK_KEY,
      ])) as [{ locked: boolean }];
      if (!locked) return [];
      return (await manager.query(
        `WITH base AS (SELECT coalesce(max(stream_position), 0) AS top FROM platform.event_history),
              next AS (SELECT event_id, row_number() OVER (ORDER BY outbox_position) AS n
                         FROM platform.event_history WHERE stream_position IS NULL
                         ORDER BY outbox_position LIMIT $1),
              assigned AS (UPDATE platform.event_history h SET stream_position = base.top + next.n
                             FROM base, next WHERE h.event_id = next.event_id
                           RETURNING h.stream_position, h.user_id, h.sequence, h.envelope)
         SELECT * FROM assigned ORDER BY stream_position`,
        [limit],
      )) as Row[];
    });
    const channel = streamChannel(this.config.queuePrefix);
    for (const row of rows) {
      const message: StreamMessage = {
        streamPosition: Number(row.stream_position),
        userId: row.user_id,
        event: { ...row.envelope, sequence: row.sequence },
      };
      await this.redis.client.publish(channel, JSON.stringify(message));
    }
    return rows.length;
  }

  async queueDueDeliveries(limit = BATCH_SIZE): Promise<number> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (manager) => {
      const due: Array<{ id: string; attempts: number }> = await manager.query(
        `SELECT id, attempts FROM platform.webhook_deliveries
          WHERE status = 'pending' AND next_attempt_at <= $1 AND (queued_at IS NULL OR queued_at < $2)
          ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [now, new Date(now.getTime() - REQUEUE_AFTER_MS), limit],
      );
      if (due.length === 0) return 0;
      await this.jobs.enqueueMany(
        due.map((row) => ({
          name: 'outbound.deliver-webhook' as const,
          payload: { deliveryId: row.id, attempt: row.attempts + 1 },
          jobId: `${row.id}-${row.attempts + 1}`,
        })),
      );
      await manager.query(`UPDATE platform.webhook_deliveries SET queued_at = $1 WHERE id = ANY($2)`, [
        now,
        due.map((row) => row.id),
      ]);
      return due.length;
    });
  }

  /** Relays until nothing moves (tests, benchmarks). */
  async drain(): Promise<number> {
    let total = 0;
    for (let moved = await this.relayOnce(); moved > 0; moved = await this.relayOnce()) total += moved;
    return total;
  }
}

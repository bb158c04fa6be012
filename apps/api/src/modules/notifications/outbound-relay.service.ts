import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AstrixEvent } from '@astrix/contracts';
import { AppConfig } from '../../platform/config/app-config';
import { RedisConnection } from '../../platform/queues/redis.provider';
import { PollingLoop } from '../../platform/queues/polling-loop';
import { WORKER_ROLE } from '../../platform/queues/worker-role';
import { CommitListener, OUTBOUND_CHANNEL } from '../../platform/database/commit-listener';
import { FALLBACK_POLL_FACTOR, WAKE_GAP_MS } from '../../platform/events/outbox-relay.service';
import { streamChannel, StreamMessage } from './event-stream';
import { WebhookBatchSender } from './webhook-batch-sender';

const BATCH_SIZE = 200;
/** Deliveries sent per round (one transaction, one keep-alive connection per endpoint). */
const DELIVERY_BATCH_SIZE = 500;
/** Every committed history row wakes these loops: woken rounds start at least this far apart. */
const OUTBOUND_WAKE_GAP_MS = 2.5 * WAKE_GAP_MS;
/** Transaction-scoped advisory lock held while assigning stream positions (works behind PgBouncer). */
const STREAM_LOCK_KEY = 0x0b7b_0001;

/**
 * Runs after commit, in worker processes, like the outbox relay:
 * - streams: gives new history rows their stream position under a transaction-scoped advisory
 *   lock (positions are assigned in commit order, never twice), then publishes them on Redis. Two
 *   relays may publish their batches interleaved: streams read the history after their cursor and
 *   take a message only as the signal, so order and completeness do not depend on pub/sub;
 * - deliveries: sends every due attempt (next_attempt_at ≤ Clock.now()) in batches through
 *   WebhookBatchSender (one sender per endpoint at a time, in outbox order, keep-alive connections)
 *   and records the results in batches.
 * Each duty has its own loop, woken by commits of history rows and deliveries (LISTEN/NOTIFY,
 * CommitListener) and polling every FALLBACK_POLL_FACTOR × the poll interval as a fallback (and for
 * retries coming due).
 */
@Injectable()
export class OutboundRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboundRelay.name);
  private readonly streamLoop: PollingLoop;
  private readonly deliveryLoop: PollingLoop;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly redis: RedisConnection,
    private readonly config: AppConfig,
    @Inject(WORKER_ROLE) private readonly workerRole: boolean,
    private readonly listener: CommitListener,
    private readonly sender: WebhookBatchSender,
  ) {
    const intervalMs = config.outboxPollIntervalMs * FALLBACK_POLL_FACTOR;
    this.streamLoop = new PollingLoop(() => this.streamOnce(), {
      intervalMs,
      minGapMs: OUTBOUND_WAKE_GAP_MS,
      fullBatch: BATCH_SIZE,
      onError: (error) => this.logger.error({ err: error }, 'outbound stream relay failed; will retry'),
    });
    this.deliveryLoop = new PollingLoop(() => this.deliverDue(), {
      intervalMs,
      minGapMs: OUTBOUND_WAKE_GAP_MS,
      fullBatch: DELIVERY_BATCH_SIZE,
      onError: (error) => this.logger.error({ err: error }, 'outbound delivery relay failed; will retry'),
    });
  }

  onApplicationBootstrap(): void {
    if (!this.workerRole) return;
    this.streamLoop.start();
    this.deliveryLoop.start();
    this.listener.on(OUTBOUND_CHANNEL, () => {
      this.streamLoop.wake();
      this.deliveryLoop.wake();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.streamLoop.stop(), this.deliveryLoop.stop()]);
  }

  /** One round of both duties; returns how many rows moved. */
  async relayOnce(): Promise<number> {
    return (await this.streamOnce()) + (await this.deliverDue());
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
    if (rows.length === 0) return 0;
    const channel = streamChannel(this.config.queuePrefix);
    // One round trip for the batch (a pipeline), in stream order.
    const pipeline = this.redis.client.pipeline();
    for (const row of rows) {
      const message: StreamMessage = {
        streamPosition: Number(row.stream_position),
        userId: row.user_id,
        event: { ...row.envelope, sequence: row.sequence },
      };
      pipeline.publish(channel, JSON.stringify(message));
    }
    const failed = (await pipeline.exec())?.find(([error]) => error !== null);
    if (failed) throw failed[0];
    return rows.length;
  }

  /** Sends one batch of due deliveries and records the results; returns how many were attempted. */
  async deliverDue(limit = DELIVERY_BATCH_SIZE): Promise<number> {
    return this.sender.sendDue(limit);
  }

  /** Relays until nothing moves (tests, benchmarks). */
  async drain(): Promise<number> {
    let total = 0;
    for (let moved = await this.relayOnce(); moved > 0; moved = await this.relayOnce()) total += moved;
    return total;
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { OutboxBacklogView } from '@astrix/contracts';

const FAILING_SHOWN = 50;
const TYPES_SHOWN = 20;

/** How far the relay is behind: read from the partial index of unpublished rows only. */
@Injectable()
export class OutboxBacklog {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async describe(): Promise<OutboxBacklogView> {
    const [[summary], byType, failing] = (await Promise.all([
      this.dataSource.query(
        `SELECT count(*)::int AS unpublished, min(occurred_at) AS oldest
           FROM platform.outbox_events WHERE published_at IS NULL`,
      ),
      this.dataSource.query(
        `SELECT type, count(*)::int AS count FROM platform.outbox_events WHERE published_at IS NULL
          GROUP BY type ORDER BY count DESC, type LIMIT $1`,
        [TYPES_SHOWN],
      ),
      this.dataSource.query(
        `SELECT event_id, type, publish_attempts, last_error, occurred_at FROM platform.outbox_events
          WHERE published_at IS NULL AND publish_attempts > 0 ORDER BY position LIMIT $1`,
        [FAILING_SHOWN],
      ),
    ])) as [
      Array<{ unpublished: number; oldest: Date | null }>,
      Array<{ type: string; count: number }>,
      Array<{
        event_id: string;
        type: string;
        publish_attempts: number;
        last_error: string | null;
        occurred_at: Date;
      }>,
    ];
    return {
      unpublished: summary.unpublished,
      oldestUnpublishedAt: summary.oldest ? new Date(summary.oldest).toISOString() : null,
      byType,
      failing: failing.map((row) => ({
        eventId: row.event_id,
        type: row.type,
        attempts: row.publish_attempts,
        lastError: row.last_error,
        occurredAt: new Date(row.occurred_at).toISOString(),
      })),
    };
  }
}

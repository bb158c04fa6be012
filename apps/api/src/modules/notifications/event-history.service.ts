import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource } from 'typeorm';
import type { DeliveredEvent, EventType, Page } from '@astrix/contracts';
import { toPage } from '../../platform/http/pagination';
import { EventHistoryEntry } from './event-history.entity';
import { TRADER_VISIBLE_TYPES } from './event-audience';

export interface HistoryFilter {
  /** Who reads: a trader sees only trader-audience types (event-audience.ts), staff see all. */
  viewer: 'trader' | 'staff';
  limit: number;
  cursor?: string;
  type?: EventType;
  /** data.userId */
  userId?: string;
  /** data.userId or data.customerId */
  customerId?: string;
  from?: Date;
  to?: Date;
}

export const toDeliveredEvent = (row: EventHistoryEntry): DeliveredEvent =>
  ({ ...row.envelope, sequence: row.sequence }) as DeliveredEvent;

/** Reads the event history: newest first, cursor = the last event id of the previous page. */
@Injectable()
export class EventHistoryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(filter: HistoryFilter): Promise<Page<DeliveredEvent>> {
    const query = this.dataSource
      .getRepository(EventHistoryEntry)
      .createQueryBuilder('h')
      .orderBy('h.event_id', 'DESC')
      .take(filter.limit + 1);
    if (filter.viewer === 'trader')
      query.andWhere('h.type IN (:...visible)', { visible: TRADER_VISIBLE_TYPES });
    if (filter.userId !== undefined) query.andWhere('h.user_id = :userId', { userId: filter.userId });
    if (filter.customerId !== undefined)
      query.andWhere(
        new Brackets((where) =>
          where
            .where('h.user_id = :customer', { customer: filter.customerId })
            .orWhere('h.customer_id = :customer'),
        ),
      );
    if (filter.type) query.andWhere('h.type = :type', { type: filter.type });
    if (filter.from) query.andWhere('h.occurred_at >= :from', { from: filter.from });
    if (filter.to) query.andWhere('h.occurred_at < :to', { to: filter.to });
    if (filter.cursor) query.andWhere('h.event_id < :cursor', { cursor: filter.cursor });
    const rows = await query.getMany();
    return toPage(
      rows.map((row) => ({ id: row.eventId, row })),
      filter.limit,
      ({ row }) => toDeliveredEvent(row),
    );
  }

  /** Stream position of an event the user has seen (Last-Event-ID), or null when unknown. */
  async streamPositionOf(eventId: string, userId: string): Promise<number | null> {
    const row = await this.dataSource.getRepository(EventHistoryEntry).findOneBy({ eventId, userId });
    return row?.streamPosition ?? null;
  }

  /** The user's last streamed position (0 when none): where a new stream without Last-Event-ID starts. */
  async lastStreamPosition(userId: string): Promise<number> {
    const [row] = (await this.dataSource.query(
      'SELECT coalesce(max(stream_position), 0)::bigint AS position FROM platform.event_history WHERE user_id = $1',
      [userId],
    )) as Array<{ position: string }>;
    return Number(row?.position ?? 0);
  }

  /** The user's streamed events after a stream position, in stream order; trader-audience types only. */
  async streamedAfter(
    userId: string,
    position: number,
    limit = 1000,
  ): Promise<Array<{ position: number; event: DeliveredEvent }>> {
    const rows = await this.dataSource
      .getRepository(EventHistoryEntry)
      .createQueryBuilder('h')
      .where('h.user_id = :userId', { userId })
      .andWhere('h.type IN (:...visible)', { visible: TRADER_VISIBLE_TYPES })
      .andWhere('h.stream_position > :position', { position })
      .orderBy('h.stream_position', 'ASC')
      .take(limit)
      .getMany();
    return rows.map((row) => ({ position: row.streamPosition ?? 0, event: toDeliveredEvent(row) }));
  }
}

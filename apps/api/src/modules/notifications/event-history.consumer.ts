import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AstrixEvent, EVENT_TYPES } from '@astrix/contracts';
import { Clock } from '../../platform/clock';
import { EventDispatcher } from '../../platform/events/event-dispatcher.service';
import { newId } from '../../platform/ids';

export const OUTBOUND_CONSUMER = 'platform.outbound-events';

const stringField = (data: unknown, field: string): string | null => {
  const value = (data as Record<string, unknown> | null)?.[field];
  return typeof value === 'string' ? value : null;
};

/**
 * Consumes every event type (one registration per type, at module init): in the dispatcher's
 * transaction, with its inbox row, it records the event in the history with its sequence per
 * subject and creates one pending delivery per enabled endpoint subscribed to the type. Nothing is
 * enqueued here: the OutboundRelay picks pending deliveries and unstreamed history after commit.
 */
@Injectable()
export class EventHistoryConsumer implements OnModuleInit {
  constructor(
    private readonly dispatcher: EventDispatcher,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    for (const type of EVENT_TYPES)
      this.dispatcher.register(type, OUTBOUND_CONSUMER, (event, manager) => this.record(event, manager));
  }

  async record(event: AstrixEvent, manager: EntityManager): Promise<void> {
    const now = this.clock.now();
    // The sequence is the event's rank among its subject's events in outbox order: the same on
    // every retry and replica, whatever order the queue delivers them in.
    const inserted: Array<{ event_id: string }> = await manager.query(
      `INSERT INTO platform.event_history
         (event_id, outbox_position, type, subject, sequence, user_id, customer_id, envelope, occurred_at, recorded_at)
       SELECT o.event_id, o.position, o.type, o.subject,
              (SELECT count(*) FROM platform.outbox_events s WHERE s.subject = o.subject AND s.position <= o.position),
              $2, $3, o.envelope, o.occurred_at, $4
         FROM platform.outbox_events o WHERE o.event_id = $1
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [event.id, stringField(event.data, 'userId'), stringField(event.data, 'customerId'), now],
    );
    if (inserted.length === 0) return;
    const endpoints: Array<{ id: string }> = await manager.query(
      `SELECT id FROM platform.webhook_endpoints WHERE status = 'enabled' AND $1 = ANY(event_types)`,
      [event.type],
    );
    for (const endpoint of endpoints) {
      await manager.query(
        `INSERT INTO platform.webhook_deliveries (id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5) ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
        [newId('whd'), endpoint.id, event.id, event.type, now],
      );
    }
  }
}

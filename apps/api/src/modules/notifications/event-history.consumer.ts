import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { AstrixEvent } from '@astrix/contracts';
import { Clock } from '../../platform/clock';
import { OutboxRelay } from '../../platform/events/outbox-relay.service';
import { newId } from '../../platform/ids';

/** The inbox name the history consumer had while it ran as a queue consumer (rows from then). */
export const OUTBOUND_CONSUMER = 'platform.outbound-events';

/** A text field of the envelope's data, when it is a string. */
const dataField = (field: 'userId' | 'customerId') =>
  `CASE WHEN jsonb_typeof(o.envelope -> 'data' -> '${field}') = 'string' THEN o.envelope -> 'data' ->> '${field}' END`;

/**
 * Records every published event in the history with its sequence per subject and creates one
 * pending delivery per enabled endpoint subscribed to its type. It runs in the outbox relay's
 * transaction for each batch the relay publishes (two or three statements a batch, whatever its
 * size), so an event is recorded exactly once, atomically with being marked published, without a
 * queue job or a transaction of its own. Nothing is sent here: the OutboundRelay picks pending
 * deliveries and unstreamed history after commit (the inserts notify it).
 */
@Injectable()
export class EventHistoryConsumer implements OnModuleInit {
  constructor(
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.relay.recordWith((manager, events) =>
      this.recordMany(
        manager,
        events.map((event) => event.eventId),
      ),
    );
  }

  /** Records one event (its outbox row must be visible to `manager`). */
  async record(event: AstrixEvent, manager: EntityManager): Promise<void> {
    await this.recordMany(manager, [event.id]);
  }

  /** Records outbox events by id; ones already recorded are skipped (with their deliveries). */
  async recordMany(manager: EntityManager, eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    const now = this.clock.now();
    // The sequence is the event's rank among its subject's events in outbox order: the same on
    // every retry and replica, whatever order events are recorded in.
    // One statement: the history rows, and for each row recorded now the endpoints it goes to.
    const inserted: Array<{ event_id: string; type: string; endpoint_ids: string[] }> = await manager.query(
      `WITH inserted AS (
         INSERT INTO platform.event_history
           (event_id, outbox_position, type, subject, sequence, user_id, customer_id, envelope, occurred_at, recorded_at)
         SELECT o.event_id, o.position, o.type, o.subject,
                (SELECT count(*) FROM platform.outbox_events s WHERE s.subject = o.subject AND s.position <= o.position),
                ${dataField('userId')}, ${dataField('customerId')}, o.envelope, o.occurred_at, $2
           FROM platform.outbox_events o WHERE o.event_id = ANY($1::text[])
          ORDER BY o.position
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id, type)
       SELECT i.event_id, i.type,
              ARRAY(SELECT e.id FROM platform.webhook_endpoints e
                     WHERE e.status = 'enabled' AND i.type = ANY(e.event_types) ORDER BY e.id) AS endpoint_ids
         FROM inserted i`,
      [eventIds, now],
    );
    const deliveries = {
      ids: [] as string[],
      endpoints: [] as string[],
      events: [] as string[],
      types: [] as string[],
    };
    for (const event of inserted)
      for (const endpointId of event.endpoint_ids) {
        deliveries.ids.push(newId('whd'));
        deliveries.endpoints.push(endpointId);
        deliveries.events.push(event.event_id);
        deliveries.types.push(event.type);
      }
    if (deliveries.ids.length === 0) return;
    await manager.query(
      `INSERT INTO platform.webhook_deliveries (id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, created_at)
       SELECT d.id, d.endpoint_id, d.event_id, d.event_type, 'pending', 0, $5, $5
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS d(id, endpoint_id, event_id, event_type)
       ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
      [deliveries.ids, deliveries.endpoints, deliveries.events, deliveries.types, now],
    );
  }
}

import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AstrixEvent, EVENT_VERSIONS, EventDataByType, EventType } from '@astrix/contracts';
import { Clock } from '../clock';
import { newId } from '../ids';
import { OutboxEvent } from './outbox-event.entity';
import { currentTraceparent } from '../tracing/tracing';
import { documentColumn, type SqlStatement } from '../database/statements-together';
import { preparedQuery } from '../database/prepared-query';

export const EVENT_PRODUCER = 'astrix-billing';

export interface NewEvent<T extends EventType> {
  type: T;
  subject: string;
  data: EventDataByType[T];
  correlationId?: string | null;
}

function envelopeOf<T extends EventType>(event: NewEvent<T>, occurredAt: Date): AstrixEvent {
  return {
    id: newId('evt'),
    type: event.type,
    version: EVENT_VERSIONS[event.type],
    occurredAt: occurredAt.toISOString(),
    producer: EVENT_PRODUCER,
    subject: event.subject,
    data: event.data,
    correlationId: event.correlationId ?? null,
  } as AstrixEvent;
}

/**
 * Appends events to the outbox inside the caller's transaction: the state change and its event
 * commit or roll back together. Publishing happens later, in the relay, after commit.
 */
@Injectable()
export class OutboxService {
  constructor(private readonly clock: Clock) {}

  async append<T extends EventType>(manager: EntityManager, event: NewEvent<T>): Promise<AstrixEvent<T>> {
    const occurredAt = this.clock.now();
    const envelope = envelopeOf(event, occurredAt) as AstrixEvent<T>;
    await manager.insert(OutboxEvent, {
      eventId: envelope.id,
      type: envelope.type,
      subject: envelope.subject,
      envelope: envelope as AstrixEvent,
      occurredAt,
      traceparent: currentTraceparent(),
    });
    return envelope;
  }

  /** Several events in one statement, in order (the billing run emits one per invoice). */
  async appendMany(manager: EntityManager, events: NewEvent<EventType>[]): Promise<void> {
    const statement = this.appendStatement(events);
    if (statement) await preparedQuery(manager, statement.sql, statement.params);
  }

  /**
   * The statement `appendMany` runs (null for no events), for a caller that runs it together with
   * others (`runStatementsTogether`) in its transaction. With `fill`, each envelope is written through
   * that SQL function with its subject (documentColumn).
   */
  appendStatement(events: NewEvent<EventType>[], fill?: string): SqlStatement | null {
    if (events.length === 0) return null;
    const occurredAt = this.clock.now();
    const envelopes = events.map((event) => envelopeOf(event, occurredAt));
    // WITH ORDINALITY keeps the positions in the order given.
    return {
      sql: `INSERT INTO platform.outbox_events (event_id, type, subject, envelope, occurred_at, traceparent)
       SELECT event_id, type, subject, ${documentColumn('envelope', 'subject', fill)}::jsonb, $5, $6
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY
           AS e(event_id, type, subject, envelope, ordinal)
        ORDER BY ordinal`,
      params: [
        envelopes.map((envelope) => envelope.id),
        envelopes.map((envelope) => envelope.type),
        envelopes.map((envelope) => envelope.subject),
        envelopes.map((envelope) => JSON.stringify(envelope)),
        occurredAt,
        currentTraceparent(),
      ],
    };
  }
}

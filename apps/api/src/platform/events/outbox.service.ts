import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AstrixEvent, EVENT_VERSIONS, EventDataByType, EventType } from '@astrix/contracts';
import { Clock } from '../clock';
import { newId } from '../ids';
import { OutboxEvent } from './outbox-event.entity';

export const EVENT_PRODUCER = 'astrix-billing';

export interface NewEvent<T extends EventType> {
  type: T;
  subject: string;
  data: EventDataByType[T];
  correlationId?: string | null;
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
    const envelope = {
      id: newId('evt'),
      type: event.type,
      version: EVENT_VERSIONS[event.type],
      occurredAt: occurredAt.toISOString(),
      producer: EVENT_PRODUCER,
      subject: event.subject,
      data: event.data,
      correlationId: event.correlationId ?? null,
    } as AstrixEvent<T>;
    await manager.insert(OutboxEvent, {
      eventId: envelope.id,
      type: envelope.type,
      subject: envelope.subject,
      envelope: envelope as AstrixEvent,
      occurredAt,
    });
    return envelope;
  }
}

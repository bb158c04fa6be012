import { Column, Entity, Index } from 'typeorm';
import type { AstrixEvent } from '@astrix/contracts';
import { bigintToNumber } from '../database/transformers';

/** An event written in the same transaction as the change it announces; the relay publishes it after commit. */
@Entity({ schema: 'platform', name: 'outbox_events' })
@Index('ix_outbox_events_unpublished', ['position'], { where: 'published_at IS NULL' })
// Per-subject sequence numbers (outbound webhooks, history) count a subject's events in order.
@Index('ix_outbox_events_subject_position', ['subject', 'position'])
export class OutboxEvent {
  /** Commit order, for the relay. */
  @Column({ type: 'bigint', primary: true, generated: 'increment', transformer: bigintToNumber })
  position!: number;

  @Index('uq_outbox_events_event_id', { unique: true })
  @Column({ type: 'text' })
  eventId!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'text' })
  subject!: string;

  @Column({ type: 'jsonb' })
  envelope!: AstrixEvent;

  @Column({ type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  @Column({ type: 'integer', default: 0 })
  publishAttempts!: number;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  /** W3C traceparent of the span that wrote the event: the relay's span and the job continue it. */
  @Column({ type: 'text', nullable: true })
  traceparent!: string | null;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AstrixEvent } from '@astrix/contracts';
import { bigintToNumber } from '../../platform/database/transformers';

/**
 * Every published event once, with its sequence per subject and the user it concerns: the source
 * of the event history, the live stream and webhook bodies.
 */
@Entity({ schema: 'platform', name: 'event_history' })
@Index('ix_event_history_user', ['userId', 'eventId'])
@Index('ix_event_history_customer', ['customerId', 'eventId'])
@Index('ix_event_history_occurred_at', ['occurredAt'])
@Index('ix_event_history_unstreamed', ['recordedAt'], { where: 'stream_position IS NULL' })
export class EventHistoryEntry {
  @PrimaryColumn({ type: 'text' })
  eventId!: string;

  /** The event's position in platform.outbox_events (commit order of its producer). */
  @Column({ type: 'bigint', transformer: bigintToNumber })
  outboxPosition!: number;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'text' })
  subject!: string;

  /** 1, 2, 3… among the events of the same subject, in outbox order. */
  @Column({ type: 'integer' })
  sequence!: number;

  /** `data.userId` when the event has one: whose history and stream it belongs to. */
  @Column({ type: 'text', nullable: true })
  userId!: string | null;

  /** `data.customerId` when the event has one. */
  @Column({ type: 'text', nullable: true })
  customerId!: string | null;

  @Column({ type: 'jsonb' })
  envelope!: AstrixEvent;

  @Column({ type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ type: 'timestamptz' })
  recordedAt!: Date;

  /** Order of the live stream, assigned once by the (serialised) stream relay; resume point of SSE. */
  @Index('uq_event_history_stream_position', { unique: true })
  @Column({ type: 'bigint', nullable: true, transformer: bigintToNumber })
  streamPosition!: number | null;
}

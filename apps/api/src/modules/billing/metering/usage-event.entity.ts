import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '../../../platform/database/transformers';

/**
 * The usage ledger: append-only (the database refuses UPDATE and DELETE). The key is the customer and
 * the reporter's idempotency key: claiming the key and writing the event are the same INSERT. A
 * correction is a new event with a negative quantity whose `correctionOf` names the original's key.
 */
@Entity({ schema: 'billing', name: 'usage_events' })
@Index('ix_usage_events_customer_feature_time', ['customerId', 'featureId', 'occurredAt'])
@Index('ix_usage_events_corrections', ['customerId', 'correctionOf'], {
  where: '"correction_of" IS NOT NULL',
})
export class UsageEvent {
  @PrimaryColumn({ type: 'text' })
  customerId!: string;

  @PrimaryColumn({ type: 'text' })
  idempotencyKey!: string;

  /** `ue_…`, for display and support; the key above is what identifies an event. */
  @Column({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  featureId!: string;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  quantity!: number;

  @Column({ type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ type: 'text', nullable: true })
  serviceId!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  properties!: Record<string, string | number | boolean | null> | null;

  @Column({ type: 'text', nullable: true })
  correctionOf!: string | null;

  /** The API key (or staff user) that reported it. */
  @Column({ type: 'text' })
  reportedBy!: string;

  @Column({ type: 'timestamptz' })
  receivedAt!: Date;
}

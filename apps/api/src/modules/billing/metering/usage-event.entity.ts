import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '../../../platform/database/transformers';

/**
 * The usage ledger: append-only (the database refuses UPDATE and DELETE), partitioned by month of
 * `occurredAt` (migration UsageEventsPartitioned1795740000000). The identity is the customer and the
 * reporter's idempotency key: the ingest statement claims the key in `billing.usage_event_keys` and
 * writes only the events whose key it claimed (the primary key has to include the partition column).
 * The primary key (customer, feature, time, key) also serves the period sums: one btree per event
 * (migration UsageEventsKeyedByFeature1795770000000); a key's row names the feature to look it up by.
 * A correction is a new event with a negative quantity whose `correctionOf` names the original's key.
 */
@Entity({ schema: 'billing', name: 'usage_events' })
@Index('ix_usage_events_corrections', ['customerId', 'correctionOf'], {
  where: '"correction_of" IS NOT NULL',
})
export class UsageEvent {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_usage_events' })
  customerId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_usage_events' })
  idempotencyKey!: string;

  /** `ue_…`, for display and support; the key above is what identifies an event. */
  @Column({ type: 'text' })
  id!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_usage_events' })
  featureId!: string;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  quantity!: number;

  /** The partition column. */
  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'PK_usage_events' })
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

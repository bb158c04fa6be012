import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type ActorType = 'user' | 'service' | 'system' | 'stripe';

/** Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE on this table. */
@Entity({ schema: 'platform', name: 'audit_log' })
@Index('ix_audit_log_resource', ['resourceType', 'resourceId', 'occurredAt'])
@Index('ix_audit_log_actor', ['actorId', 'occurredAt'])
@Index('ix_audit_log_occurred_at', ['occurredAt'])
// Staff search the log by action, and by a resource id alone (pasted from a ticket).
@Index('ix_audit_log_action', ['action', 'occurredAt'])
@Index('ix_audit_log_resource_id', ['resourceId', 'occurredAt'])
export class AuditLogEntry {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  actorType!: ActorType;

  @Column({ type: 'text' })
  actorId!: string;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'text' })
  resourceType!: string;

  @Column({ type: 'text' })
  resourceId!: string;

  @Column({ type: 'jsonb', nullable: true })
  before!: Record<string, unknown> | null;

  @Column({ type: 'jsonb', nullable: true })
  after!: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  requestId!: string | null;

  @Column({ type: 'timestamptz' })
  occurredAt!: Date;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type IdempotencyState = 'in_progress' | 'completed';

/** The first response to an `Idempotency-Key`, per caller, kept so replays get the same answer. */
@Entity({ schema: 'platform', name: 'idempotency_records' })
@Index('ix_idempotency_records_expires_at', ['expiresAt'])
export class IdempotencyRecord {
  /** The caller the key belongs to: keys of different callers never collide. */
  @PrimaryColumn({ type: 'text' })
  callerId!: string;

  @PrimaryColumn({ type: 'text' })
  key!: string;

  @Column({ type: 'text' })
  method!: string;

  @Column({ type: 'text' })
  path!: string;

  /** SHA-256 of method, path and canonical body: a replay must match it. */
  @Column({ type: 'text' })
  requestHash!: string;

  @Column({ type: 'text' })
  state!: IdempotencyState;

  @Column({ type: 'integer', nullable: true })
  responseStatus!: number | null;

  @Column({ type: 'jsonb', nullable: true })
  responseBody!: unknown;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  /** When the in-flight request took the key; a long-dead claim can be taken over. */
  @Column({ type: 'timestamptz' })
  lockedAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;
}

import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { PayoutTaskKind, PayoutTaskStatus } from '@astrix/contracts';

/**
 * Work for finance beside a payout that is already final: a first-payout evaluation fee refund that
 * billing or the processor refused. The payout's own status never waits on it. One per payout and kind.
 */
@Entity({ schema: 'payouts', name: 'payout_tasks' })
@Index('uq_payout_tasks_payout_kind', ['payoutId', 'kind'], { unique: true })
@Index('ix_payout_tasks_status', ['status', 'id'])
@Check('ck_payout_tasks_status', `"status" IN ('open', 'resolved')`)
export class PayoutTask {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_payout_tasks' })
  id!: string;

  @Column({ type: 'text' })
  kind!: PayoutTaskKind;

  @Column({ type: 'text' })
  status!: PayoutTaskStatus;

  @Column({ type: 'text' })
  payoutId!: string;

  @Column({ type: 'text' })
  accountId!: string;

  @Column({ type: 'text' })
  userId!: string;

  @Column({ type: 'text', nullable: true })
  chargeId!: string | null;

  @Column({ type: 'text', nullable: true })
  failureCode!: string | null;

  @Column({ type: 'text', nullable: true })
  failureReason!: string | null;

  /** Fee refunds tried for it: the automatic one, then each retry. */
  @Column({ type: 'integer', default: 1 })
  attempts!: number;

  @Column({ type: 'text', nullable: true })
  resolution!: 'refunded' | 'manual' | null;

  @Column({ type: 'text', nullable: true })
  resolutionNote!: string | null;

  @Column({ type: 'text', nullable: true })
  resolvedBy!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;
}

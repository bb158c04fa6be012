import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../../platform/database/transformers';

export type RefundStatus = 'pending' | 'succeeded' | 'failed' | 'canceled';

/** Money we are returning; pending ones count against what is left to refund. */
@Entity({ schema: 'billing', name: 'refunds' })
@Index('ix_refunds_charge', ['chargeId'])
@Check('ck_refunds_positive_amount', '"amount" > 0')
export class Refund {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  chargeId!: string;

  @MinorUnits()
  amount!: number;

  @Column({ type: 'text' })
  currency!: string;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ type: 'text' })
  status!: RefundStatus;

  @Index('uq_refunds_stripe_refund_id', { unique: true })
  @Column({ type: 'text', nullable: true })
  stripeRefundId!: string | null;

  @Column({ type: 'text', nullable: true })
  failureReason!: string | null;

  @Column({ type: 'text' })
  requestedBy!: string;

  @Column({ type: 'text', nullable: true })
  creditNoteId!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  /** Set when the processor reported the refund failed after it had succeeded (the money came back). */
  @Column({ type: 'timestamptz', nullable: true })
  reversedAt!: Date | null;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { DisputeStatus } from '@astrix/contracts';
import { MinorUnits } from '../../../platform/database/transformers';

/** A chargeback: what the card holder's bank claims back, and what it cost us. */
@Entity({ schema: 'billing', name: 'disputes' })
export class Dispute {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Index('ix_disputes_charge')
  @Column({ type: 'text' })
  chargeId!: string;

  @Index('uq_disputes_stripe_dispute_id', { unique: true })
  @Column({ type: 'text' })
  stripeDisputeId!: string;

  @MinorUnits()
  amount!: number;

  @Column({ type: 'text' })
  currency!: string;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ type: 'text' })
  status!: DisputeStatus;

  @Column({ type: 'timestamptz', nullable: true })
  evidenceDueBy!: Date | null;

  @MinorUnits()
  feeAmount!: number;

  @MinorUnits({ default: 0 })
  lostAmount!: number;

  /**
   * An inquiry (Stripe's `warning_*` statuses): the issuer asks, Stripe withdraws no funds and
   * charges no fee. False once it escalates to a chargeback.
   */
  @Column({ type: 'boolean', default: false })
  inquiry!: boolean;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  closedAt!: Date | null;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { FraudSeverity, FraudSignalSource } from '@astrix/contracts';

export type FraudSignalStatus = 'open' | 'confirmed' | 'dismissed';

/** One reason to doubt a customer: from Stripe (Radar, warnings, reviews, disputes) or our own rules. */
@Entity({ schema: 'billing', name: 'fraud_signals' })
@Index('ix_fraud_signals_customer_status', ['customerId', 'status'])
@Index('ix_fraud_signals_status', ['status', 'id'])
export class FraudSignal {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  userId!: string;

  @Column({ type: 'text' })
  source!: FraudSignalSource;

  /** Which rule or Stripe signal, e.g. `user_velocity`, `radar_highest`. */
  @Column({ type: 'text' })
  rule!: string;

  @Column({ type: 'text' })
  severity!: FraudSeverity;

  @Column({ type: 'integer' })
  score!: number;

  @Column({ type: 'jsonb' })
  evidence!: Record<string, unknown>;

  @Column({ type: 'text', nullable: true })
  chargeId!: string | null;

  /** One signal per fact (e.g. per Stripe warning, per rule and charge): replays add nothing. */
  @Index('uq_fraud_signals_dedupe_key', { unique: true })
  @Column({ type: 'text' })
  dedupeKey!: string;

  @Column({ type: 'text' })
  status!: FraudSignalStatus;

  @Column({ type: 'text', nullable: true })
  reviewer!: string | null;

  @Column({ type: 'text', nullable: true })
  notes!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  reviewedAt!: Date | null;
}

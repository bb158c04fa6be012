import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { PayoutApprovalView, PayoutMethod, PayoutStatus } from '@astrix/contracts';
import { MinorUnits } from '../../platform/database/transformers';

/** One cash-out request and where it stands. Its money movements live in the ledger. */
@Entity({ schema: 'payouts', name: 'payouts' })
@Index('ix_payouts_user', ['userId', 'id'])
@Index('ix_payouts_account', ['accountId', 'id'])
@Index('ix_payouts_status', ['status', 'id'])
@Check('ck_payouts_positive_amount', '"amount" > 0')
export class Payout {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  accountId!: string;

  @Column({ type: 'text' })
  userId!: string;

  @Column({ type: 'text' })
  method!: PayoutMethod;

  @Column({ type: 'text' })
  status!: PayoutStatus;

  /** Paid to the trader, minor units. */
  @MinorUnits()
  amount!: number;

  /** Profit this payout uses up (trader and firm shares): later payouts split only what is left. */
  @MinorUnits()
  profitConsumed!: number;

  @Column({ type: 'text' })
  currency!: string;

  /** Connected account of a stripe_connect payout, fixed at request time. */
  @Column({ type: 'text', nullable: true })
  destination!: string | null;

  @Column({ type: 'boolean' })
  requiresSecondApproval!: boolean;

  @Column({ type: 'jsonb', default: () => `'[]'` })
  approvals!: PayoutApprovalView[];

  /** Part of the transfer's idempotency key: a new attempt only after Stripe refused the last one. */
  @Column({ type: 'integer', default: 1 })
  attempt!: number;

  @Column({ type: 'text', nullable: true })
  transferId!: string | null;

  @Column({ type: 'text', nullable: true })
  failureReason!: string | null;

  /** The last failure may have moved money (no answer from Stripe): retry with the same key. */
  @Column({ type: 'boolean', default: false })
  outcomeUnknown!: boolean;

  @Column({ type: 'text', nullable: true })
  rejectionReason!: string | null;

  @MinorUnits({ default: 0 })
  feeRefunded!: number;

  @Column({ type: 'timestamptz' })
  requestedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  paidAt!: Date | null;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}

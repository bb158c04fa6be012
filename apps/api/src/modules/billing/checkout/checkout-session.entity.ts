import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { PriceBreakdown } from '@astrix/contracts';
import { MinorUnits } from '../../../platform/database/transformers';

export type CheckoutSessionStatus = 'open' | 'completed' | 'expired' | 'failed';

/** Our record of a processor checkout session: what is being bought, by whom, at what price. */
@Entity({ schema: 'billing', name: 'checkout_sessions' })
@Index('ix_checkout_sessions_user', ['userId', 'createdAt'])
export class CheckoutSession {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  userId!: string;

  @Column({ type: 'text' })
  productId!: string;

  @Column({ type: 'text' })
  priceId!: string;

  @Column({ type: 'text', nullable: true })
  accountId!: string | null;

  @Column({ type: 'text', nullable: true })
  couponId!: string | null;

  @Column({ type: 'text' })
  currency!: string;

  @MinorUnits()
  subtotalAmount!: number;

  @MinorUnits()
  discountAmount!: number;

  @MinorUnits()
  totalAmount!: number;

  @Column({ type: 'jsonb' })
  breakdown!: PriceBreakdown;

  @Index('uq_checkout_sessions_stripe_id', { unique: true })
  @Column({ type: 'text', nullable: true })
  stripeCheckoutSessionId!: string | null;

  @Column({ type: 'text', nullable: true })
  url!: string | null;

  @Column({ type: 'text' })
  status!: CheckoutSessionStatus;

  /** Where the purchase came from, for the fraud rules (velocity per address, country mismatch). */
  @Index('ix_checkout_sessions_client_ip')
  @Column({ type: 'text', nullable: true })
  clientIp!: string | null;

  @Column({ type: 'text', nullable: true })
  clientCountry!: string | null;

  @Column({ type: 'text', nullable: true })
  profileCountry!: string | null;

  @Column({ type: 'text', nullable: true })
  failureReason!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  /** W3C traceparent of the checkout request: recording the payment continues its trace. */
  @Column({ type: 'text', nullable: true })
  traceparent!: string | null;
}

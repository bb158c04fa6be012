import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../../platform/database/transformers';

/** held: counts against the coupon's limits; consumed: became a redemption; released: counts no more. */
export type CouponReservationStatus = 'held' | 'consumed' | 'released';

/**
 * A coupon held by an open checkout session: counted against the coupon's limits (with the
 * redemptions) from the moment the session opens, so open sessions cannot share one use. Released
 * when the session expires or cannot open; consumed when its payment is recorded. A held
 * reservation past `expiresAt` (the processor session's own expiry) no longer counts, so a lost
 * expiry event never locks a coupon away.
 */
@Entity({ schema: 'billing', name: 'coupon_reservations' })
@Check('ck_coupon_reservations_status', `"status" IN ('held', 'consumed', 'released')`)
@Index('ix_coupon_reservations_coupon_status', ['couponId', 'status'])
export class CouponReservation {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  couponId!: string;

  @Column({ type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  userId!: string;

  @Index('uq_coupon_reservations_checkout_session_id', { unique: true })
  @Column({ type: 'text' })
  checkoutSessionId!: string;

  @MinorUnits()
  discountAmount!: number;

  @Column({ type: 'text' })
  currency!: string;

  @Column({ type: 'text' })
  status!: CouponReservationStatus;

  @Column({ type: 'timestamptz' })
  heldAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  settledAt!: Date | null;

  /** Why it was released (session expired, could not open, refused at payment…). */
  @Column({ type: 'text', nullable: true })
  releaseReason!: string | null;
}

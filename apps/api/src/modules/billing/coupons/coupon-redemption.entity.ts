import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../../platform/database/transformers';

/** One use of a coupon: by a completed checkout payment, or by a subscription when it starts. */
@Entity({ schema: 'billing', name: 'coupon_redemptions' })
@Check('ck_coupon_redemptions_one_owner', '("charge_id" IS NULL) <> ("subscription_id" IS NULL)')
@Index('ix_coupon_redemptions_coupon_customer', ['couponId', 'customerId'])
export class CouponRedemption {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  couponId!: string;

  @Column({ type: 'text' })
  customerId!: string;

  @Index('uq_coupon_redemptions_charge_id', { unique: true })
  @Column({ type: 'text', nullable: true })
  chargeId!: string | null;

  @Index('uq_coupon_redemptions_subscription_id', { unique: true })
  @Column({ type: 'text', nullable: true })
  subscriptionId!: string | null;

  @MinorUnits()
  discountAmount!: number;

  @Column({ type: 'text' })
  currency!: string;

  @Column({ type: 'timestamptz' })
  redeemedAt!: Date;
}

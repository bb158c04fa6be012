import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../../platform/database/transformers';

/** One use of a coupon by a completed payment. */
@Entity({ schema: 'billing', name: 'coupon_redemptions' })
@Index('ix_coupon_redemptions_coupon_customer', ['couponId', 'customerId'])
export class CouponRedemption {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  couponId!: string;

  @Column({ type: 'text' })
  customerId!: string;

  @Index('uq_coupon_redemptions_charge_id', { unique: true })
  @Column({ type: 'text' })
  chargeId!: string;

  @MinorUnits()
  discountAmount!: number;

  @Column({ type: 'text' })
  currency!: string;

  @Column({ type: 'timestamptz' })
  redeemedAt!: Date;
}

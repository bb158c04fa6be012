import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type CouponKind = 'percent_off' | 'amount_off';
export type CouponDuration = 'once' | 'repeating' | 'forever';
export type CouponStatus = 'active' | 'archived';
/** Per-currency amounts in minor units, e.g. `{ "USD": 5000 }`. */
export type AmountsByCurrency = Record<string, number>;

@Entity({ schema: 'billing', name: 'coupons' })
@Check(
  'ck_coupons_within_max_redemptions',
  '"max_redemptions" IS NULL OR "redemption_count" <= "max_redemptions"',
)
export class Coupon {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  /** Upper-case, unique: what traders type. */
  @Index('uq_coupons_code', { unique: true })
  @Column({ type: 'text' })
  code!: string;

  @Column({ type: 'text' })
  kind!: CouponKind;

  /** Decimal string, e.g. "20" for 20% off. */
  @Column({ type: 'text', nullable: true })
  percentOff!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  amountOff!: AmountsByCurrency | null;

  @Column({ type: 'jsonb', nullable: true })
  maxDiscount!: AmountsByCurrency | null;

  @Column({ type: 'jsonb', nullable: true })
  minimumOrder!: AmountsByCurrency | null;

  @Column({ type: 'text' })
  duration!: CouponDuration;

  @Column({ type: 'integer', nullable: true })
  durationPeriods!: number | null;

  @Column({ type: 'text', array: true, nullable: true })
  productIds!: string[] | null;

  @Column({ type: 'boolean', default: false })
  firstPurchaseOnly!: boolean;

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'integer', nullable: true })
  maxRedemptions!: number | null;

  @Column({ type: 'integer', nullable: true })
  maxRedemptionsPerCustomer!: number | null;

  /** Counted when a payment completes, atomically against maxRedemptions. */
  @Column({ type: 'integer', default: 0 })
  redemptionCount!: number;

  @Column({ type: 'text' })
  status!: CouponStatus;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}

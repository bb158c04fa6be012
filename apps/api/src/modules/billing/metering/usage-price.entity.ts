import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Price } from '@astrix/pricing';

/**
 * How a plan invoices one feature's usage in one currency, in arrears: a @astrix/pricing price.
 * Versioned: a version applies to usage from `effectiveFrom` until `effectiveTo` (superseded by the
 * next version, or archived; null = in force). Usage is priced by the version in force when it
 * accrued; versions are never deleted.
 */
@Entity({ schema: 'billing', name: 'usage_prices' })
export class UsagePrice {
  @PrimaryColumn({ type: 'text' })
  productId!: string;

  @PrimaryColumn({ type: 'text' })
  featureId!: string;

  @PrimaryColumn({ type: 'text' })
  currency!: string;

  @PrimaryColumn({ type: 'timestamptz' })
  effectiveFrom!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  effectiveTo!: Date | null;

  /** per_unit, package, graduated or volume, amounts in this currency; checked by assertPrice on write. */
  @Column({ type: 'jsonb' })
  price!: Price;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}

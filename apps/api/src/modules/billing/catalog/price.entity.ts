import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../../platform/database/transformers';

export type RecurringInterval = 'month' | 'year';

/** A product's price in one currency; one active price per product and currency. */
@Entity({ schema: 'billing', name: 'prices' })
@Check('ck_prices_non_negative', '"unit_amount" >= 0')
@Index('uq_prices_active_product_currency', ['productId', 'currency'], { unique: true, where: 'active' })
export class Price {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  productId!: string;

  @Column({ type: 'text' })
  currency!: string;

  @MinorUnits()
  unitAmount!: number;

  @Column({ type: 'text', nullable: true })
  recurringInterval!: RecurringInterval | null;

  @Column({ type: 'integer', nullable: true })
  recurringIntervalCount!: number | null;

  @Column({ type: 'boolean' })
  active!: boolean;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}

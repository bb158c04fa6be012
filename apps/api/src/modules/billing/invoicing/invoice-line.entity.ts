import { Column, Entity, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../../platform/database/transformers';

export type InvoiceLineKind = 'purchase' | 'plan' | 'proration_credit' | 'proration_charge' | 'usage';

@Entity({ schema: 'billing', name: 'invoice_lines' })
export class InvoiceLine {
  @PrimaryColumn({ type: 'text' })
  invoiceId!: string;

  @PrimaryColumn({ type: 'integer' })
  position!: number;

  @Column({ type: 'text' })
  description!: string;

  @Column({ type: 'text', nullable: true })
  productId!: string | null;

  @Column({ type: 'integer' })
  quantity!: number;

  @MinorUnits()
  unitAmount!: number;

  @MinorUnits()
  amount!: number;

  @MinorUnits()
  discount!: number;

  @MinorUnits()
  tax!: number;

  @Column({ type: 'text', default: 'purchase' })
  kind!: InvoiceLineKind;

  @Column({ type: 'timestamptz', nullable: true })
  periodStart!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  periodEnd!: Date | null;

  /** The metered feature of a usage line. */
  @Column({ type: 'text', nullable: true })
  featureId!: string | null;

  /** The rate taxed (billing.tax_rates), its percentage then, and whether `tax` sits inside `amount`. */
  @Column({ type: 'text', nullable: true })
  taxRateId!: string | null;

  @Column({ type: 'text', nullable: true })
  taxPercentage!: string | null;

  @Column({ type: 'boolean', default: false })
  taxInclusive!: boolean;
}

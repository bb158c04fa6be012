import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../../platform/database/transformers';

@Entity({ schema: 'billing', name: 'invoice_lines' })
@Index('ix_invoice_lines_invoice', ['invoiceId', 'position'])
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
}

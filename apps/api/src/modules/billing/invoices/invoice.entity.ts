import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../../platform/database/transformers';

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

export interface PartyDetails {
  name: string;
  address: string;
  taxId: string | null;
}

@Entity({ schema: 'billing', name: 'invoices' })
@Index('ix_invoices_user', ['userId', 'id'])
export class Invoice {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  /** Gap-free per series, e.g. AST-2026-000001. */
  @Index('uq_invoices_number', { unique: true })
  @Column({ type: 'text' })
  number!: string;

  @Column({ type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  userId!: string;

  @Column({ type: 'text', nullable: true })
  customerEmail!: string | null;

  @Index('uq_invoices_charge_id', { unique: true })
  @Column({ type: 'text', nullable: true })
  chargeId!: string | null;

  @Column({ type: 'text' })
  status!: InvoiceStatus;

  @Column({ type: 'text' })
  currency!: string;

  @MinorUnits()
  subtotal!: number;

  @MinorUnits()
  discount!: number;

  @MinorUnits()
  tax!: number;

  @MinorUnits()
  total!: number;

  @MinorUnits()
  amountPaid!: number;

  @Column({ type: 'jsonb' })
  seller!: PartyDetails;

  @Column({ type: 'timestamptz' })
  issuedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  paidAt!: Date | null;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../../platform/database/transformers';

/** A document reducing what an invoice asked for: issued for every refund. */
@Entity({ schema: 'billing', name: 'credit_notes' })
export class CreditNote {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Index('uq_credit_notes_number', { unique: true })
  @Column({ type: 'text' })
  number!: string;

  @Index('ix_credit_notes_invoice')
  @Column({ type: 'text' })
  invoiceId!: string;

  @Index('uq_credit_notes_refund_id', { unique: true })
  @Column({ type: 'text', nullable: true })
  refundId!: string | null;

  @MinorUnits()
  amount!: number;

  /** The tax inside `amount` (its lines' tax: credit-note-lines.ts). */
  @MinorUnits({ default: 0 })
  tax!: number;

  @Column({ type: 'text' })
  currency!: string;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ type: 'timestamptz' })
  issuedAt!: Date;
}

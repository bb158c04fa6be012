import { Column, Entity, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../../platform/database/transformers';

/** A credit note's share of one invoice line (credit-note-lines.ts): what it gives back and the tax in it. */
@Entity({ schema: 'billing', name: 'credit_note_lines' })
export class CreditNoteLine {
  @PrimaryColumn({ type: 'text' })
  creditNoteId!: string;

  @PrimaryColumn({ type: 'integer' })
  position!: number;

  /** The invoice line credited (its position on the invoice). */
  @Column({ type: 'integer' })
  invoiceLinePosition!: number;

  @Column({ type: 'text' })
  description!: string;

  /** Gross: tax included. */
  @MinorUnits()
  amount!: number;

  @MinorUnits()
  tax!: number;

  @Column({ type: 'text', nullable: true })
  taxRateId!: string | null;

  @Column({ type: 'text', nullable: true })
  taxPercentage!: string | null;

  @Column({ type: 'boolean', default: false })
  taxInclusive!: boolean;
}

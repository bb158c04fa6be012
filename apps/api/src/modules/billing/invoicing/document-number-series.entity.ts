import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '../../../platform/database/transformers';

/**
 * The next number of each document series (invoices, credit notes, per year). Taken with a row
 * lock inside the transaction that issues the document, so numbers are gap-free: a rollback
 * gives the number back.
 */
@Entity({ schema: 'billing', name: 'document_number_series' })
export class DocumentNumberSeries {
  @PrimaryColumn({ type: 'text' })
  series!: string;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  lastNumber!: number;
}

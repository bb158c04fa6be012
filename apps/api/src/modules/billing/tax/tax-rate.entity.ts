import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One tax rate of one jurisdiction (a country, optionally a region of it) over a validity window.
 * Rates are data, managed by finance through the admin routes (audited). A rate once in force is
 * never edited: a change ends it (`valid_to`) and adds the next one, so invoices stay explainable.
 */
@Entity({ schema: 'billing', name: 'tax_rates' })
@Index('ix_tax_rates_jurisdiction', ['country', 'region', 'validFrom'])
export class TaxRateRow {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  /** ISO 3166-1 alpha-2, upper case (GB, DE, US). */
  @Column({ type: 'text' })
  country!: string;

  /** A region inside the country (a US state, …); null for the whole country. */
  @Column({ type: 'text', nullable: true })
  region!: string | null;

  /** Shown on documents, e.g. "UK VAT" or "DE USt". */
  @Column({ type: 'text' })
  name!: string;

  /** Exact decimal percentage as @astrix/pricing takes it: "20", "8.875". */
  @Column({ type: 'text' })
  percentage!: string;

  /** true: prices already contain the tax (VAT-style); false: added on top (sales-tax style). */
  @Column({ type: 'boolean' })
  inclusive!: boolean;

  @Column({ type: 'timestamptz' })
  validFrom!: Date;

  /** Exclusive end; null while in force. */
  @Column({ type: 'timestamptz', nullable: true })
  validTo!: Date | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'text' })
  createdBy!: string;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A daily exchange rate: 1 `base` = `rate` `quote` on `day` (the rate of that day, ECB style).
 * Entered by finance or imported from an ECB-style CSV; one rate per pair and day (a correction
 * replaces it, audited). Documents already issued keep the snapshot they took.
 */
@Entity({ schema: 'billing', name: 'fx_rates' })
export class FxRate {
  /** YYYY-MM-DD (UTC). */
  @PrimaryColumn({ type: 'date' })
  day!: string;

  @PrimaryColumn({ type: 'text' })
  base!: string;

  @PrimaryColumn({ type: 'text' })
  quote!: string;

  /** Exact decimal string, e.g. "1.0832". */
  @Column({ type: 'text' })
  rate!: string;

  /** Where it came from: "ecb", "admin", … */
  @Column({ type: 'text' })
  source!: string;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ type: 'text' })
  updatedBy!: string;
}

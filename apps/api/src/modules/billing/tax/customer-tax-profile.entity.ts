import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * What tax and currency decisions need to know about a customer: where they are (country, region,
 * postal code), their business VAT id when they buy as a business (format-checked per country),
 * and their billing currency. One row per customer; absent means "no tax details given".
 */
@Entity({ schema: 'billing', name: 'customer_tax_profiles' })
export class CustomerTaxProfile {
  @PrimaryColumn({ type: 'text' })
  customerId!: string;

  @Column({ type: 'text', nullable: true })
  country!: string | null;

  @Column({ type: 'text', nullable: true })
  region!: string | null;

  @Column({ type: 'text', nullable: true })
  postalCode!: string | null;

  /** Normalized (upper case, no spaces), with its country prefix: DE123456789, GB123456789. */
  @Column({ type: 'text', nullable: true })
  vatId!: string | null;

  /** The currency the customer is billed in; null until the first purchase or an explicit choice. */
  @Column({ type: 'text', nullable: true })
  billingCurrency!: string | null;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}

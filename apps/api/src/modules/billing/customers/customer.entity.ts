import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { CustomerFraudStatus } from '@astrix/contracts';

/** A paying user, linked to exactly one processor customer. */
@Entity({ schema: 'billing', name: 'customers' })
// Support finds customers by the beginning of their email: lower(email) text_pattern_ops (a migration
// creates it; TypeORM cannot express the expression, so the schema builder leaves it alone).
@Index('ix_customers_email_prefix', { synchronize: false })
export class Customer {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Index('uq_customers_user_id', { unique: true })
  @Column({ type: 'text' })
  userId!: string;

  @Column({ type: 'text', nullable: true })
  email!: string | null;

  @Index('uq_customers_stripe_customer_id', { unique: true })
  @Column({ type: 'text', nullable: true })
  stripeCustomerId!: string | null;

  /** clear → flagged (signals crossed the threshold) → blocked (support's verdict). */
  @Column({ type: 'text', default: 'clear' })
  fraudStatus!: CustomerFraudStatus;

  /** The saved card charged for renewals (mirrors the processor customer's default). */
  @Column({ type: 'text', nullable: true })
  defaultPaymentMethodId!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  /** The name invoices and credit notes are addressed to, as the customer gave it (any script). */
  @Column({ type: 'text', nullable: true })
  billingName!: string | null;

  /** Postal address for documents, lines separated by newlines. */
  @Column({ type: 'text', nullable: true })
  billingAddress!: string | null;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { CustomerFraudStatus } from '@astrix/contracts';

/** A paying user, linked to exactly one processor customer. */
@Entity({ schema: 'billing', name: 'customers' })
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

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}

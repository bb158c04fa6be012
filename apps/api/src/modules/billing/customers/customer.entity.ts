import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

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

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}

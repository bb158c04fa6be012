import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The trader's Stripe connected account that stripe_connect payouts go to. */
@Entity({ schema: 'payouts', name: 'destinations' })
export class PayoutDestination {
  @PrimaryColumn({ type: 'text' })
  userId!: string;

  @Column({ type: 'text' })
  stripeAccountId!: string;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { PayoutRules } from './payout-rules';

/** Finance's payout terms for one account product, over the defaults. */
@Entity({ schema: 'payouts', name: 'product_rules' })
export class ProductPayoutRules {
  @PrimaryColumn({ type: 'text' })
  productId!: string;

  @Column({ type: 'jsonb' })
  rules!: Partial<PayoutRules>;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../platform/database/transformers';

/**
 * Payout state of one trading account: the latest balance the trading platform reported. Requests
 * lock this row, so two of them on one account run one after the other against the same balance.
 */
@Entity({ schema: 'payouts', name: 'accounts' })
export class PayoutAccount {
  @PrimaryColumn({ type: 'text' })
  accountId!: string;

  @MinorUnits()
  balance!: number;

  @Column({ type: 'timestamptz' })
  balanceReportedAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}

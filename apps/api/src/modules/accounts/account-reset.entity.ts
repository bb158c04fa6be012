import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AccountStatus } from '@astrix/contracts';

/** `applied`: the account was reset; `refunded`: it could no longer be, so the payment went back. */
export type ResetOutcome = 'applied' | 'refunded';

/** Every paid reset and what became of it; one per charge, so a replayed payment never resets twice. */
@Entity({ schema: 'accounts', name: 'resets' })
@Index('ix_resets_account', ['accountId', 'id'])
export class AccountReset {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  accountId!: string;

  @Index('uq_resets_charge_id', { unique: true })
  @Column({ type: 'text' })
  chargeId!: string;

  @Column({ type: 'text' })
  outcome!: ResetOutcome;

  /** The account's status when the payment arrived (null when the account does not exist). */
  @Column({ type: 'text', nullable: true })
  fromStatus!: AccountStatus | null;

  /** The account's reset count after this reset (unchanged when refunded). */
  @Column({ type: 'integer' })
  resetCount!: number;

  @Column({ type: 'text', nullable: true })
  refusalReason!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}

import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AccountKind, AccountRules, AccountStatus, ProductKind } from '@astrix/contracts';
import { MinorUnits } from '../../platform/database/transformers';

/** Who suspended an account decides who may lift it automatically: a paid subscription lifts only its own. */
export type SuspensionSource = 'subscription' | 'support';

/** A trading account provisioned by a purchase. The trading platform keeps its balance; we keep its lifecycle. */
@Entity({ schema: 'accounts', name: 'accounts' })
@Index('ix_accounts_user', ['userId', 'id'])
@Index('ix_accounts_subscription', ['subscriptionId'], { where: '"subscription_id" IS NOT NULL' })
@Check('ck_accounts_positive_starting_balance', '"starting_balance" > 0')
export class Account {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  userId!: string;

  /** `funded` once bought funded or promoted from a passed evaluation; it never goes back. */
  @Column({ type: 'text' })
  kind!: AccountKind;

  @Column({ type: 'text' })
  status!: AccountStatus;

  /** Whole currency units, e.g. 50000. */
  @Column({ type: 'integer' })
  size!: number;

  @Column({ type: 'text' })
  currency!: string;

  @Column({ type: 'integer' })
  phase!: number;

  @Column({ type: 'integer' })
  phases!: number;

  @MinorUnits()
  startingBalance!: number;

  @Column({ type: 'jsonb' })
  rules!: AccountRules;

  @Column({ type: 'text' })
  productId!: string;

  /** What was bought: subscription-backed accounts follow their subscription's payments. */
  @Column({ type: 'text' })
  productKind!: ProductKind;

  /** The charge that bought it: one account per charge, however often the payment event arrives. */
  @Index('uq_accounts_charge_id', { unique: true })
  @Column({ type: 'text' })
  chargeId!: string;

  /** The subscription a subscription-backed account follows: its state suspends and reinstates it. */
  @Column({ type: 'text', nullable: true })
  subscriptionId!: string | null;

  @Column({ type: 'integer', default: 0 })
  resetCount!: number;

  @Column({ type: 'timestamptz', nullable: true })
  firstTradeAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  suspendedBy!: SuspensionSource | null;

  /** When the status last changed: trading outcomes that happened before it are stale. */
  @Column({ type: 'timestamptz' })
  statusChangedAt!: Date;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}

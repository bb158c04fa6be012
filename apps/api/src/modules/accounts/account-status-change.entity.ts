import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AccountStatus } from '@astrix/contracts';

/** One row per status change of an account; append-only (the database refuses UPDATE and DELETE). */
@Entity({ schema: 'accounts', name: 'account_status_history' })
@Index('ix_account_status_history_account', ['accountId', 'id'])
export class AccountStatusChange {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  accountId!: string;

  /** Null when the account was created. */
  @Column({ type: 'text', nullable: true })
  fromStatus!: AccountStatus | null;

  @Column({ type: 'text' })
  toStatus!: AccountStatus;

  @Column({ type: 'text' })
  reason!: string;

  /** `user:…`, `service:…` or `system:…`. */
  @Column({ type: 'text' })
  actor!: string;

  @Column({ type: 'timestamptz' })
  occurredAt!: Date;
}

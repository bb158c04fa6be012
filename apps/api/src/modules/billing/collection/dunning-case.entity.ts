import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type DunningStatus = 'active' | 'paused' | 'recovered' | 'exhausted' | 'closed';

/** What happens when every retry failed: the subscription is paused or canceled. */
export type DunningFinalAction = 'pause' | 'cancel';

export interface DunningPolicy {
  /** Days after the first failure at which each retry runs, e.g. [1, 3, 5, 7]. */
  retryDays: number[];
  /** Failed attempts after which the subscription turns past_due (1 = at the first failure). */
  pastDueAfterAttempts: number;
  finalAction: DunningFinalAction;
}

/** The collection of one unpaid subscription invoice: retries on a schedule, then escalation. */
@Entity({ schema: 'billing', name: 'dunning_cases' })
@Index('ix_dunning_cases_due', ['nextAttemptAt'], { where: `"status" = 'active'` })
@Index('ix_dunning_cases_subscription', ['subscriptionId', 'startedAt'])
export class DunningCase {
  @PrimaryColumn({ type: 'text' })
  invoiceId!: string;

  @Column({ type: 'text' })
  subscriptionId!: string;

  @Column({ type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  status!: DunningStatus;

  @Column({ type: 'jsonb' })
  policy!: DunningPolicy;

  /** Failed collection attempts so far (the first, failed renewal counts). */
  @Column({ type: 'integer' })
  failedAttempts!: number;

  @Column({ type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  lastFailureCode!: string | null;

  @Column({ type: 'text', nullable: true })
  lastFailureMessage!: string | null;

  @Column({ type: 'timestamptz' })
  startedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}

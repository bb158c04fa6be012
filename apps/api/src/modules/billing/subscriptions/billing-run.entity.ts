import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type BillingRunStatus = 'running' | 'completed' | 'failed';
export type BillingRunTrigger = 'schedule' | 'manual';

/**
 * One pass of the billing run: every subscription whose period ended by `asOf` gets its invoice.
 * The work list is the data itself (periods not yet advanced), so a crashed run resumes where it was.
 */
@Entity({ schema: 'billing', name: 'billing_runs' })
@Index('ix_billing_runs_status', ['status', 'id'])
export class BillingRun {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  trigger!: BillingRunTrigger;

  @Column({ type: 'text' })
  status!: BillingRunStatus;

  @Column({ type: 'timestamptz' })
  asOf!: Date;

  /** Subscriptions due when the run started (for progress). */
  @Column({ type: 'integer' })
  dueAtStart!: number;

  @Column({ type: 'integer', default: 0 })
  invoicesCreated!: number;

  /** Periods closed without an invoice (canceled at period end, zero-amount periods). */
  @Column({ type: 'integer', default: 0 })
  periodsClosed!: number;

  @Column({ type: 'integer', default: 0 })
  failed!: number;

  @Column({ type: 'text' })
  requestedBy!: string;

  @Column({ type: 'timestamptz' })
  startedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}

/** A subscription the run could not invoice; kept out of the rest of the run, shown to staff. */
@Entity({ schema: 'billing', name: 'billing_run_failures' })
export class BillingRunFailure {
  @PrimaryColumn({ type: 'text' })
  runId!: string;

  @PrimaryColumn({ type: 'text' })
  subscriptionId!: string;

  @Column({ type: 'text' })
  error!: string;

  @Column({ type: 'timestamptz' })
  failedAt!: Date;
}

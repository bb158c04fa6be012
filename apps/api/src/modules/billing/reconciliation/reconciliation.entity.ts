import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../../platform/database/transformers';

/** Where a run is: walking the day's pages, done, or stopped by an error (resumes from its cursor). */
export type ReconciliationRunStatus = 'running' | 'completed' | 'failed';

/** How one processor balance transaction compared with our rows. */
export type ReconciliationOutcome = 'matched' | 'unmatched_in_books' | 'amount_mismatch';

/** What an exception is about; finance's runbook (docs/finance.md) has one section per kind. */
export const RECONCILIATION_EXCEPTION_KINDS = [
  /** A row of ours (charge, refund, dispute, trader payout) the processor has no balance transaction for. */
  'unmatched_in_stripe',
  /** A balance transaction no row of ours explains (posted to suspense). */
  'unmatched_in_books',
  /** A matched movement whose amount or currency differs from our row (the difference in suspense). */
  'amount_mismatch',
  /** The processor kept another fee than its schedule (or our dispute fee) says. */
  'fee_mismatch',
  /** A payout to the bank whose amount differs from the sum of the balance transactions it swept. */
  'payout_mismatch',
] as const;
export type ReconciliationExceptionKind = (typeof RECONCILIATION_EXCEPTION_KINDS)[number];

/** Counts a run reports (and `billing.reconciliation.completed` carries). */
export interface ReconciliationCounts {
  balanceTransactions: number;
  matched: number;
  unmatchedInStripe: number;
  unmatchedInBooks: number;
  amountMismatch: number;
  feeMismatch: number;
  payouts: number;
  payoutMismatch: number;
}

/**
 * One reconciliation of a UTC day of one processor account against our books. Unique per (day,
 * account): running a day again walks it again under the same run, posting nothing already posted.
 * `cursor` is the last balance transaction of the last committed page, so a crash resumes there.
 */
@Entity({ schema: 'billing', name: 'reconciliation_runs' })
@Index('uq_reconciliation_runs_day_account', ['day', 'account'], { unique: true })
export class ReconciliationRun {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  /** The UTC day, YYYY-MM-DD. */
  @Column({ type: 'text' })
  day!: string;

  /** The processor account reconciled ('default': the one Stripe account this deployment uses). */
  @Column({ type: 'text' })
  account!: string;

  @Column({ type: 'text' })
  status!: ReconciliationRunStatus;

  @Column({ type: 'text', nullable: true })
  cursor!: string | null;

  /** Pages committed by the current walk. */
  @Column({ type: 'integer', default: 0 })
  pages!: number;

  @Column({ type: 'jsonb', nullable: true })
  counts!: ReconciliationCounts | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'text' })
  requestedBy!: string;

  @Column({ type: 'timestamptz' })
  startedAt!: Date;

  /** Touched at every committed page: a run `running` without a recent heartbeat has crashed. */
  @Column({ type: 'timestamptz' })
  heartbeatAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  completedAt!: Date | null;
}

/**
 * One processor balance transaction as reconciled: what it was, the row of ours it matched (if
 * any) and how it compared. The journal holds one summary entry per page; this is its sub-ledger.
 */
@Entity({ schema: 'billing', name: 'reconciliation_items' })
@Index('ix_reconciliation_items_run', ['runId'])
@Index('ix_reconciliation_items_our_source', ['ourSourceId'])
export class ReconciliationItem {
  /** txn_… */
  @PrimaryColumn({ type: 'text' })
  balanceTransactionId!: string;

  @Column({ type: 'text' })
  runId!: string;

  @Column({ type: 'text' })
  type!: string;

  /** The processor object behind it (ch_…, re_…, du_…, tr_…, po_…), null for a bare fee. */
  @Column({ type: 'text', nullable: true })
  sourceId!: string | null;

  /** Our row it matched: charge, refund, dispute, trader_payout, processor_payout; null when none. */
  @Column({ type: 'text', nullable: true })
  ourSourceType!: string | null;

  @Column({ type: 'text', nullable: true })
  ourSourceId!: string | null;

  @Column({ type: 'text' })
  outcome!: ReconciliationOutcome;

  @Column({ type: 'text' })
  currency!: string;

  /** Signed, as the processor reports it. */
  @MinorUnits()
  amount!: number;

  @MinorUnits()
  fee!: number;

  @MinorUnits()
  net!: number;

  /** Our row's amount, signed as the processor's (null when unmatched). */
  @MinorUnits({ nullable: true })
  ourAmount!: number | null;

  @Column({ type: 'timestamptz' })
  availableOn!: Date;

  /** When the processor created it. */
  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}

/**
 * A difference between the processor and our books, as a finance task: open until someone
 * resolves it with a note. Once per (run, kind, subject): running a day again raises nothing new.
 */
@Entity({ schema: 'billing', name: 'reconciliation_exceptions' })
@Index('uq_reconciliation_exceptions_subject', ['runId', 'kind', 'subject'], { unique: true })
@Index('ix_reconciliation_exceptions_status', ['status', 'createdAt'])
export class ReconciliationException {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  runId!: string;

  @Column({ type: 'text' })
  day!: string;

  @Column({ type: 'text' })
  kind!: ReconciliationExceptionKind;

  /** The record it is about: a balance transaction, a row of ours or a payout. */
  @Column({ type: 'text' })
  subject!: string;

  @Column({ type: 'text', nullable: true })
  balanceTransactionId!: string | null;

  @Column({ type: 'text', nullable: true })
  ourSourceType!: string | null;

  @Column({ type: 'text', nullable: true })
  ourSourceId!: string | null;

  @Column({ type: 'text' })
  currency!: string;

  /** What the processor says (minor units, signed as the processor's; null when it has nothing). */
  @MinorUnits({ nullable: true })
  processorAmount!: number | null;

  /** What our books say (null when we have no row). */
  @MinorUnits({ nullable: true })
  ourAmount!: number | null;

  @Column({ type: 'text' })
  message!: string;

  @Column({ type: 'text' })
  status!: 'open' | 'resolved';

  @Column({ type: 'text', nullable: true })
  resolvedBy!: string | null;

  @Column({ type: 'text', nullable: true })
  resolution!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;
}

/** A processor payout to the bank seen by a run, with the sum of what it swept. */
@Entity({ schema: 'billing', name: 'reconciliation_payouts' })
export class ReconciliationPayout {
  /** po_… */
  @PrimaryColumn({ type: 'text' })
  payoutId!: string;

  @Column({ type: 'text' })
  runId!: string;

  @MinorUnits()
  amount!: number;

  @Column({ type: 'text' })
  currency!: string;

  @Column({ type: 'text' })
  status!: string;

  @Column({ type: 'boolean' })
  automatic!: boolean;

  /** The net of the balance transactions it swept (automatic payouts; null for manual ones). */
  @MinorUnits({ nullable: true })
  sweptNet!: number | null;

  @Column({ type: 'timestamptz' })
  arrivalDate!: Date;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}

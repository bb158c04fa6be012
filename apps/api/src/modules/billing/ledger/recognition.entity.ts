import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../../platform/database/transformers';
import type { RevenueKind } from './chart-of-accounts';

/** How a product kind earns its revenue (docs/finance.md "Recognition policies"). */
export type RecognitionMethod = 'point_in_time' | 'service_period' | 'expected_duration';

/** The recognition policy of one product kind: data, changed by staff with an audit row. */
@Entity({ schema: 'billing', name: 'recognition_policies' })
@Check(
  'ck_recognition_policies_method',
  `"method" IN ('point_in_time', 'service_period', 'expected_duration')`,
)
@Check(
  'ck_recognition_policies_duration',
  `("method" = 'expected_duration') = ("duration_days" IS NOT NULL) AND ("duration_days" IS NULL OR "duration_days" BETWEEN 1 AND 3660)`,
)
export class RecognitionPolicy {
  @PrimaryColumn({ type: 'text' })
  productKind!: RevenueKind;

  @Column({ type: 'text' })
  method!: RecognitionMethod;

  /** Days of an `expected_duration` policy; null otherwise. */
  @Column({ type: 'integer', nullable: true })
  durationDays!: number | null;

  @Column({ type: 'text' })
  description!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  @Column({ type: 'text', nullable: true })
  updatedBy!: string | null;
}

/**
 * The recognition schedule of one invoice line earned over time: its net amount (amount − discount)
 * was credited to deferred revenue when the invoice was finalized and moves to `account` day by day
 * from `firstDay` to `lastDay`. `basis*` is where the current straight line starts: a credit or void
 * re-spreads what is left over the days not yet recognized.
 */
@Entity({ schema: 'billing', name: 'revenue_schedules' })
@Check('ck_revenue_schedules_days', '"first_day" <= "last_day"')
@Index('uq_revenue_schedules_line', ['invoiceId', 'linePosition'], { unique: true })
@Index('ix_revenue_schedules_pending', ['lastDay', 'recognizedThrough'])
export class RevenueSchedule {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  invoiceId!: string;

  @Column({ type: 'integer' })
  linePosition!: number;

  @Column({ type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  productKind!: RevenueKind;

  /** The revenue account the schedule recognizes into. */
  @Column({ type: 'text' })
  account!: string;

  @Column({ type: 'text' })
  currency!: string;

  /** The net amount deferred at finalization (negative for a proration credit). */
  @MinorUnits()
  amount!: number;

  @Column({ type: 'timestamptz' })
  startAt!: Date;

  @Column({ type: 'timestamptz' })
  endAt!: Date;

  /** First and last calendar day (UTC) recognized: the start date up to the day before the end date. */
  @Column({ type: 'date' })
  firstDay!: string;

  @Column({ type: 'date' })
  lastDay!: string;

  /** Recognized so far (net of recognition taken back by a void). */
  @MinorUnits({ default: 0 })
  recognized!: number;

  /** Taken off the unrecognized remainder by credit notes, refunds and voids. */
  @MinorUnits({ default: 0 })
  reduced!: number;

  /** What credit notes gave back against the line, deferred and recognized parts together. */
  @MinorUnits({ default: 0 })
  credited!: number;

  /** The last day recognized; null before the first. */
  @Column({ type: 'date', nullable: true })
  recognizedThrough!: string | null;

  @Column({ type: 'date' })
  basisStart!: string;

  @MinorUnits()
  basisAmount!: number;

  @MinorUnits({ default: 0 })
  basisRecognized!: number;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}

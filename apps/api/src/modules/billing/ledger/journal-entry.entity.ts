import { Check, Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { MinorUnits } from '../../../platform/database/transformers';
import type { RevenueKind } from './chart-of-accounts';

/** What a journal entry records: the row whose state change moved the money. */
export type LedgerSourceType =
  | 'invoice'
  | 'charge'
  | 'refund'
  | 'credit_note'
  | 'customer_balance_transaction'
  | 'dispute'
  | 'trader_payout'
  | 'processor_balance_transaction'
  | 'processor_payout'
  | 'journal_entry'
  /** A revenue recognition schedule (one invoice line earned over time). */
  | 'revenue_schedule';

/** An account of the chart, as data: journal lines reference it. */
@Entity({ schema: 'billing', name: 'ledger_accounts' })
export class LedgerAccount {
  @PrimaryColumn({ type: 'text' })
  code!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'text' })
  normalSide!: string;

  @Column({ type: 'boolean' })
  clearing!: boolean;

  @Column({ type: 'text' })
  description!: string;
}

/**
 * One balanced movement of money, posted in the transaction of the state change it records.
 * Append-only (the database refuses UPDATE, DELETE and TRUNCATE): a correction is a reversing entry.
 * Idempotent per source event: (source type, source id, event) is unique.
 */
@Entity({ schema: 'billing', name: 'journal_entries' })
@Index('uq_journal_entries_source_event', ['sourceType', 'sourceId', 'event'], { unique: true })
@Index('ix_journal_entries_customer', ['customerId', 'occurredAt'])
@Index('ix_journal_entries_occurred_at', ['occurredAt'])
export class JournalEntry {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  sourceType!: LedgerSourceType;

  @Column({ type: 'text' })
  sourceId!: string;

  /** What happened to the source, e.g. `invoice.finalized`, `charge.succeeded`, `refund.settled`. */
  @Column({ type: 'text' })
  event!: string;

  /** When the money moved (the business date reports and the trial balance use). */
  @Column({ type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  postedAt!: Date;

  @Column({ type: 'text', nullable: true })
  customerId!: string | null;

  @Column({ type: 'text', nullable: true })
  memo!: string | null;

  /** Set on a reversing entry: the entry it cancels. */
  @Index('uq_journal_entries_reverses', { unique: true, where: '"reverses_entry_id" IS NOT NULL' })
  @Column({ type: 'text', nullable: true })
  reversesEntryId!: string | null;
}

/** One debit or credit of an entry on one account, in one currency. */
@Entity({ schema: 'billing', name: 'journal_lines' })
@Index('ix_journal_lines_entry', ['entryId'])
@Index('ix_journal_lines_account_currency', ['account', 'currency', 'occurredAt'])
@Index('ix_journal_lines_customer', ['customerId', 'occurredAt'])
@Check('ck_journal_lines_one_side', '"debit" >= 0 AND "credit" >= 0 AND ("debit" = 0) <> ("credit" = 0)')
export class JournalLine {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'text' })
  entryId!: string;

  @Column({ type: 'text' })
  account!: string;

  @Column({ type: 'text' })
  currency!: string;

  @MinorUnits({ default: 0 })
  debit!: number;

  @MinorUnits({ default: 0 })
  credit!: number;

  /** The customer a receivable, credit or revenue line belongs to (the customer sub-ledger). */
  @Column({ type: 'text', nullable: true })
  customerId!: string | null;

  /** Copied from the entry so balances at a date read one table. */
  @Column({ type: 'timestamptz' })
  occurredAt!: Date;

  /**
   * The product kind the line is about (evaluation, instant_funded, reset, subscription, add_on,
   * usage), so contra-revenue lines (discounts, refunds) can be reported per kind; null when none
   * applies or it is not known (reported as 'unassigned').
   */
  @Column({ type: 'text', nullable: true })
  productKind!: RevenueKind | null;

  /** FX snapshot to the reporting currency (fx/fx-snapshot.ts), taken when written; null when no rate was known. */
  @Column({ type: 'text', nullable: true })
  reportingCurrency!: string | null;

  @Column({ type: 'text', nullable: true })
  fxRate!: string | null;

  @Column({ type: 'text', nullable: true })
  fxSource!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  fxAsOf!: Date | null;
}

import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../platform/database/transformers';

export type PayoutLedgerKind = 'reservation' | 'release' | 'payment' | 'fee_refund';
/** Ledger accounts: the trader's share owed, reserved for a payout, paid out; the fee and its refund. */
export type PayoutLedgerAccount =
  'trader_share' | 'reserved' | 'paid_out' | 'evaluation_fee' | 'fee_refunded';

/**
 * One money movement, double-entry in a single row (debit one ledger account, credit another by the
 * same amount), so the ledger balances by construction. Append-only: a trigger refuses changes.
 */
@Entity({ schema: 'payouts', name: 'ledger_entries' })
@Index('ix_ledger_entries_account', ['accountId', 'kind'])
@Index('uq_ledger_entries_payout_kind', ['payoutId', 'kind'], { unique: true })
@Index('uq_ledger_entries_one_fee_refund', ['accountId'], { unique: true, where: `"kind" = 'fee_refund'` })
@Check('ck_ledger_entries_amount', '"amount" >= 0')
@Check('ck_ledger_entries_two_sides', '"debit_account" <> "credit_account"')
export class PayoutLedgerEntry {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  accountId!: string;

  @Column({ type: 'text' })
  payoutId!: string;

  @Column({ type: 'text' })
  kind!: PayoutLedgerKind;

  @Column({ type: 'text' })
  debitAccount!: PayoutLedgerAccount;

  @Column({ type: 'text' })
  creditAccount!: PayoutLedgerAccount;

  @MinorUnits()
  amount!: number;

  @Column({ type: 'text' })
  currency!: string;

  /** The billing refund of a fee_refund entry. */
  @Column({ type: 'text', nullable: true })
  reference!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}

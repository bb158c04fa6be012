import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../../platform/database/transformers';

/** What a customer is owed by us in one currency, spent on their next invoices. */
@Entity({ schema: 'billing', name: 'customer_balances' })
@Check('ck_customer_balances_non_negative', '"balance" >= 0')
export class CustomerBalance {
  @PrimaryColumn({ type: 'text' })
  customerId!: string;

  @PrimaryColumn({ type: 'text' })
  currency!: string;

  @MinorUnits()
  balance!: number;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}

export type BalanceTransactionKind =
  | 'downgrade_credit'
  | 'cancellation_credit'
  | 'goodwill_credit'
  | 'applied_to_invoice'
  | 'invoice_voided'
  | 'adjustment';

/** One movement of a customer balance; append-only (the database refuses UPDATE and DELETE). */
@Entity({ schema: 'billing', name: 'customer_balance_transactions' })
@Index('ix_customer_balance_transactions_customer', ['customerId', 'id'])
@Index('uq_customer_balance_transactions_reference', ['reference'], { unique: true })
export class CustomerBalanceTransaction {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  currency!: string;

  /** Positive credits the customer, negative spends the credit. */
  @MinorUnits()
  amount!: number;

  @MinorUnits()
  balanceAfter!: number;

  @Column({ type: 'text' })
  kind!: BalanceTransactionKind;

  /** Makes each movement happen once: e.g. `invoice:<id>:credit` or the admin's idempotency key. */
  @Column({ type: 'text' })
  reference!: string;

  @Column({ type: 'text', nullable: true })
  invoiceId!: string | null;

  @Column({ type: 'text', nullable: true })
  subscriptionId!: string | null;

  @Column({ type: 'text' })
  description!: string;

  @Column({ type: 'text' })
  createdBy!: string;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}

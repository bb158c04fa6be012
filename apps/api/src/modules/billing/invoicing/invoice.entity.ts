import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { InvoiceBillingReason } from '@astrix/contracts';
import { MinorUnits } from '../../../platform/database/transformers';
import type { TaxTreatment } from '../tax/tax-decision';

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

export interface PartyDetails {
  name: string;
  address: string;
  taxId: string | null;
}

@Entity({ schema: 'billing', name: 'invoices' })
@Index('ix_invoices_user', ['userId', 'id'])
@Index('ix_invoices_subscription', ['subscriptionId', 'id'], { where: '"subscription_id" IS NOT NULL' })
@Index('ix_invoices_customer', ['customerId', 'id'])
export class Invoice {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  /** Gap-free per series, e.g. AST-2026-000001. */
  @Index('uq_invoices_number', { unique: true })
  @Column({ type: 'text' })
  number!: string;

  @Column({ type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  userId!: string;

  @Column({ type: 'text', nullable: true })
  customerEmail!: string | null;

  @Index('uq_invoices_charge_id', { unique: true, where: '"charge_id" IS NOT NULL' })
  @Column({ type: 'text', nullable: true })
  chargeId!: string | null;

  @Column({ type: 'text' })
  status!: InvoiceStatus;

  @Column({ type: 'text' })
  currency!: string;

  @MinorUnits()
  subtotal!: number;

  @MinorUnits()
  discount!: number;

  @MinorUnits()
  tax!: number;

  @MinorUnits()
  total!: number;

  @MinorUnits()
  amountPaid!: number;

  @Column({ type: 'jsonb' })
  seller!: PartyDetails;

  @Column({ type: 'timestamptz' })
  issuedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  paidAt!: Date | null;

  @Column({ type: 'text', default: 'purchase' })
  billingReason!: InvoiceBillingReason;

  @Column({ type: 'text', nullable: true })
  subscriptionId!: string | null;

  /** The service period the invoice's plan lines cover. */
  @Column({ type: 'timestamptz', nullable: true })
  periodStart!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  periodEnd!: Date | null;

  /**
   * One invoice per (subscription, period, reason): a retried, duplicated or concurrent billing
   * run finds the key taken and issues nothing.
   */
  @Index('uq_invoices_idempotency_key', { unique: true })
  @Column({ type: 'text', nullable: true })
  idempotencyKey!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  dueAt!: Date | null;

  /** Customer balance spent on this invoice (minor units, zero or more). */
  @MinorUnits({ default: 0 })
  creditApplied!: number;

  /** What is left to collect: total − credit applied − paid. */
  @MinorUnits({ default: 0 })
  amountDue!: number;

  /** Collection attempts made (each one its own PaymentIntent idempotency key). */
  @Column({ type: 'integer', default: 0 })
  attemptCount!: number;

  @Column({ type: 'text', nullable: true })
  paymentIntentId!: string | null;

  /** Where the customer confirms a payment that needs 3-D Secure. */
  @Column({ type: 'text', nullable: true })
  actionUrl!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  voidedAt!: Date | null;

  /** On a regenerated invoice: the voided invoice it replaces (each is replaced at most once). */
  @Index('uq_invoices_regenerated_from', { unique: true, where: '"regenerated_from_invoice_id" IS NOT NULL' })
  @Column({ type: 'text', nullable: true })
  regeneratedFromInvoiceId!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  markedUncollectibleAt!: Date | null;

  /** How the invoice was taxed (tax/tax-decision.ts); null on invoices issued before tax. */
  @Column({ type: 'text', nullable: true })
  taxTreatment!: TaxTreatment | null;

  /** The jurisdiction taxed (the customer's country, and region when it has its own rate). */
  @Column({ type: 'text', nullable: true })
  taxCountry!: string | null;

  @Column({ type: 'text', nullable: true })
  taxRegion!: string | null;

  /** The customer's VAT id as checked when issued (a reverse-charge invoice must show it). */
  @Column({ type: 'text', nullable: true })
  customerVatId!: string | null;

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

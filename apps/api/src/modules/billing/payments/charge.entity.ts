import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { MinorUnits } from '../../../platform/database/transformers';

export type ChargeStatus = 'succeeded' | 'partially_refunded' | 'refunded' | 'disputed';

/** Money we received: one per paid checkout session, whatever webhooks announced it. */
@Entity({ schema: 'billing', name: 'charges' })
@Index('ix_charges_user', ['userId', 'id'])
// The fraud rules count charges per card and per user within time windows.
@Index('ix_charges_card_fingerprint', ['cardFingerprint', 'paidAt'])
@Index('ix_charges_user_paid_at', ['userId', 'paidAt'])
// The last line of defence against refunding more than was paid.
@Check(
  'ck_charges_refunded_within_amount',
  '"amount" > 0 AND "amount_refunded" >= 0 AND "amount_refunded" <= "amount"',
)
export class Charge {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  userId!: string;

  /** Null for subscription invoices, which are collected without a checkout session. */
  @Index('uq_charges_checkout_session_id', { unique: true })
  @Column({ type: 'text', nullable: true })
  checkoutSessionId!: string | null;

  @Column({ type: 'text' })
  productId!: string;

  @MinorUnits()
  amount!: number;

  @Column({ type: 'text' })
  currency!: string;

  @MinorUnits({ default: 0 })
  amountRefunded!: number;

  @Column({ type: 'text' })
  status!: ChargeStatus;

  @Index('uq_charges_stripe_payment_intent_id', { unique: true })
  @Column({ type: 'text', nullable: true })
  stripePaymentIntentId!: string | null;

  @Index('uq_charges_stripe_charge_id', { unique: true })
  @Column({ type: 'text', nullable: true })
  stripeChargeId!: string | null;

  @Column({ type: 'text', nullable: true })
  cardBrand!: string | null;

  @Column({ type: 'text', nullable: true })
  cardLast4!: string | null;

  @Column({ type: 'text', nullable: true })
  cardFingerprint!: string | null;

  @Column({ type: 'text', nullable: true })
  cardCountry!: string | null;

  @Column({ type: 'text', nullable: true })
  riskLevel!: string | null;

  @Column({ type: 'integer', nullable: true })
  riskScore!: number | null;

  @Column({ type: 'text', nullable: true })
  couponId!: string | null;

  @MinorUnits({ default: 0 })
  discountAmount!: number;

  @Column({ type: 'text', nullable: true })
  invoiceId!: string | null;

  @Column({ type: 'timestamptz' })
  paidAt!: Date;
}

import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { SubscriptionStatus } from '@astrix/contracts';
import { MinorUnits } from '../../../platform/database/transformers';

export type SubscriptionInterval = 'month' | 'year';

/** A plan change waiting for the end of the current period (downgrades, or on request). */
export interface ScheduledPlanChange {
  productId: string;
  priceId: string;
  unitAmount: number;
  quantity: number;
  requestedAt: string;
}

/**
 * A customer's recurring plan. Billing decides what to charge and when: the billing run invoices
 * each period when it ends (in advance for the plan, in arrears for usage); Stripe only collects.
 */
@Entity({ schema: 'billing', name: 'subscriptions' })
@Check('ck_subscriptions_quantity', '"quantity" >= 1')
@Check('ck_subscriptions_period', '"current_period_end" > "current_period_start"')
@Check('ck_subscriptions_coupon_periods', '"coupon_periods_billed" >= 0')
@Check('ck_subscriptions_billing_anchor_day', '"billing_anchor_day" BETWEEN 1 AND 28')
@Index('ix_subscriptions_customer', ['customerId', 'id'])
@Index('ix_subscriptions_user', ['userId', 'id'])
// Trials a customer already had in a plan family.
@Index('ix_subscriptions_trial_family', ['customerId', 'trialFamily'], {
  where: '"trial_family" IS NOT NULL',
})
@Check('ck_subscriptions_trial_overage', `"trial_overage" IN ('refuse', 'bill')`)
// The billing run's work list: subscriptions whose period has ended.
@Index('ix_subscriptions_due', ['currentPeriodEnd', 'id'], {
  where: `"status" IN ('trialing', 'active', 'past_due')`,
})
export class Subscription {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  userId!: string;

  /** The plan: a catalog product of kind subscription. */
  @Column({ type: 'text' })
  productId!: string;

  @Column({ type: 'text' })
  priceId!: string;

  @Column({ type: 'text' })
  currency!: string;

  /** Price per seat per period, copied from the price when subscribed or changed. */
  @MinorUnits()
  unitAmount!: number;

  /** Seats. */
  @Column({ type: 'integer' })
  quantity!: number;

  @Column({ type: 'text' })
  status!: SubscriptionStatus;

  @Column({ type: 'text' })
  interval!: SubscriptionInterval;

  @Column({ type: 'integer' })
  intervalCount!: number;

  /** Periods start on this instant's day of month and time of day (month-end clamped). */
  @Column({ type: 'timestamptz' })
  billingAnchor!: Date;

  /**
   * The day of month (1–28) chosen for billing, periods starting at midnight UTC that day; null when
   * periods are anchored on when billing started (`billingAnchor`, month-end clamped).
   */
  @Column({ type: 'integer', nullable: true })
  billingAnchorDay!: number | null;

  @Column({ type: 'timestamptz', nullable: true })
  trialEnd!: Date | null;

  /** The plan family the trial counted in (one trial per customer and family); null without a trial. */
  @Column({ type: 'text', nullable: true })
  trialFamily!: string | null;

  /** Usage beyond the allowance during the trial: refused or billed (the plan's, at subscribe). */
  @Column({ type: 'text', nullable: true })
  trialOverage!: 'refuse' | 'bill' | null;

  /** The staff member who granted a trial other than the plan's (audited); null for the plan's own. */
  @Column({ type: 'text', nullable: true })
  trialGrantedBy!: string | null;

  @Column({ type: 'timestamptz' })
  currentPeriodStart!: Date;

  @Column({ type: 'timestamptz' })
  currentPeriodEnd!: Date;

  @Column({ type: 'boolean', default: false })
  cancelAtPeriodEnd!: boolean;

  @Column({ type: 'timestamptz', nullable: true })
  canceledAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  pausedAt!: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  scheduledChange!: ScheduledPlanChange | null;

  /** The coupon redeemed when the subscription started; it discounts period invoices while its duration lasts. */
  @Column({ type: 'text', nullable: true })
  couponId!: string | null;

  /** Period invoices issued since the coupon was redeemed: the next one is coupon period number this. */
  @Column({ type: 'integer', default: 0 })
  couponPeriodsBilled!: number;

  /** The invoice whose payment decides incomplete → active. */
  @Column({ type: 'text', nullable: true })
  latestInvoiceId!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}

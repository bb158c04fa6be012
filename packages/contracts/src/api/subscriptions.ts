import type { MoneyView } from './billing';

export type SubscriptionStatus = 'incomplete' | 'trialing' | 'active' | 'past_due' | 'paused' | 'canceled';

/** Every status a subscription may move to from each status; anything else is a 409. */
export const SUBSCRIPTION_TRANSITIONS: { readonly [S in SubscriptionStatus]: readonly SubscriptionStatus[] } =
  {
    incomplete: ['trialing', 'active', 'canceled'],
    trialing: ['active', 'past_due', 'canceled', 'paused'],
    active: ['past_due', 'canceled', 'paused'],
    past_due: ['active', 'canceled', 'paused'],
    paused: ['active', 'canceled'],
    // Reactivation within the grace after the subscription ended: a fresh period, billed at once.
    canceled: ['active'],
  };

export interface ScheduledChangeView {
  productId: string;
  priceId: string;
  quantity: number;
  unitAmount: MoneyView;
  effectiveAt: string;
}

export interface SubscriptionView {
  id: string;
  customerId: string;
  userId: string;
  productId: string;
  priceId: string;
  status: SubscriptionStatus;
  quantity: number;
  /** Per seat per period. */
  unitAmount: MoneyView;
  interval: 'month' | 'year';
  intervalCount: number;
  trialEnd: string | null;
  currentPeriodStart: string;
  currentPeriodEnd: string;
  cancelAtPeriodEnd: boolean;
  canceledAt: string | null;
  endedAt: string | null;
  pausedAt: string | null;
  scheduledChange: ScheduledChangeView | null;
  /** The coupon redeemed at subscribe; it discounts period invoices while its duration lasts. */
  couponId: string | null;
  /** Period invoices issued since the coupon was redeemed. */
  couponPeriodsBilled: number;
  /** The day of month (1–28) periods start on, at midnight UTC; null: on the day billing started. */
  billingAnchorDay: number | null;
  latestInvoiceId: string | null;
  createdAt: string;
}

export interface CreateSubscriptionRequest {
  /** A catalog product of kind subscription. */
  productId: string;
  currency: string;
  /** Seats; default 1. */
  quantity?: number;
  /**
   * At most the plan's trial length: 0 declines the trial (the default payment method is charged at
   * once), more than the plan's is refused (422). Staff grant longer trials through the admin API.
   */
  trialDays?: number;
  /**
   * Redeemed when the subscription starts (limits counted then). It discounts the plan and usage
   * lines of period invoices: once, for N period invoices, or forever; not proration invoices.
   */
  couponCode?: string;
  /**
   * Day of month (1–28) on which periods start, at midnight UTC. The first paid period runs from
   * when billing starts (now, or the trial's end) to the next such day and is prorated by the second;
   * full periods follow. Default: periods start on the day and time billing started.
   */
  billingAnchorDay?: number;
}

export type ProrationBehavior = 'create_prorations' | 'none';

export interface ChangePlanRequest {
  /** The new plan; default: keep the current one (quantity change). */
  productId?: string;
  quantity?: number;
  /**
   * `now` (prorated) or `period_end` (scheduled). Default: upgrades now, downgrades at period end.
   * A plan on another billing interval always changes now (a new period starts), `period_end` is refused.
   */
  when?: 'now' | 'period_end';
}

export interface CancelSubscriptionRequest {
  /** Default true: keep the service until the period ends. */
  atPeriodEnd?: boolean;
  /**
   * Canceling now only: credit the unused, paid part of the period (net of discounts) to the
   * customer balance through a credit invoice. Default false.
   */
  prorate?: boolean;
}

export interface UpcomingInvoiceLineView {
  kind: 'plan' | 'proration_credit' | 'proration_charge' | 'usage';
  description: string;
  quantity: number;
  unitAmount: MoneyView;
  amount: MoneyView;
  /** The coupon's share of this line. */
  discount: MoneyView;
  periodStart: string | null;
  periodEnd: string | null;
}

/** The invoice the subscription would get next; computed, never stored. */
export interface UpcomingInvoiceView {
  subscriptionId: string;
  currency: string;
  periodStart: string;
  periodEnd: string;
  lines: UpcomingInvoiceLineView[];
  subtotal: number;
  discount: number;
  /** Customer balance that would be applied. */
  creditApplied: number;
  total: number;
  amountDue: number;
  /** When the billing run will issue it. */
  issuesAt: string;
}

export interface PaymentMethodView {
  id: string;
  type: string;
  brand: string | null;
  last4: string | null;
  expMonth: number | null;
  expYear: number | null;
  isDefault: boolean;
  createdAt: string;
}

export interface SetupIntentView {
  id: string;
  status: string;
  /** Handed to the payment form (Stripe.js confirmCardSetup); null in sandbox mode. */
  clientSecret: string | null;
  /** Sandbox mode: a page where the card can be entered without Stripe.js. */
  nextActionUrl: string | null;
}

export interface CreateSetupIntentRequest {
  /** Sandbox and tests: a test payment method token (pm_card_visa) confirmed at once. */
  paymentMethodId?: string;
}

export interface PortalSessionView {
  url: string;
}

export interface CustomerBalanceView {
  customerId: string;
  balances: MoneyView[];
}

export interface BalanceTransactionView {
  id: string;
  amount: MoneyView;
  balanceAfter: MoneyView;
  kind:
    | 'downgrade_credit'
    | 'cancellation_credit'
    | 'goodwill_credit'
    | 'applied_to_invoice'
    | 'invoice_voided'
    | 'adjustment';
  description: string;
  invoiceId: string | null;
  subscriptionId: string | null;
  createdBy: string;
  createdAt: string;
}

export interface GoodwillCreditRequest {
  amount: number;
  currency: string;
  reason: string;
}

export type DunningStatus = 'active' | 'paused' | 'recovered' | 'exhausted' | 'closed';

export interface DunningView {
  invoiceId: string;
  subscriptionId: string;
  customerId: string;
  status: DunningStatus;
  failedAttempts: number;
  retryDays: number[];
  finalAction: 'pause' | 'cancel';
  nextAttemptAt: string | null;
  lastFailure: { code: string | null; message: string | null } | null;
  startedAt: string;
  resolvedAt: string | null;
}

export interface BillingRunView {
  id: string;
  trigger: 'schedule' | 'manual';
  status: 'running' | 'completed' | 'failed';
  asOf: string;
  progress: {
    done: number;
    invoicesCreated: number;
    periodsClosed: number;
    failed: number;
    remaining: number;
  };
  failures: Array<{ subscriptionId: string; error: string }>;
  requestedBy: string;
  startedAt: string;
  finishedAt: string | null;
}

export interface StartBillingRunRequest {
  /** Invoice periods that ended by this instant; default now. */
  asOf?: string;
}

/** Events produced by the billing context. Amounts are integer minor units of `currency`. */
export type ProductKind = 'evaluation' | 'instant_funded' | 'reset' | 'subscription' | 'add_on';

/** What a payment paid for: a checkout purchase, or an invoice (a subscription's, collected off-session). */
export type PaymentPurpose = 'purchase' | 'invoice';

/**
 * The account terms a purchase bought, copied from the product when the payment was recorded: a
 * product edited later cannot change what provisioning creates. Sizes in whole currency units,
 * percents as decimal strings; null where the product did not say.
 */
export interface AccountTermsSnapshot {
  accountSize: number;
  phases: number | null;
  /** Profit target per phase, in percent of the starting balance. */
  profitTargetPercent: string[];
  maxDailyLossPercent: string | null;
  maxTotalLossPercent: string | null;
  minTradingDays: number | null;
  platform: string | null;
}

/** v2: says what was paid for, carries the account terms bought, and covers invoice payments. */
export interface PaymentCompletedData {
  chargeId: string;
  userId: string;
  customerId: string;
  /** `purchase`: provisions or resets accounts; `invoice`: pays an invoice (provisions nothing). */
  paidFor: PaymentPurpose;
  /** The checkout session of a purchase; null for an invoice payment. */
  checkoutSessionId: string | null;
  /** The subscription an invoice payment renews or starts; null for purchases. */
  subscriptionId: string | null;
  productId: string;
  productKind: ProductKind;
  /** Account size in whole currency units (e.g. 50000 for a 50k evaluation), when the product has one. */
  accountSize: number | null;
  /** The terms of the account a purchase bought; null for invoices and products without an account. */
  accountTerms: AccountTermsSnapshot | null;
  /** The account a reset (or add-on) applies to. */
  accountId: string | null;
  amount: number;
  currency: string;
  discountAmount: number;
  couponCode: string | null;
  /** The purchase's receipt, or the invoice that was paid. */
  invoiceId: string;
  paymentIntentId: string | null;
  paidAt: string;
}

/** v2: a declined or failed payment of a checkout purchase or of an invoice collection attempt. */
export interface PaymentFailedData {
  paidFor: PaymentPurpose;
  /** The checkout session of a purchase; null for an invoice. */
  checkoutSessionId: string | null;
  /** The invoice being collected; null for a purchase. */
  invoiceId: string | null;
  subscriptionId: string | null;
  /** The invoice's collection attempt (1, 2, …); null for a purchase. */
  attempt: number | null;
  userId: string;
  customerId: string;
  /** What was being bought; null for an invoice without a subscription. */
  productId: string | null;
  amount: number;
  currency: string;
  reason: string;
  declineCode: string | null;
}

export interface RefundProcessedData {
  refundId: string;
  chargeId: string;
  userId: string;
  amount: number;
  currency: string;
  reason: string;
  creditNoteId: string | null;
  /** True when the charge has nothing left to refund. */
  fullyRefunded: boolean;
}

export interface SubscriptionUpdatedData {
  subscriptionId: string;
  userId: string;
  productId: string;
  /** Status before the change; null when the subscription was just created. */
  from: string | null;
  /** Status after the change. */
  to: string;
  currentPeriodEnd: string | null;
  /** What changed (absent on events emitted before subscriptions had their own engine). */
  change?: SubscriptionChangeKind;
  customerId?: string;
  quantity?: number;
  cancelAtPeriodEnd?: boolean;
}

export type SubscriptionChangeKind =
  | 'created'
  | 'status_changed'
  | 'plan_changed'
  | 'change_scheduled'
  | 'cancel_scheduled'
  | 'reactivated'
  | 'renewed'
  /** Staff granted a trial other than the plan's: `trialEnd` and the period end moved. */
  | 'trial_changed';

export type InvoiceBillingReason =
  'purchase' | 'subscription_create' | 'subscription_cycle' | 'subscription_update' | 'manual';

/** An invoice at the moment of the event. */
export interface InvoiceEventData {
  invoiceId: string;
  number: string;
  customerId: string;
  userId: string;
  subscriptionId: string | null;
  billingReason: InvoiceBillingReason;
  status: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
  currency: string;
  total: number;
  amountDue: number;
  periodStart: string | null;
  periodEnd: string | null;
  dueAt: string | null;
}

/**
 * A new invoice. `hostedInvoiceUrl` is a signed link to its hosted page (HTML with the PDF) that
 * opens without a bearer token until `hostedInvoiceUrlExpiresAt`: what an email to the customer
 * links to. Anyone holding it reads that invoice, so pass it to the customer only. Absent on events
 * written before the link existed (a fresh one: GET /v1/billing/invoices/:id/hosted-link).
 */
export interface InvoiceFinalizedData extends InvoiceEventData {
  hostedInvoiceUrl?: string;
  hostedInvoiceUrlExpiresAt?: string;
}

/**
 * Staff regenerated a voided invoice: this is the replacement (its own `billing.invoice.finalized`
 * comes too), naming the voided invoice it replaces. Once per voided invoice.
 */
export interface InvoiceRegeneratedData extends InvoiceEventData {
  regeneratedFromInvoiceId: string;
  regeneratedFromNumber: string;
}

/** The invoice is paid; `paidLate` when the money came after it was written off (uncollectible → paid). */
export interface InvoicePaidData extends InvoiceEventData {
  paidLate?: boolean;
}

/**
 * Money arrived for an invoice that did not need it (already paid by another payment, void, or
 * uncollectible through a payment that was not its own): it was recorded as a charge and refunded
 * in full automatically. `refundId` is null only when a refund of that charge already existed.
 */
export interface PaymentDuplicateRefundedData {
  chargeId: string;
  refundId: string | null;
  invoiceId: string;
  /** The invoice's status when the money arrived. */
  invoiceStatus: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
  /** The payment the invoice kept, if any. */
  keptChargeId: string | null;
  paymentIntentId: string;
  customerId: string;
  userId: string;
  subscriptionId: string | null;
  amount: number;
  currency: string;
  /** The refund's status when the event was written: pending until the processor answers. */
  refundStatus: 'pending' | 'succeeded' | 'failed' | 'canceled' | null;
}

/**
 * A checkout payment whose coupon redemption was refused when the money arrived (the coupon's limits
 * were lowered after the session reserved it): the discount is not kept. With the setting
 * `refund_payment` the payment is refunded in full and nothing is provisioned.
 */
export interface PaymentCouponRefusedData {
  chargeId: string;
  checkoutSessionId: string;
  customerId: string;
  userId: string;
  productId: string;
  couponId: string;
  couponCode: string;
  reason: 'redemption_limit_reached' | 'customer_limit_reached';
  /** What was done about it (COUPON_REFUSED_AT_PAYMENT). */
  outcome: 'refund_payment';
  refundId: string | null;
  /** The refund's status when the event was written: pending until the processor answers. */
  refundStatus: 'pending' | 'succeeded' | 'failed' | 'canceled' | null;
  amount: number;
  discountAmount: number;
  currency: string;
}

export interface InvoicePaymentFailedData extends InvoiceEventData {
  attempt: number;
  failureCode: string | null;
  failureMessage: string | null;
  /** When dunning retries next; null when no retry is scheduled. */
  nextAttemptAt: string | null;
}

/** The bank wants the customer to confirm (3-D Secure): notifications send them the link. */
export interface InvoicePaymentActionRequiredData extends InvoiceEventData {
  attempt: number;
  actionUrl: string;
}

export interface FraudFlaggedData {
  customerId: string;
  userId: string;
  severity: 'low' | 'medium' | 'high' | 'critical' | 'blocked';
  signalIds: string[];
  reason: string;
}

export type DisputeStatus = 'needs_response' | 'under_review' | 'won' | 'lost' | 'warning' | 'other';

export interface DisputeData {
  disputeId: string;
  chargeId: string;
  userId: string;
  amount: number;
  currency: string;
  reason: string;
  status: DisputeStatus;
  evidenceDueBy: string | null;
  /** What the dispute cost us beyond the disputed amount (processor fee), minor units. */
  feeAmount: number;
  /** The disputed amount we lost (0 unless lost). */
  lostAmount: number;
}

/** Staff asked for a receipt to be sent to the customer again (the notifications service sends it). */
export interface ReceiptResendRequestedData {
  invoiceId: string;
  invoiceNumber: string;
  userId: string;
  customerId: string;
  /** Where to send it: the invoice's address unless staff named another. */
  email: string | null;
  requestedBy: string;
}

/** A reconciliation of a day against the processor finished (a re-run reports the same counts). */
export interface ReconciliationCompletedData {
  reconciliationId: string;
  /** The UTC day, YYYY-MM-DD. */
  date: string;
  account: string;
  balanceTransactions: number;
  matched: number;
  unmatchedInStripe: number;
  unmatchedInBooks: number;
  amountMismatch: number;
  feeMismatch: number;
  payouts: number;
  payoutMismatch: number;
  /** Exceptions raised by the run, all kinds. */
  exceptions: number;
  /** No exception at all. */
  clean: boolean;
}

export interface BillingEventDataByType {
  'billing.payment.completed': PaymentCompletedData;
  'billing.payment.failed': PaymentFailedData;
  'billing.refund.processed': RefundProcessedData;
  'billing.payment.duplicate_refunded': PaymentDuplicateRefundedData;
  'billing.payment.coupon_refused': PaymentCouponRefusedData;
  'billing.subscription.updated': SubscriptionUpdatedData;
  'billing.invoice.finalized': InvoiceFinalizedData;
  'billing.invoice.paid': InvoicePaidData;
  'billing.invoice.payment_failed': InvoicePaymentFailedData;
  'billing.invoice.payment_action_required': InvoicePaymentActionRequiredData;
  'billing.invoice.voided': InvoiceEventData;
  'billing.invoice.regenerated': InvoiceRegeneratedData;
  'billing.invoice.marked_uncollectible': InvoiceEventData;
  'billing.fraud.flagged': FraudFlaggedData;
  'billing.dispute.created': DisputeData;
  'billing.dispute.updated': DisputeData;
  'billing.dispute.closed': DisputeData;
  'billing.receipt.resend_requested': ReceiptResendRequestedData;
  'billing.reconciliation.completed': ReconciliationCompletedData;
}

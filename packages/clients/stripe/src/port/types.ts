/**
 * Our vocabulary for what the payment processor holds. Nothing here is Stripe-shaped:
 * processor ids are plain strings, money is an integer count of minor units plus an
 * UPPERCASE ISO 4217 currency code ("USD", "JPY"), times are `Date`s and statuses are our own unions.
 */

/** Uppercase ISO 4217 code, e.g. "USD". The adapter converts to and from Stripe's lowercase codes. */
export type CurrencyCode = string;

/** Free-form string pairs stored with the processor object (Stripe allows 50 keys). */
export type ProcessorMetadata = Record<string, string>;

export interface ListQuery {
  /** 1..100, default 10. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface ProcessorPage<T> {
  data: T[];
  hasMore: boolean;
  /** Pass back as `cursor` to read the next page; null on the last page. */
  nextCursor: string | null;
}

export interface CardDetails {
  /** visa, mastercard, amex... */
  brand: string | null;
  last4: string | null;
  /** Stable per card number across customers: the fraud rules group purchases by it. */
  fingerprint: string | null;
  /** ISO 3166-1 alpha-2 country of the issuing bank. */
  country: string | null;
  expMonth: number;
  expYear: number;
  funding: string | null;
}

/** The processor's risk evaluation of a charge (Stripe Radar's `outcome`). */
export interface RiskOutcome {
  /** e.g. approved_by_network, declined_by_network, not_sent_to_network, reversed_after_approval. */
  networkStatus: string | null;
  /** e.g. authorized, issuer_declined, blocked, manual_review, invalid. */
  type: string;
  /** normal, elevated, highest, not_assessed or unknown. */
  riskLevel: string | null;
  /** 0..100 when the processor scored the payment. */
  riskScore: number | null;
  reason: string | null;
  sellerMessage: string | null;
  /** The fraud rule that blocked or reviewed the payment, if any. */
  ruleId: string | null;
}

export interface ProcessorCustomer {
  id: string;
  email: string | null;
  name: string | null;
  description: string | null;
  phone: string | null;
  /** The saved payment method charged for renewals. */
  defaultPaymentMethodId: string | null;
  metadata: ProcessorMetadata;
  createdAt: Date;
}

export interface CreateCustomerInput {
  email?: string;
  name?: string;
  description?: string;
  phone?: string;
  metadata?: ProcessorMetadata;
}

export interface UpdateCustomerInput {
  email?: string;
  name?: string;
  description?: string;
  phone?: string;
  /** Merged into the stored metadata; an empty string removes a key. */
  metadata?: ProcessorMetadata;
  /** Must already be attached to the customer; null clears it. */
  defaultPaymentMethodId?: string | null;
}

export type CheckoutMode = 'payment' | 'subscription' | 'setup';
export type CheckoutSessionStatus = 'open' | 'complete' | 'expired';
export type CheckoutPaymentStatus = 'paid' | 'unpaid' | 'no_payment_required';
export type RecurringInterval = 'day' | 'week' | 'month' | 'year';

export interface CheckoutLineItem {
  name: string;
  description?: string;
  unitAmountMinor: number;
  currency: CurrencyCode;
  quantity: number;
  /** Required in subscription mode, refused in payment mode. */
  recurring?: { interval: RecurringInterval; intervalCount?: number };
}

export interface CreateCheckoutSessionInput {
  mode: CheckoutMode;
  /** Omit to let the processor collect an email (payment mode) or create a customer (other modes). */
  customerId?: string;
  /** Prefills the email field; cannot be combined with customerId. */
  customerEmail?: string;
  /** Required in payment and subscription mode. */
  lineItems?: CheckoutLineItem[];
  /** Setup mode only: the currency later payments will be in. */
  currency?: CurrencyCode;
  /** May contain `{CHECKOUT_SESSION_ID}`, replaced by the session id on redirect. */
  successUrl: string;
  cancelUrl?: string;
  /** Our own reference (e.g. an order id), echoed back in webhooks. */
  clientReferenceId?: string;
  metadata?: ProcessorMetadata;
  /** Copied onto the payment intent (payment mode), so charge webhooks carry it too. */
  paymentIntentMetadata?: ProcessorMetadata;
  /** Payment mode: keep the card on the customer for off-session renewals. */
  savePaymentMethod?: boolean;
  /** Between 30 minutes and 24 hours from now; the processor's default is 24 hours. */
  expiresAt?: Date;
}

export interface ProcessorCheckoutSession {
  id: string;
  /** Hosted payment page; null once the session is complete or expired. */
  url: string | null;
  mode: CheckoutMode;
  status: CheckoutSessionStatus;
  paymentStatus: CheckoutPaymentStatus;
  customerId: string | null;
  customerEmail: string | null;
  clientReferenceId: string | null;
  amountTotalMinor: number | null;
  currency: CurrencyCode | null;
  paymentIntentId: string | null;
  setupIntentId: string | null;
  subscriptionId: string | null;
  metadata: ProcessorMetadata;
  expiresAt: Date;
  createdAt: Date;
}

export type PaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'succeeded'
  | 'canceled';

export interface PaymentFailure {
  /** Processor error code, e.g. card_declined, authentication_required, expired_card. */
  code: string | null;
  /** Issuer's reason, e.g. generic_decline, insufficient_funds, fraudulent. */
  declineCode: string | null;
  message: string | null;
}

export interface ProcessorPaymentIntent {
  id: string;
  status: PaymentIntentStatus;
  amountMinor: number;
  amountReceivedMinor: number;
  currency: CurrencyCode;
  customerId: string | null;
  paymentMethodId: string | null;
  latestChargeId: string | null;
  description: string | null;
  /** Why the last attempt failed, while the intent waits for another payment method. */
  lastPaymentFailure: PaymentFailure | null;
  /** Where the customer completes 3-D Secure when status is requires_action. */
  nextActionUrl: string | null;
  metadata: ProcessorMetadata;
  createdAt: Date;
  canceledAt: Date | null;
}

export interface CreatePaymentIntentInput {
  amountMinor: number;
  currency: CurrencyCode;
  customerId?: string;
  /** A saved payment method id (or, against the fake or Stripe test mode, a test token such as pm_card_visa). */
  paymentMethodId?: string;
  /** Confirm immediately: a declined card then throws CardDeclinedError. */
  confirm?: boolean;
  /** Merchant-initiated charge of a saved card (renewals); requires confirm and a payment method. */
  offSession?: boolean;
  /** Where the customer returns after 3-D Secure; needed to confirm on-session card payments. */
  returnUrl?: string;
  description?: string;
  receiptEmail?: string;
  metadata?: ProcessorMetadata;
}

export interface ConfirmPaymentIntentInput {
  paymentMethodId?: string;
  offSession?: boolean;
  returnUrl?: string;
}

export type PaymentIntentCancellationReason =
  'duplicate' | 'fraudulent' | 'requested_by_customer' | 'abandoned';

export type ChargeStatus = 'succeeded' | 'pending' | 'failed';

export interface ProcessorCharge {
  id: string;
  status: ChargeStatus;
  amountMinor: number;
  amountRefundedMinor: number;
  currency: CurrencyCode;
  /** True once the whole amount has been refunded. */
  fullyRefunded: boolean;
  disputed: boolean;
  paymentIntentId: string | null;
  customerId: string | null;
  paymentMethodId: string | null;
  failure: PaymentFailure | null;
  card: CardDetails | null;
  riskOutcome: RiskOutcome | null;
  receiptUrl: string | null;
  metadata: ProcessorMetadata;
  createdAt: Date;
}

/** Lists of money movements can be narrowed to what was created at or after a time. */
export interface CreatedSinceQuery {
  /** Only objects created at or after this time (whole seconds; Stripe's `created[gte]`). */
  createdSince?: Date;
}

export interface ListChargesQuery extends ListQuery, CreatedSinceQuery {
  paymentIntentId?: string;
  customerId?: string;
}

export interface ListPaymentIntentsQuery extends ListQuery, CreatedSinceQuery {
  customerId?: string;
}

export interface ListRefundsQuery extends ListQuery, CreatedSinceQuery {
  chargeId?: string;
  paymentIntentId?: string;
}

export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer';
export type RefundStatus = 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';

export type CreateRefundInput = ({ chargeId: string } | { paymentIntentId: string }) & {
  /** Omit to refund whatever is left on the charge. */
  amountMinor?: number;
  /** The payment's currency, which fixes the amount's units at the processor; looked up when omitted. */
  currency?: CurrencyCode;
  reason?: RefundReason;
  metadata?: ProcessorMetadata;
};

export interface ProcessorRefund {
  id: string;
  status: RefundStatus;
  amountMinor: number;
  currency: CurrencyCode;
  chargeId: string | null;
  paymentIntentId: string | null;
  /** Reasons the processor adds itself (e.g. expired_uncaptured_charge) come through as 'other'. */
  reason: RefundReason | 'other' | null;
  failureReason: string | null;
  metadata: ProcessorMetadata;
  createdAt: Date;
}

export type SetupIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'succeeded'
  | 'canceled';

export type PaymentMethodUsage = 'off_session' | 'on_session';

export interface CreateSetupIntentInput {
  customerId: string;
  paymentMethodId?: string;
  confirm?: boolean;
  usage?: PaymentMethodUsage;
  returnUrl?: string;
  metadata?: ProcessorMetadata;
}

export interface ConfirmSetupIntentInput {
  paymentMethodId?: string;
  returnUrl?: string;
}

export interface ProcessorSetupIntent {
  id: string;
  status: SetupIntentStatus;
  customerId: string | null;
  paymentMethodId: string | null;
  usage: PaymentMethodUsage;
  lastSetupFailure: PaymentFailure | null;
  nextActionUrl: string | null;
  /**
   * What a browser confirms the intent with (Stripe.js `confirmCardSetup` or the Payment Element).
   * Hand it only to the customer the intent belongs to; never log or store it.
   */
  clientSecret: string | null;
  metadata: ProcessorMetadata;
  createdAt: Date;
}

export interface ProcessorPaymentMethod {
  id: string;
  /** 'card' or the processor's name for another method type. */
  type: string;
  customerId: string | null;
  card: CardDetails | null;
  billingEmail: string | null;
  billingName: string | null;
  createdAt: Date;
}

export interface BillingPortalSessionInput {
  customerId: string;
  returnUrl: string;
}

export interface ProcessorBillingPortalSession {
  id: string;
  customerId: string;
  url: string;
  returnUrl: string | null;
  createdAt: Date;
}

export interface CreateTransferInput {
  /** The trader's connected account. */
  destinationAccountId: string;
  amountMinor: number;
  currency: CurrencyCode;
  description?: string;
  /** Groups the transfer with related money movements, e.g. our payout id. */
  transferGroup?: string;
  metadata?: ProcessorMetadata;
}

export interface ProcessorTransfer {
  id: string;
  destinationAccountId: string | null;
  amountMinor: number;
  amountReversedMinor: number;
  currency: CurrencyCode;
  reversed: boolean;
  description: string | null;
  transferGroup: string | null;
  metadata: ProcessorMetadata;
  createdAt: Date;
}

export type CapabilityStatus = 'active' | 'inactive' | 'pending' | 'unrequested';

export interface ProcessorConnectedAccount {
  id: string;
  email: string | null;
  country: string | null;
  defaultCurrency: CurrencyCode | null;
  /** The account can receive transfers (payouts from us). */
  transfersCapability: CapabilityStatus;
  payoutsEnabled: boolean;
  chargesEnabled: boolean;
  detailsSubmitted: boolean;
}

export type DisputeStatus =
  | 'warning_needs_response'
  | 'warning_under_review'
  | 'warning_closed'
  | 'needs_response'
  | 'under_review'
  | 'won'
  | 'lost'
  | 'prevented'
  | 'other';

export interface ProcessorDispute {
  id: string;
  chargeId: string;
  paymentIntentId: string | null;
  amountMinor: number;
  currency: CurrencyCode;
  /** e.g. fraudulent, product_not_received, general. */
  reason: string;
  status: DisputeStatus;
  evidenceDueBy: Date | null;
  createdAt: Date;
}

/** Stripe Radar's early fraud warning: the issuer reports the charge as likely fraud, before any dispute. */
export interface ProcessorEarlyFraudWarning {
  id: string;
  chargeId: string;
  paymentIntentId: string | null;
  /** e.g. card_never_received, fraudulent_card_application, made_with_counterfeit_card, made_with_lost_card, made_with_stolen_card, misc, unauthorized_use_of_card. */
  fraudType: string;
  /** Whether refunding or disputing is still possible. */
  actionable: boolean;
  createdAt: Date;
}

export type ReviewReason =
  'rule' | 'manual' | 'approved' | 'refunded' | 'refunded_as_fraud' | 'disputed' | 'redacted' | string;

/** A Radar review: a payment held for manual review; closed with the reviewer's decision. */
export interface ProcessorReview {
  id: string;
  chargeId: string | null;
  paymentIntentId: string | null;
  open: boolean;
  /** Why it was opened (rule, manual) while open; the outcome (approved, refunded…) once closed. */
  reason: ReviewReason;
  openedReason: string;
  closedReason: string | null;
  createdAt: Date;
}

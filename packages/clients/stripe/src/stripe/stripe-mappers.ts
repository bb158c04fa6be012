import type Stripe from 'stripe';
import type {
  CapabilityStatus,
  CardDetails,
  CheckoutMode,
  CheckoutPaymentStatus,
  CheckoutSessionStatus,
  DisputeStatus,
  PaymentFailure,
  PaymentIntentStatus,
  PaymentMethodUsage,
  ProcessorBillingPortalSession,
  ProcessorCharge,
  ProcessorCheckoutSession,
  ProcessorConnectedAccount,
  ProcessorCustomer,
  ProcessorDispute,
  ProcessorEarlyFraudWarning,
  ProcessorMetadata,
  ProcessorPage,
  ProcessorPaymentIntent,
  ProcessorPaymentMethod,
  ProcessorRefund,
  ProcessorReview,
  ProcessorSetupIntent,
  ProcessorTransfer,
  RefundReason,
  RefundStatus,
  RiskOutcome,
  SetupIntentStatus,
} from '../port/types';
import { InvalidRequestError } from '../port/errors';
import { fromUnixSeconds, idOf } from '../stripe-fields';
import {
  StripeAmountRefused,
  type StripeAmountUse,
  fromStripeAmount,
  toStripeAmount,
} from '../stripe-currencies';

// Stripe → our vocabulary. Stripe's enums are open ("| string"), so every status passes through
// `oneOf` with a conservative fallback instead of trusting an unknown value.

export function toCurrencyCode(stripeCurrency: string): string {
  return stripeCurrency.toUpperCase();
}

export function toStripeCurrency(currency: string): string {
  return currency.toLowerCase();
}

/** Our ISO 4217 minor units → Stripe's amount; refused (InvalidRequestError, param amount) when Stripe cannot represent it. */
export function stripeAmountOf(
  amountMinor: number,
  currency: string,
  use: StripeAmountUse = 'payment',
): number {
  return refusedAsInvalidRequest(() => toStripeAmount(amountMinor, currency, use));
}

/** Stripe's amount → our ISO 4217 minor units. */
export function minorOf(stripeAmount: number, currency: string, use: StripeAmountUse = 'payment'): number {
  return refusedAsInvalidRequest(() => fromStripeAmount(stripeAmount, currency, use));
}

function refusedAsInvalidRequest(convert: () => number): number {
  try {
    return convert();
  } catch (error) {
    if (!(error instanceof StripeAmountRefused)) throw error;
    throw new InvalidRequestError(error.message, {
      param: 'amount',
      processorCode: `amount_${error.problem}`,
      cause: error,
    });
  }
}

function oneOf<T extends string>(value: string | null | undefined, allowed: readonly T[], fallback: T): T {
  return allowed.find((candidate) => candidate === value) ?? fallback;
}

function metadataOf(metadata: Stripe.Metadata | null | undefined): ProcessorMetadata {
  return { ...(metadata ?? {}) };
}

export function toPage<TStripe extends { id: string }, TOurs>(
  list: Stripe.ApiList<TStripe>,
  map: (item: TStripe) => TOurs,
): ProcessorPage<TOurs> {
  const last = list.data[list.data.length - 1];
  return {
    data: list.data.map(map),
    hasMore: list.has_more,
    nextCursor: list.has_more && last !== undefined ? last.id : null,
  };
}

export function toCustomer(customer: Stripe.Customer): ProcessorCustomer {
  return {
    id: customer.id,
    email: customer.email,
    name: customer.name ?? null,
    description: customer.description,
    phone: customer.phone ?? null,
    defaultPaymentMethodId: idOf(customer.invoice_settings.default_payment_method),
    metadata: metadataOf(customer.metadata),
    createdAt: fromUnixSeconds(customer.created),
  };
}

const CHECKOUT_MODES: readonly CheckoutMode[] = ['payment', 'subscription', 'setup'];
const CHECKOUT_STATUSES: readonly CheckoutSessionStatus[] = ['open', 'complete', 'expired'];
const CHECKOUT_PAYMENT_STATUSES: readonly CheckoutPaymentStatus[] = ['paid', 'unpaid', 'no_payment_required'];

export function toCheckoutSession(session: Stripe.Checkout.Session): ProcessorCheckoutSession {
  return {
    id: session.id,
    url: session.url,
    mode: oneOf(session.mode, CHECKOUT_MODES, 'payment'),
    status: oneOf(session.status, CHECKOUT_STATUSES, 'open'),
    // Unknown payment states must never read as paid.
    paymentStatus: oneOf(session.payment_status, CHECKOUT_PAYMENT_STATUSES, 'unpaid'),
    customerId: idOf(session.customer),
    customerEmail: session.customer_details?.email ?? session.customer_email,
    clientReferenceId: session.client_reference_id,
    amountTotalMinor:
      session.amount_total === null || session.currency === null
        ? session.amount_total
        : minorOf(session.amount_total, session.currency),
    currency: session.currency === null ? null : toCurrencyCode(session.currency),
    paymentIntentId: idOf(session.payment_intent),
    setupIntentId: idOf(session.setup_intent),
    subscriptionId: idOf(session.subscription),
    metadata: metadataOf(session.metadata),
    expiresAt: fromUnixSeconds(session.expires_at),
    createdAt: fromUnixSeconds(session.created),
  };
}

const PAYMENT_INTENT_STATUSES: readonly PaymentIntentStatus[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'requires_capture',
  'succeeded',
  'canceled',
];

function toPaymentFailure(error: Stripe.PaymentIntent.LastPaymentError | null): PaymentFailure | null {
  if (error === null) return null;
  return {
    code: error.code ?? null,
    declineCode: error.decline_code ?? null,
    message: error.message ?? null,
  };
}

function redirectUrlOf(nextAction: { redirect_to_url?: { url: string | null } } | null): string | null {
  return nextAction?.redirect_to_url?.url ?? null;
}

export function toPaymentIntent(intent: Stripe.PaymentIntent): ProcessorPaymentIntent {
  return {
    id: intent.id,
    // An unknown state is treated as still in flight, never as final.
    status: oneOf(intent.status, PAYMENT_INTENT_STATUSES, 'processing'),
    amountMinor: minorOf(intent.amount, intent.currency),
    amountReceivedMinor: minorOf(intent.amount_received, intent.currency),
    currency: toCurrencyCode(intent.currency),
    customerId: idOf(intent.customer),
    paymentMethodId: idOf(intent.payment_method),
    latestChargeId: idOf(intent.latest_charge),
    description: intent.description,
    lastPaymentFailure: toPaymentFailure(intent.last_payment_error),
    nextActionUrl: redirectUrlOf(intent.next_action),
    metadata: metadataOf(intent.metadata),
    createdAt: fromUnixSeconds(intent.created),
    canceledAt: intent.canceled_at === null ? null : fromUnixSeconds(intent.canceled_at),
  };
}

function toCardDetails(
  card: Stripe.PaymentMethod.Card | Stripe.Charge.PaymentMethodDetails.Card,
): CardDetails {
  return {
    brand: card.brand,
    last4: card.last4,
    fingerprint: card.fingerprint ?? null,
    country: card.country,
    expMonth: card.exp_month,
    expYear: card.exp_year,
    funding: card.funding,
  };
}

function toRiskOutcome(outcome: Stripe.Charge.Outcome): RiskOutcome {
  return {
    networkStatus: outcome.network_status,
    type: outcome.type,
    riskLevel: outcome.risk_level ?? null,
    riskScore: outcome.risk_score ?? null,
    reason: outcome.reason,
    sellerMessage: outcome.seller_message,
    ruleId: idOf(outcome.rule),
  };
}

const CHARGE_STATUSES: readonly ProcessorCharge['status'][] = ['succeeded', 'pending', 'failed'];

export function toCharge(charge: Stripe.Charge): ProcessorCharge {
  const card = charge.payment_method_details?.card;
  return {
    id: charge.id,
    status: oneOf(charge.status, CHARGE_STATUSES, 'pending'),
    amountMinor: minorOf(charge.amount, charge.currency),
    amountRefundedMinor: minorOf(charge.amount_refunded, charge.currency),
    currency: toCurrencyCode(charge.currency),
    fullyRefunded: charge.refunded,
    disputed: charge.disputed,
    paymentIntentId: idOf(charge.payment_intent),
    customerId: idOf(charge.customer),
    paymentMethodId: charge.payment_method,
    failure:
      charge.failure_code === null
        ? null
        : {
            code: charge.failure_code,
            // For declines Radar's outcome reason is the issuer's decline code.
            declineCode: charge.outcome?.reason ?? null,
            message: charge.failure_message,
          },
    card: card === undefined ? null : toCardDetails(card),
    riskOutcome: charge.outcome === null ? null : toRiskOutcome(charge.outcome),
    receiptUrl: charge.receipt_url,
    metadata: metadataOf(charge.metadata),
    createdAt: fromUnixSeconds(charge.created),
  };
}

const REFUND_REASONS: readonly (RefundReason | 'other')[] = [
  'duplicate',
  'fraudulent',
  'requested_by_customer',
  'other',
];
const REFUND_STATUSES: readonly RefundStatus[] = [
  'pending',
  'requires_action',
  'succeeded',
  'failed',
  'canceled',
];

export function toRefund(refund: Stripe.Refund): ProcessorRefund {
  return {
    id: refund.id,
    status: oneOf(refund.status, REFUND_STATUSES, 'pending'),
    amountMinor: minorOf(refund.amount, refund.currency),
    currency: toCurrencyCode(refund.currency),
    chargeId: idOf(refund.charge),
    paymentIntentId: idOf(refund.payment_intent),
    reason: refund.reason === null ? null : oneOf(refund.reason, REFUND_REASONS, 'other'),
    failureReason: refund.failure_reason ?? null,
    metadata: metadataOf(refund.metadata),
    createdAt: fromUnixSeconds(refund.created),
  };
}

const SETUP_INTENT_STATUSES: readonly SetupIntentStatus[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'succeeded',
  'canceled',
];
const USAGES: readonly PaymentMethodUsage[] = ['off_session', 'on_session'];

export function toSetupIntent(intent: Stripe.SetupIntent): ProcessorSetupIntent {
  return {
    id: intent.id,
    status: oneOf(intent.status, SETUP_INTENT_STATUSES, 'processing'),
    customerId: idOf(intent.customer),
    paymentMethodId: idOf(intent.payment_method),
    usage: oneOf(intent.usage, USAGES, 'off_session'),
    lastSetupFailure: toPaymentFailure(intent.last_setup_error),
    nextActionUrl: redirectUrlOf(intent.next_action),
    clientSecret: intent.client_secret,
    metadata: metadataOf(intent.metadata),
    createdAt: fromUnixSeconds(intent.created),
  };
}

export function toPaymentMethod(paymentMethod: Stripe.PaymentMethod): ProcessorPaymentMethod {
  return {
    id: paymentMethod.id,
    type: paymentMethod.type,
    customerId: idOf(paymentMethod.customer),
    card: paymentMethod.card === undefined ? null : toCardDetails(paymentMethod.card),
    billingEmail: paymentMethod.billing_details.email,
    billingName: paymentMethod.billing_details.name,
    createdAt: fromUnixSeconds(paymentMethod.created),
  };
}

export function toBillingPortalSession(session: Stripe.BillingPortal.Session): ProcessorBillingPortalSession {
  return {
    id: session.id,
    customerId: session.customer,
    url: session.url,
    returnUrl: session.return_url,
    createdAt: fromUnixSeconds(session.created),
  };
}

export function toTransfer(transfer: Stripe.Transfer): ProcessorTransfer {
  return {
    id: transfer.id,
    destinationAccountId: idOf(transfer.destination),
    amountMinor: minorOf(transfer.amount, transfer.currency),
    amountReversedMinor: minorOf(transfer.amount_reversed, transfer.currency),
    currency: toCurrencyCode(transfer.currency),
    reversed: transfer.reversed,
    description: transfer.description,
    transferGroup: transfer.transfer_group,
    metadata: metadataOf(transfer.metadata),
    createdAt: fromUnixSeconds(transfer.created),
  };
}

const CAPABILITY_STATUSES: readonly CapabilityStatus[] = ['active', 'inactive', 'pending', 'unrequested'];

export function toConnectedAccount(account: Stripe.Account): ProcessorConnectedAccount {
  return {
    id: account.id,
    email: account.email,
    country: account.country ?? null,
    defaultCurrency: account.default_currency === undefined ? null : toCurrencyCode(account.default_currency),
    transfersCapability: oneOf(account.capabilities?.transfers, CAPABILITY_STATUSES, 'unrequested'),
    payoutsEnabled: account.payouts_enabled,
    chargesEnabled: account.charges_enabled,
    detailsSubmitted: account.details_submitted,
  };
}

const DISPUTE_STATUSES: readonly DisputeStatus[] = [
  'warning_needs_response',
  'warning_under_review',
  'warning_closed',
  'needs_response',
  'under_review',
  'won',
  'lost',
  'prevented',
  'other',
];

export function toDispute(dispute: Stripe.Dispute): ProcessorDispute {
  return {
    id: dispute.id,
    chargeId: idOf(dispute.charge),
    paymentIntentId: idOf(dispute.payment_intent),
    amountMinor: minorOf(dispute.amount, dispute.currency),
    currency: toCurrencyCode(dispute.currency),
    reason: dispute.reason,
    status: oneOf(dispute.status, DISPUTE_STATUSES, 'other'),
    evidenceDueBy:
      dispute.evidence_details.due_by === null ? null : fromUnixSeconds(dispute.evidence_details.due_by),
    createdAt: fromUnixSeconds(dispute.created),
  };
}

export function toEarlyFraudWarning(warning: Stripe.Radar.EarlyFraudWarning): ProcessorEarlyFraudWarning {
  return {
    id: warning.id,
    chargeId: idOf(warning.charge),
    paymentIntentId: idOf(warning.payment_intent),
    fraudType: warning.fraud_type,
    actionable: warning.actionable,
    createdAt: fromUnixSeconds(warning.created),
  };
}

export function toReview(review: Stripe.Review): ProcessorReview {
  return {
    id: review.id,
    chargeId: idOf(review.charge),
    paymentIntentId: idOf(review.payment_intent),
    open: review.open,
    reason: review.reason,
    openedReason: review.opened_reason,
    closedReason: review.closed_reason,
    createdAt: fromUnixSeconds(review.created),
  };
}

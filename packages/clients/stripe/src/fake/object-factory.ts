import type Stripe from 'stripe';
import { cardFingerprint, newClientSecret, newStripeId } from './ids';
import type { TestCard } from './test-cards';
import { fromUnixSeconds, idOf } from '../stripe-fields';

// Builders for the objects the fake stores and serves. Each returns the SDK's own type, so the
// compiler holds every field to the shape of the pinned API version. State changes elsewhere
// replace objects with `{ ...object, field }` rather than mutating them, so an event keeps the
// snapshot it was built with.

/** Unix seconds, as Stripe timestamps are. */
export type UnixSeconds = number;

export interface CustomerFields {
  email: string | null;
  name: string | null;
  description: string | null;
  phone: string | null;
  metadata: Stripe.Metadata;
}

export function buildCustomer(fields: CustomerFields, created: UnixSeconds): Stripe.Customer {
  const id = newStripeId('cus');
  return {
    id,
    object: 'customer',
    address: null,
    balance: 0,
    created,
    currency: null,
    default_source: null,
    delinquent: false,
    description: fields.description,
    discount: null,
    email: fields.email,
    invoice_prefix: id.slice(4, 12).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: fields.metadata,
    name: fields.name,
    next_invoice_sequence: 1,
    phone: fields.phone,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

export interface LineItemFields {
  name: string;
  description: string | null;
  currency: string;
  unitAmount: number;
  quantity: number;
  recurring: { interval: Stripe.Price.Recurring.Interval; intervalCount: number } | null;
}

export function buildLineItem(fields: LineItemFields, created: UnixSeconds): Stripe.LineItem {
  const amount = fields.unitAmount * fields.quantity;
  return {
    id: newStripeId('li'),
    object: 'item',
    adjustable_quantity: null,
    amount_discount: 0,
    amount_subtotal: amount,
    amount_tax: 0,
    amount_total: amount,
    currency: fields.currency,
    description: fields.name,
    metadata: {},
    quantity: fields.quantity,
    price: {
      id: newStripeId('price'),
      object: 'price',
      // Prices made inline from price_data are not reusable, hence inactive.
      active: false,
      billing_scheme: 'per_unit',
      created,
      currency: fields.currency,
      custom_unit_amount: null,
      livemode: false,
      lookup_key: null,
      metadata: {},
      nickname: null,
      product: newStripeId('prod'),
      recurring:
        fields.recurring === null
          ? null
          : {
              interval: fields.recurring.interval,
              interval_count: fields.recurring.intervalCount,
              meter: null,
              trial_period_days: null,
              usage_type: 'licensed',
            },
      tax_behavior: 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: fields.recurring === null ? 'one_time' : 'recurring',
      unit_amount: fields.unitAmount,
      unit_amount_decimal: null,
    },
  };
}

export interface CheckoutSessionFields {
  mode: 'payment' | 'subscription' | 'setup';
  customer: string | null;
  customerEmail: string | null;
  currency: string | null;
  lineItems: Stripe.LineItem[];
  successUrl: string;
  cancelUrl: string | null;
  clientReferenceId: string | null;
  metadata: Stripe.Metadata;
  customerCreation: Stripe.Checkout.Session.CustomerCreation | null;
  expiresAt: UnixSeconds;
}

export function buildCheckoutSession(
  fields: CheckoutSessionFields,
  created: UnixSeconds,
  hostedPageUrl: (sessionId: string) => string,
): Stripe.Checkout.Session {
  const id = newStripeId('cs_test');
  const amount =
    fields.mode === 'setup' ? null : fields.lineItems.reduce((sum, item) => sum + item.amount_total, 0);
  return {
    id,
    object: 'checkout.session',
    adaptive_pricing: null,
    after_expiration: null,
    allow_promotion_codes: null,
    allowed_payment_method_types: null,
    amount_subtotal: amount,
    amount_total: amount,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: fields.cancelUrl,
    client_reference_id: fields.clientReferenceId,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created,
    currency: fields.currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: {
      after_submit: null,
      shipping_address: null,
      submit: null,
      terms_of_service_acceptance: null,
    },
    customer: fields.customer,
    customer_account: null,
    customer_creation: fields.customerCreation,
    customer_details: null,
    customer_email: fields.customerEmail,
    discounts: [],
    expires_at: fields.expiresAt,
    integration_identifier: null,
    invoice: null,
    invoice_creation: null,
    line_items: {
      object: 'list',
      data: fields.lineItems,
      has_more: false,
      url: `/v1/checkout/sessions/${id}/line_items`,
    },
    livemode: false,
    locale: null,
    managed_payments: null,
    metadata: fields.metadata,
    mode: fields.mode,
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: fields.mode === 'payment' ? null : 'always',
    payment_method_configuration_details: null,
    payment_method_options: null,
    payment_method_types: ['card'],
    payment_status: fields.mode === 'setup' ? 'no_payment_required' : 'unpaid',
    permissions: null,
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: fields.successUrl,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: hostedPageUrl(id),
    wallet_options: null,
  };
}

export interface BillingDetails {
  email: string | null;
  name: string | null;
}

export function buildPaymentMethod(
  card: TestCard,
  billing: BillingDetails,
  customer: string | null,
  created: UnixSeconds,
): Stripe.PaymentMethod {
  return {
    id: newStripeId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: { address: null, email: billing.email, name: billing.name, phone: null, tax_id: null },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: card.country,
      display_brand: card.brand,
      exp_month: 12,
      exp_year: fromUnixSeconds(created).getUTCFullYear() + 3,
      fingerprint: cardFingerprint(card.number),
      funding: card.funding,
      generated_from: null,
      last4: card.last4,
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created,
    customer,
    customer_account: null,
    livemode: false,
    metadata: {},
    type: 'card',
  };
}

export interface PaymentIntentFields {
  amount: number;
  currency: string;
  customer: string | null;
  paymentMethod: string | null;
  description: string | null;
  receiptEmail: string | null;
  setupFutureUsage: Stripe.PaymentIntent.SetupFutureUsage | null;
  metadata: Stripe.Metadata;
}

export function buildPaymentIntent(fields: PaymentIntentFields, created: UnixSeconds): Stripe.PaymentIntent {
  const id = newStripeId('pi');
  return {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: ['card'],
    amount: fields.amount,
    amount_capturable: 0,
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: newClientSecret(id),
    confirmation_method: 'automatic',
    created,
    currency: fields.currency,
    customer: fields.customer,
    customer_account: null,
    description: fields.description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: fields.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: fields.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: null,
    payment_method_types: ['card'],
    payment_record: null,
    processing: null,
    receipt_email: fields.receiptEmail,
    review: null,
    setup_future_usage: fields.setupFutureUsage,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: fields.paymentMethod === null ? 'requires_payment_method' : 'requires_confirmation',
    transfer_group: null,
  };
}

/** How a charge attempt ended, as Radar and the card network report it. */
export type ChargeResult =
  | { kind: 'authorized' }
  | { kind: 'pending' }
  | { kind: 'issuer_declined'; code: string; declineCode: string; message: string }
  | { kind: 'blocked' };

const BLOCK_RULE = 'block_if_high_risk';

export function buildOutcome(card: TestCard, result: ChargeResult): Stripe.Charge.Outcome {
  const risk = { risk_level: card.riskLevel, risk_score: card.riskScore };
  const noAdvice = { advice_code: null, network_advice_code: null, network_decline_code: null };
  switch (result.kind) {
    case 'authorized':
    case 'pending':
      return {
        ...noAdvice,
        ...risk,
        network_status: 'approved_by_network',
        reason: card.riskLevel === 'elevated' ? 'elevated_risk_level' : null,
        seller_message: 'Payment complete.',
        type: 'authorized',
      };
    case 'issuer_declined':
      return {
        ...noAdvice,
        ...risk,
        network_status: 'declined_by_network',
        reason: result.declineCode,
        seller_message:
          result.declineCode === 'generic_decline'
            ? 'The bank did not return any further details with this decline.'
            : `The bank returned the decline code \`${result.declineCode}\`.`,
        type: 'issuer_declined',
      };
    case 'blocked':
      return {
        ...noAdvice,
        ...risk,
        network_status: 'not_sent_to_network',
        reason: 'highest_risk_level',
        rule: BLOCK_RULE,
        seller_message: 'Stripe blocked this payment as too risky.',
        type: 'blocked',
      };
  }
}

export interface ChargeFields {
  intent: Stripe.PaymentIntent;
  paymentMethod: Stripe.PaymentMethod;
  card: TestCard;
  result: ChargeResult;
  /** Set when the customer went through 3-D Secure for this charge. */
  authenticated: boolean;
}

export function buildCharge(fields: ChargeFields, created: UnixSeconds): Stripe.Charge {
  const { intent, paymentMethod, card, result } = fields;
  const succeeded = result.kind === 'authorized';
  const failed = result.kind === 'issuer_declined' || result.kind === 'blocked';
  const pmCard = paymentMethod.card;
  return {
    id: newStripeId('ch'),
    object: 'charge',
    amount: intent.amount,
    amount_captured: succeeded ? intent.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: succeeded ? newStripeId('txn') : null,
    billing_details: paymentMethod.billing_details,
    calculated_statement_descriptor: 'ASTRIX TRADING',
    captured: succeeded,
    created,
    currency: intent.currency,
    customer: intent.customer,
    description: intent.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code:
      result.kind === 'issuer_declined' ? result.code : result.kind === 'blocked' ? 'card_declined' : null,
    failure_message:
      result.kind === 'issuer_declined'
        ? result.message
        : result.kind === 'blocked'
          ? 'Your card was declined.'
          : null,
    fraud_details: {},
    livemode: false,
    metadata: intent.metadata,
    on_behalf_of: null,
    outcome: buildOutcome(card, result),
    paid: succeeded,
    payment_intent: intent.id,
    payment_method: paymentMethod.id,
    payment_method_details: {
      type: 'card',
      card: {
        amount_authorized: failed ? null : intent.amount,
        authorization_code: failed ? null : String(100000 + Math.floor(Math.random() * 900000)),
        brand: card.brand,
        checks: pmCard?.checks ?? null,
        country: card.country,
        electronic_commerce_indicator: fields.authenticated ? '05' : null,
        exp_month: pmCard?.exp_month ?? 12,
        exp_year: pmCard?.exp_year ?? 2030,
        fingerprint: cardFingerprint(card.number),
        funding: card.funding,
        installments: null,
        last4: card.last4,
        mandate: null,
        network: card.brand,
        network_transaction_id: failed ? null : String(Date.now()).slice(-15),
        regulated_status: 'unregulated',
        three_d_secure: fields.authenticated
          ? {
              authentication_flow: 'challenge',
              electronic_commerce_indicator: '05',
              exemption_indicator: null,
              result: 'authenticated',
              result_reason: null,
              transaction_id: newStripeId('txn'),
              version: '2.2.0',
            }
          : null,
        transaction_link_id: null,
        wallet: null,
      },
    },
    receipt_email: intent.receipt_email,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: succeeded ? 'succeeded' : failed ? 'failed' : 'pending',
    transfer_data: null,
    transfer_group: null,
  };
}

export interface RefundFields {
  charge: Stripe.Charge;
  amount: number;
  reason: Stripe.Refund.Reason | null;
  metadata: Stripe.Metadata;
}

export function buildRefund(fields: RefundFields, created: UnixSeconds): Stripe.Refund {
  const { charge } = fields;
  return {
    id: newStripeId('re'),
    object: 'refund',
    amount: fields.amount,
    balance_transaction: newStripeId('txn'),
    charge: charge.id,
    created,
    currency: charge.currency,
    customer: charge.customer,
    customer_account: null,
    metadata: fields.metadata,
    payment_intent: charge.payment_intent,
    payment_method: charge.payment_method,
    reason: fields.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    // Card refunds in test mode succeed at once.
    status: 'succeeded',
    transfer_reversal: null,
  };
}

export interface SetupIntentFields {
  customer: string | null;
  paymentMethod: string | null;
  usage: 'off_session' | 'on_session';
  metadata: Stripe.Metadata;
}

export function buildSetupIntent(fields: SetupIntentFields, created: UnixSeconds): Stripe.SetupIntent {
  const id = newStripeId('seti');
  return {
    id,
    object: 'setup_intent',
    allowed_payment_method_types: ['card'],
    application: null,
    automatic_payment_methods: null,
    cancellation_reason: null,
    client_secret: newClientSecret(id),
    created,
    customer: fields.customer,
    description: null,
    excluded_payment_method_types: null,
    last_setup_error: null,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: fields.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: fields.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: null,
    payment_method_types: ['card'],
    single_use_mandate: null,
    status: fields.paymentMethod === null ? 'requires_payment_method' : 'requires_confirmation',
    usage: fields.usage,
  };
}

export interface DisputeFields {
  charge: Stripe.Charge;
  reason: string;
}

const EVIDENCE_WINDOW_SECONDS = 7 * 24 * 3600;

export function buildDispute(fields: DisputeFields, created: UnixSeconds): Stripe.Dispute {
  const { charge } = fields;
  return {
    id: newStripeId('dp'),
    object: 'dispute',
    amount: charge.amount,
    balance_transactions: [],
    charge: charge.id,
    created,
    currency: charge.currency,
    enhanced_eligibility_types: [],
    evidence: {
      access_activity_log: null,
      billing_address: null,
      cancellation_policy: null,
      cancellation_policy_disclosure: null,
      cancellation_rebuttal: null,
      customer_communication: null,
      customer_email_address: null,
      customer_name: null,
      customer_purchase_ip: null,
      customer_signature: null,
      duplicate_charge_documentation: null,
      duplicate_charge_explanation: null,
      duplicate_charge_id: null,
      enhanced_evidence: {},
      product_description: null,
      receipt: null,
      refund_policy: null,
      refund_policy_disclosure: null,
      refund_refusal_explanation: null,
      service_date: null,
      service_documentation: null,
      shipping_address: null,
      shipping_carrier: null,
      shipping_date: null,
      shipping_documentation: null,
      shipping_tracking_number: null,
      uncategorized_file: null,
      uncategorized_text: null,
    },
    evidence_details: {
      due_by: created + EVIDENCE_WINDOW_SECONDS,
      enhanced_eligibility: {},
      has_evidence: false,
      past_due: false,
      submission_count: 0,
      submission_method: 'not_submitted',
    },
    intended_submission_method: null,
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: charge.payment_intent,
    reason: fields.reason,
    status: 'needs_response',
  };
}

export interface EarlyFraudWarningFields {
  charge: Stripe.Charge;
  fraudType: string;
}

export function buildEarlyFraudWarning(
  fields: EarlyFraudWarningFields,
  created: UnixSeconds,
): Stripe.Radar.EarlyFraudWarning {
  const { charge } = fields;
  const paymentIntent = idOf(charge.payment_intent);
  return {
    id: newStripeId('issfr'),
    object: 'radar.early_fraud_warning',
    // Stripe: actionable while the charge has not been disputed nor fully refunded.
    actionable: !charge.disputed && !charge.refunded,
    charge: charge.id,
    created,
    fraud_type: fields.fraudType,
    livemode: false,
    ...(paymentIntent === null ? {} : { payment_intent: paymentIntent }),
  };
}

export interface ReviewFields {
  charge: Stripe.Charge;
  openedReason: Stripe.Review.OpenedReason;
}

export function buildReview(fields: ReviewFields, created: UnixSeconds): Stripe.Review {
  const { charge } = fields;
  const paymentIntent = idOf(charge.payment_intent);
  return {
    id: newStripeId('prv'),
    object: 'review',
    billing_zip: charge.billing_details.address?.postal_code ?? null,
    charge: charge.id,
    closed_reason: null,
    created,
    ip_address: null,
    ip_address_location: null,
    livemode: false,
    open: true,
    opened_reason: fields.openedReason,
    ...(paymentIntent === null ? {} : { payment_intent: paymentIntent }),
    // While open: why it was opened; once closed: the closed reason.
    reason: fields.openedReason,
    session: null,
  };
}

export interface TransferFields {
  amount: number;
  currency: string;
  destination: string;
  description: string | null;
  transferGroup: string | null;
  metadata: Stripe.Metadata;
}

export function buildTransfer(fields: TransferFields, created: UnixSeconds): Stripe.Transfer {
  const id = newStripeId('tr');
  return {
    id,
    object: 'transfer',
    amount: fields.amount,
    amount_reversed: 0,
    balance_transaction: newStripeId('txn'),
    created,
    currency: fields.currency,
    description: fields.description,
    destination: fields.destination,
    livemode: false,
    metadata: fields.metadata,
    reversals: { object: 'list', data: [], has_more: false, url: `/v1/transfers/${id}/reversals` },
    reversed: false,
    source_transaction: null,
    source_type: 'card',
    transfer_group: fields.transferGroup,
  };
}

export interface ConnectedAccountFields {
  id?: string;
  email: string | null;
  country: string;
  defaultCurrency: string;
  payoutsEnabled: boolean;
  transfersCapability: 'active' | 'inactive' | 'pending';
}

export function buildConnectedAccount(fields: ConnectedAccountFields, created: UnixSeconds): Stripe.Account {
  return {
    id: fields.id ?? newStripeId('acct'),
    object: 'account',
    business_type: 'individual',
    capabilities: { transfers: fields.transfersCapability },
    charges_enabled: false,
    country: fields.country,
    created,
    default_currency: fields.defaultCurrency,
    details_submitted: true,
    email: fields.email,
    metadata: {},
    payouts_enabled: fields.payoutsEnabled,
    type: 'express',
  };
}

export function buildBillingPortalSession(
  customer: string,
  returnUrl: string | null,
  created: UnixSeconds,
  portalUrl: (sessionId: string) => string,
): Stripe.BillingPortal.Session {
  const id = newStripeId('bps');
  return {
    id,
    object: 'billing_portal.session',
    configuration: 'bpc_default',
    created,
    customer,
    customer_account: null,
    flow: null,
    livemode: false,
    locale: null,
    on_behalf_of: null,
    return_url: returnUrl,
    url: portalUrl(id),
  };
}

/** The event types the fake sends, each with the object type Stripe puts in `data.object`. */
export type FakeEventType =
  | 'checkout.session.completed'
  | 'checkout.session.expired'
  | 'checkout.session.async_payment_succeeded'
  | 'checkout.session.async_payment_failed'
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'payment_intent.requires_action'
  | 'payment_intent.processing'
  | 'payment_intent.canceled'
  | 'charge.succeeded'
  | 'charge.failed'
  | 'charge.pending'
  | 'charge.refunded'
  | 'charge.dispute.created'
  | 'charge.dispute.closed'
  | 'refund.created'
  | 'setup_intent.succeeded'
  | 'setup_intent.setup_failed'
  | 'setup_intent.requires_action'
  | 'payment_method.attached'
  | 'payment_method.detached'
  | 'transfer.created'
  | 'radar.early_fraud_warning.created'
  | 'radar.early_fraud_warning.updated'
  | 'review.opened'
  | 'review.closed'
  | 'payout.created'
  | 'payout.paid'
  | 'payout.failed';

export type StripeEventOf<T extends Stripe.Event['type']> = Extract<Stripe.Event, { type: T }>;
export type EventObjectOf<T extends Stripe.Event['type']> = StripeEventOf<T>['data']['object'];

/** The API request that caused an event; null for the hosted pages (Stripe's "automatic" events). */
export interface EventOrigin {
  requestId: string | null;
  idempotencyKey: string | null;
}

export const AUTOMATIC_ORIGIN: EventOrigin = { requestId: null, idempotencyKey: null };

export interface EventEnvelopeFields {
  origin: EventOrigin;
  apiVersion: string;
  created: UnixSeconds;
  /** Endpoints that still have to receive the event. */
  pendingWebhooks: number;
}

export function buildEvent<T extends FakeEventType>(
  type: T,
  object: EventObjectOf<T>,
  envelope: EventEnvelopeFields,
): StripeEventOf<T> {
  const base: Omit<Stripe.EventBase, 'type' | 'data'> = {
    id: newStripeId('evt'),
    object: 'event',
    api_version: envelope.apiVersion,
    created: envelope.created,
    livemode: false,
    pending_webhooks: envelope.pendingWebhooks,
    request: { id: envelope.origin.requestId, idempotency_key: envelope.origin.idempotencyKey },
  };
  // A snapshot: later changes to the object must not leak into an event already built.
  const event = { ...base, type, data: { object: structuredClone(object) } };
  // TypeScript cannot narrow the Stripe.Event union by a generic `type`; `base` is checked
  // against Stripe's event envelope above and `object` is tied to `type` by the signature.
  return event as StripeEventOf<T>;
}

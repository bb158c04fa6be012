import type Stripe from 'stripe';
import { invalidRequest, type StripeErrorObject, unexpectedState } from './api-error';
import type { BalanceEngine } from './balance-engine';
import { cardFingerprint } from './ids';
import {
  type BillingDetails,
  buildCharge,
  buildDispute,
  buildEarlyFraudWarning,
  buildOutcome,
  buildPaymentMethod,
  buildRefund,
  buildReview,
  type ChargeResult,
  type EventOrigin,
} from './object-factory';
import type { FakeStripeStore } from './store';
import { TEST_CARDS, type TestCard } from './test-cards';
import type { WebhookDispatcher } from './webhook-dispatcher';
import { idOf, toUnixSeconds } from '../stripe-fields';

/** The state a payment attempt left behind, and the events to send about it, in order. */
export interface PaymentAttempt {
  intent: Stripe.PaymentIntent;
  charge: Stripe.Charge | null;
  /** Stripe's error when the card was refused; the API answers 402 with it. */
  decline: StripeErrorObject | null;
  events: Stripe.Event[];
}

export interface SetupAttempt {
  intent: Stripe.SetupIntent;
  decline: StripeErrorObject | null;
  events: Stripe.Event[];
}

export interface ConfirmOptions {
  /** A merchant-initiated charge: a card that needs 3-D Secure fails instead of asking. */
  offSession: boolean;
  returnUrl: string | null;
}

interface RefundRequest {
  amount: number | undefined;
  reason: Stripe.Refund.Reason | null;
  metadata: Stripe.Metadata;
}

const CONFIRMABLE_STATUSES: readonly string[] = ['requires_payment_method', 'requires_confirmation'];
const CLOSED_DISPUTE_STATUSES: readonly string[] = ['won', 'lost', 'prevented', 'warning_closed'];
/** Stripe's documented `fraud_type`s of an early fraud warning. */
export const EARLY_FRAUD_WARNING_TYPES: readonly string[] = [
  'card_never_received',
  'fraudulent_card_application',
  'made_with_counterfeit_card',
  'made_with_lost_card',
  'made_with_stolen_card',
  'misc',
  'unauthorized_use_of_card',
];
export const DEFAULT_FRAUD_TYPE = 'made_with_stolen_card';
export const REVIEW_CLOSED_REASONS: readonly Stripe.Review.ClosedReason[] = [
  'acknowledged',
  'approved',
  'canceled',
  'disputed',
  'payment_never_settled',
  'redacted',
  'refunded',
  'refunded_as_fraud',
];
const AUTHENTICATION_FAILURE_MESSAGE =
  'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.';

/**
 * The card network, Radar and the issuer, played by the test cards: turns confirmations into
 * charges, declines, 3-D Secure challenges, refunds and disputes, and says which events follow.
 */
export class PaymentEngine {
  private readonly forcedDeclines: string[] = [];
  private readonly cardsByFingerprint = new Map(
    TEST_CARDS.map((card) => [cardFingerprint(card.number), card]),
  );

  constructor(
    private readonly store: FakeStripeStore,
    private readonly events: WebhookDispatcher,
    private readonly now: () => Date,
    private readonly authenticationUrl: (intentId: string) => string,
    /** Books every money movement as a balance transaction. */
    private readonly balance: BalanceEngine,
  ) {}

  /** The next `count` payment attempts are declined with `declineCode`, whatever the card. */
  declineNextPayments(count: number, declineCode: string): void {
    for (let index = 0; index < count; index++) this.forcedDeclines.push(declineCode);
  }

  reset(): void {
    this.forcedDeclines.length = 0;
  }

  createPaymentMethod(card: TestCard, billing: BillingDetails): Stripe.PaymentMethod {
    return this.store.paymentMethods.save(buildPaymentMethod(card, billing, null, this.createdAt()));
  }

  /** A stored payment method id, or a test token (pm_card_visa...) that creates a fresh one. */
  resolvePaymentMethod(reference: string, param: string): Stripe.PaymentMethod {
    const card = TEST_CARDS.find((candidate) => candidate.paymentMethodToken === reference);
    if (card !== undefined) return this.createPaymentMethod(card, { email: null, name: null });
    return this.store.paymentMethods.require(reference, param);
  }

  attachPaymentMethod(
    paymentMethod: Stripe.PaymentMethod,
    customerId: string,
    origin: EventOrigin,
  ): { paymentMethod: Stripe.PaymentMethod; events: Stripe.Event[] } {
    if (paymentMethod.customer === customerId) return { paymentMethod, events: [] };
    if (paymentMethod.customer !== null) {
      throw invalidRequest(
        'The payment method you provided has already been attached to a customer.',
        'payment_method',
        'payment_method_already_attached',
      );
    }
    const attached = this.store.paymentMethods.save({ ...paymentMethod, customer: customerId });
    return {
      paymentMethod: attached,
      events: [this.events.create('payment_method.attached', attached, origin)],
    };
  }

  detachPaymentMethod(
    paymentMethod: Stripe.PaymentMethod,
    origin: EventOrigin,
  ): { paymentMethod: Stripe.PaymentMethod; events: Stripe.Event[] } {
    const customerId = idOf(paymentMethod.customer);
    if (customerId === null) {
      throw invalidRequest(
        'The payment method you provided is not attached to a customer so detachment is impossible.',
        'payment_method',
      );
    }
    const customer = this.store.customers.get(customerId);
    if (customer !== undefined && customer.invoice_settings.default_payment_method === paymentMethod.id) {
      this.store.customers.save({
        ...customer,
        invoice_settings: { ...customer.invoice_settings, default_payment_method: null },
      });
    }
    const detached = this.store.paymentMethods.save({ ...paymentMethod, customer: null });
    return {
      paymentMethod: detached,
      events: [this.events.create('payment_method.detached', detached, origin)],
    };
  }

  confirmPayment(
    intent: Stripe.PaymentIntent,
    paymentMethod: Stripe.PaymentMethod,
    options: ConfirmOptions,
    origin: EventOrigin,
  ): PaymentAttempt {
    if (!CONFIRMABLE_STATUSES.includes(intent.status)) {
      throw unexpectedState(
        `You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`,
        'payment_intent_unexpected_state',
      );
    }
    const card = this.testCardOf(paymentMethod);
    const attempting = {
      ...intent,
      payment_method: paymentMethod.id,
      last_payment_error: null,
      next_action: null,
    };
    const forcedDecline = this.forcedDeclines.shift();
    if (forcedDecline !== undefined) {
      return this.decline(attempting, paymentMethod, card, issuerDecline(forcedDecline), origin);
    }
    const behaviour = card.behaviour;
    switch (behaviour.kind) {
      case 'succeeds':
      case 'disputed_after_success':
      case 'early_fraud_warning_after_success':
        return this.succeed(attempting, paymentMethod, card, false, origin);
      case 'declined':
        return this.decline(
          attempting,
          paymentMethod,
          card,
          issuerDecline(behaviour.declineCode, behaviour.message),
          origin,
        );
      case 'blocked_by_radar':
        return this.decline(attempting, paymentMethod, card, { kind: 'blocked' }, origin);
      case 'requires_authentication':
        return options.offSession
          ? this.decline(attempting, paymentMethod, card, authenticationRequired(), origin)
          : this.requireAuthentication(attempting, options.returnUrl, origin);
      case 'settles_asynchronously':
        return this.startProcessing(attempting, paymentMethod, card, origin);
    }
  }

  /** The customer finished (or failed) 3-D Secure for a payment intent in requires_action. */
  completeAuthentication(
    intent: Stripe.PaymentIntent,
    succeeded: boolean,
    origin: EventOrigin,
  ): PaymentAttempt {
    if (intent.status !== 'requires_action') {
      throw unexpectedState(
        `This PaymentIntent has a status of ${intent.status}.`,
        'payment_intent_unexpected_state',
      );
    }
    const paymentMethod = this.paymentMethodOf(intent);
    if (succeeded) return this.succeed(intent, paymentMethod, this.testCardOf(paymentMethod), true, origin);
    const failure: StripeErrorObject = {
      type: 'invalid_request_error',
      code: 'payment_intent_authentication_failure',
      message: AUTHENTICATION_FAILURE_MESSAGE,
      payment_method: paymentMethod,
    };
    const failed = this.store.paymentIntents.save({
      ...intent,
      status: 'requires_payment_method',
      next_action: null,
      payment_method: null,
      last_payment_error: failure,
    });
    return {
      intent: failed,
      charge: null,
      decline: failure,
      events: [this.events.create('payment_intent.payment_failed', failed, origin)],
    };
  }

  /** Settles a processing (asynchronous) payment, as the bank eventually does. */
  settleAsynchronousPayment(intent: Stripe.PaymentIntent, origin: EventOrigin): PaymentAttempt {
    const paymentMethod = this.paymentMethodOf(intent);
    const card = this.testCardOf(paymentMethod);
    const pendingCharge = this.store.charges.require(idOf(intent.latest_charge) ?? '', 'charge');
    const succeeds = card.behaviour.kind !== 'settles_asynchronously' || card.behaviour.succeeds;
    if (succeeds) {
      const charge = this.store.charges.save({
        ...pendingCharge,
        status: 'succeeded',
        paid: true,
        captured: true,
        amount_captured: pendingCharge.amount,
      });
      return this.markSucceeded(intent, charge, paymentMethod, card, origin);
    }
    const failed = issuerDecline('generic_decline');
    const charge = this.store.charges.save({
      ...pendingCharge,
      status: 'failed',
      failure_code: failed.code,
      failure_message: failed.message,
      outcome: buildOutcome(card, failed),
    });
    return this.markDeclined(intent, charge, paymentMethod, failed, origin);
  }

  cancelPayment(
    intent: Stripe.PaymentIntent,
    reason: Stripe.PaymentIntent.CancellationReason | null,
    origin: EventOrigin,
  ): { intent: Stripe.PaymentIntent; events: Stripe.Event[] } {
    if (intent.status === 'succeeded' || intent.status === 'canceled' || intent.status === 'processing') {
      throw unexpectedState(
        `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action.`,
        'payment_intent_unexpected_state',
      );
    }
    const canceled = this.store.paymentIntents.save({
      ...intent,
      status: 'canceled',
      canceled_at: this.createdAt(),
      cancellation_reason: reason,
      next_action: null,
    });
    return { intent: canceled, events: [this.events.create('payment_intent.canceled', canceled, origin)] };
  }

  confirmSetup(
    intent: Stripe.SetupIntent,
    paymentMethod: Stripe.PaymentMethod,
    returnUrl: string | null,
    origin: EventOrigin,
  ): SetupAttempt {
    if (!CONFIRMABLE_STATUSES.includes(intent.status)) {
      throw unexpectedState(
        `You cannot confirm this SetupIntent because it has a status of ${intent.status}.`,
        'setup_intent_unexpected_state',
      );
    }
    const card = this.testCardOf(paymentMethod);
    const attempting = {
      ...intent,
      payment_method: paymentMethod.id,
      last_setup_error: null,
      next_action: null,
    };
    switch (card.behaviour.kind) {
      case 'declined':
      case 'blocked_by_radar': {
        const declineCode = card.behaviour.kind === 'declined' ? card.behaviour.declineCode : 'fraudulent';
        const error: StripeErrorObject = {
          type: 'card_error',
          code: 'card_declined',
          decline_code: declineCode,
          message: 'Your card was declined.',
          payment_method: paymentMethod,
        };
        const failed = this.store.setupIntents.save({
          ...attempting,
          status: 'requires_payment_method',
          payment_method: null,
          last_setup_error: error,
        });
        return {
          intent: failed,
          decline: error,
          events: [this.events.create('setup_intent.setup_failed', failed, origin)],
        };
      }
      case 'requires_authentication': {
        const waiting = this.store.setupIntents.save({
          ...attempting,
          status: 'requires_action',
          next_action: this.redirectTo(intent.id, returnUrl),
        });
        return {
          intent: waiting,
          decline: null,
          events: [this.events.create('setup_intent.requires_action', waiting, origin)],
        };
      }
      case 'succeeds':
      case 'disputed_after_success':
      case 'early_fraud_warning_after_success':
      case 'settles_asynchronously':
        return this.completeSetup(attempting, paymentMethod, origin);
    }
  }

  completeSetupAuthentication(
    intent: Stripe.SetupIntent,
    succeeded: boolean,
    origin: EventOrigin,
  ): SetupAttempt {
    if (intent.status !== 'requires_action') {
      throw unexpectedState(
        `This SetupIntent has a status of ${intent.status}.`,
        'setup_intent_unexpected_state',
      );
    }
    const paymentMethod = this.paymentMethodOf(intent);
    if (succeeded) return this.completeSetup(intent, paymentMethod, origin);
    const error: StripeErrorObject = {
      type: 'invalid_request_error',
      code: 'setup_intent_authentication_failure',
      message: AUTHENTICATION_FAILURE_MESSAGE,
      payment_method: paymentMethod,
    };
    const failed = this.store.setupIntents.save({
      ...intent,
      status: 'requires_payment_method',
      payment_method: null,
      next_action: null,
      last_setup_error: error,
    });
    return {
      intent: failed,
      decline: error,
      events: [this.events.create('setup_intent.setup_failed', failed, origin)],
    };
  }

  /** Refunds part or all of what is left on a charge; never more. */
  refund(
    charge: Stripe.Charge,
    request: RefundRequest,
    origin: EventOrigin,
  ): { refund: Stripe.Refund; events: Stripe.Event[] } {
    if (charge.status !== 'succeeded') {
      throw invalidRequest(`Charge ${charge.id} has not succeeded and cannot be refunded.`, 'charge');
    }
    if (charge.disputed) {
      throw invalidRequest(
        `Charge ${charge.id} has been charged back; cannot issue a refund.`,
        'charge',
        'charge_disputed',
      );
    }
    const unrefunded = charge.amount - charge.amount_refunded;
    if (unrefunded === 0) {
      throw invalidRequest(
        `Charge ${charge.id} has already been refunded.`,
        'charge',
        'charge_already_refunded',
      );
    }
    const amount = request.amount ?? unrefunded;
    if (amount <= 0) throw invalidRequest('Invalid positive integer', 'amount');
    if (amount > unrefunded) {
      throw invalidRequest(
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${unrefunded})`,
        'amount',
        'amount_too_large',
      );
    }
    const refund = this.store.refunds.save(
      buildRefund({ charge, amount, reason: request.reason, metadata: request.metadata }, this.createdAt()),
    );
    this.balance.recordRefund(refund);
    const refundedCharge = this.store.charges.save({
      ...charge,
      amount_refunded: charge.amount_refunded + amount,
      refunded: charge.amount_refunded + amount === charge.amount,
    });
    const events: Stripe.Event[] = [
      this.events.create('refund.created', refund, origin),
      this.events.create('charge.refunded', refundedCharge, origin),
    ];
    if (refundedCharge.refunded) {
      events.push(...this.settleFraudSignals(refundedCharge.id, refundClosedReason(request.reason), origin));
    }
    return { refund, events };
  }

  openDispute(
    charge: Stripe.Charge,
    reason: string,
    origin: EventOrigin,
  ): { dispute: Stripe.Dispute; events: Stripe.Event[] } {
    if (charge.status !== 'succeeded')
      throw invalidRequest(`Charge ${charge.id} cannot be disputed.`, 'charge');
    if (charge.disputed) throw invalidRequest(`Charge ${charge.id} is already disputed.`, 'charge');
    const opened = buildDispute({ charge, reason }, this.createdAt());
    const dispute = this.store.disputes.save({
      ...opened,
      balance_transactions: [this.balance.recordDisputeOpened(opened)],
    });
    this.store.charges.save({ ...charge, disputed: true });
    return {
      dispute,
      events: [
        this.events.create('charge.dispute.created', dispute, origin),
        ...this.settleFraudSignals(charge.id, 'disputed', origin),
      ],
    };
  }

  /**
   * The bank decided the dispute. Stripe keeps `charge.disputed` true either way (it says the
   * charge was disputed, not that it is still contested); won returns the funds, lost keeps them
   * with the customer.
   */
  closeDispute(
    dispute: Stripe.Dispute,
    status: 'won' | 'lost',
    origin: EventOrigin,
  ): { dispute: Stripe.Dispute; events: Stripe.Event[] } {
    if (CLOSED_DISPUTE_STATUSES.includes(dispute.status)) {
      throw invalidRequest(
        `Dispute ${dispute.id} is already closed with status ${dispute.status}.`,
        'dispute',
        'dispute_already_closed',
      );
    }
    // Won: the amount comes back (a second adjustment); lost: the withdrawal stands.
    const closed = this.store.disputes.save({
      ...dispute,
      status,
      is_charge_refundable: false,
      balance_transactions:
        status === 'won'
          ? [...dispute.balance_transactions, this.balance.recordDisputeWon(dispute)]
          : dispute.balance_transactions,
    });
    return { dispute: closed, events: [this.events.create('charge.dispute.closed', closed, origin)] };
  }

  /** The issuer reports the charge as likely fraud (Stripe Radar's early fraud warning). */
  openEarlyFraudWarning(
    charge: Stripe.Charge,
    fraudType: string,
    origin: EventOrigin,
  ): { earlyFraudWarning: Stripe.Radar.EarlyFraudWarning; events: Stripe.Event[] } {
    if (charge.status !== 'succeeded') {
      throw invalidRequest(
        `Charge ${charge.id} has not succeeded; issuers only report paid charges.`,
        'charge',
      );
    }
    if (!EARLY_FRAUD_WARNING_TYPES.includes(fraudType)) {
      throw invalidRequest(
        `Invalid fraud_type: must be one of ${EARLY_FRAUD_WARNING_TYPES.join(', ')}`,
        'fraud_type',
      );
    }
    const earlyFraudWarning = this.store.earlyFraudWarnings.save(
      buildEarlyFraudWarning({ charge, fraudType }, this.createdAt()),
    );
    return {
      earlyFraudWarning,
      events: [this.events.create('radar.early_fraud_warning.created', earlyFraudWarning, origin)],
    };
  }

  /** Radar (a rule) or someone on the dashboard (manual) holds the payment for review. */
  openReview(
    charge: Stripe.Charge,
    openedReason: 'rule' | 'manual',
    origin: EventOrigin,
  ): { review: Stripe.Review; events: Stripe.Event[] } {
    if (charge.status !== 'succeeded') {
      throw invalidRequest(`Charge ${charge.id} has not succeeded and cannot be reviewed.`, 'charge');
    }
    const current = this.openReviewOf(charge);
    if (current !== undefined) {
      throw invalidRequest(`Charge ${charge.id} already has an open review (${current.id}).`, 'charge');
    }
    const review = this.store.reviews.save(buildReview({ charge, openedReason }, this.createdAt()));
    this.store.charges.save({ ...charge, review: review.id });
    const intentId = idOf(charge.payment_intent);
    const intent = intentId === null ? undefined : this.store.paymentIntents.get(intentId);
    if (intent !== undefined) this.store.paymentIntents.save({ ...intent, review: review.id });
    return { review, events: [this.events.create('review.opened', review, origin)] };
  }

  /** The reviewer's decision (approved), or what closed it (refunded, disputed...). */
  closeReview(
    review: Stripe.Review,
    closedReason: Stripe.Review.ClosedReason,
    origin: EventOrigin,
  ): { review: Stripe.Review; events: Stripe.Event[] } {
    if (!review.open) {
      throw invalidRequest(`Review ${review.id} is already closed.`, 'review', 'review_already_closed');
    }
    if (!REVIEW_CLOSED_REASONS.includes(closedReason)) {
      throw invalidRequest(
        `Invalid closed reason: must be one of ${REVIEW_CLOSED_REASONS.join(', ')}`,
        'reason',
      );
    }
    const closed = this.store.reviews.save({
      ...review,
      open: false,
      closed_reason: closedReason,
      reason: closedReason,
    });
    return { review: closed, events: [this.events.create('review.closed', closed, origin)] };
  }

  /**
   * A full refund or a dispute settles Radar's open questions about a charge, as at Stripe: its
   * early fraud warnings stop being actionable and its open review closes.
   */
  private settleFraudSignals(
    chargeId: string,
    reviewClosedReason: Stripe.Review.ClosedReason,
    origin: EventOrigin,
  ): Stripe.Event[] {
    const events: Stripe.Event[] = [];
    for (const warning of this.store.earlyFraudWarnings.all().reverse()) {
      if (idOf(warning.charge) !== chargeId || !warning.actionable) continue;
      const settled = this.store.earlyFraudWarnings.save({ ...warning, actionable: false });
      events.push(this.events.create('radar.early_fraud_warning.updated', settled, origin));
    }
    const charge = this.store.charges.get(chargeId);
    const review = charge === undefined ? undefined : this.openReviewOf(charge);
    if (review !== undefined) events.push(...this.closeReview(review, reviewClosedReason, origin).events);
    return events;
  }

  private openReviewOf(charge: Stripe.Charge): Stripe.Review | undefined {
    const reviewId = idOf(charge.review);
    const review = reviewId === null ? undefined : this.store.reviews.get(reviewId);
    return review?.open === true ? review : undefined;
  }

  private succeed(
    intent: Stripe.PaymentIntent,
    paymentMethod: Stripe.PaymentMethod,
    card: TestCard,
    authenticated: boolean,
    origin: EventOrigin,
  ): PaymentAttempt {
    const charge = this.store.charges.save(
      buildCharge(
        { intent, paymentMethod, card, result: { kind: 'authorized' }, authenticated },
        this.createdAt(),
      ),
    );
    return this.markSucceeded(intent, charge, paymentMethod, card, origin);
  }

  private markSucceeded(
    intent: Stripe.PaymentIntent,
    succeededCharge: Stripe.Charge,
    paymentMethod: Stripe.PaymentMethod,
    card: TestCard,
    origin: EventOrigin,
  ): PaymentAttempt {
    const charge = this.store.charges.save({
      ...succeededCharge,
      balance_transaction: this.balance.recordCharge(succeededCharge),
    });
    const paid = this.store.paymentIntents.save({
      ...intent,
      status: 'succeeded',
      amount_received: intent.amount,
      latest_charge: charge.id,
      next_action: null,
      processing: null,
      last_payment_error: null,
    });
    const events: Stripe.Event[] = [
      this.events.create('payment_intent.succeeded', paid, origin),
      this.events.create('charge.succeeded', charge, origin),
    ];
    const customerId = idOf(intent.customer);
    if (intent.setup_future_usage !== null && customerId !== null) {
      events.push(...this.attachPaymentMethod(paymentMethod, customerId, origin).events);
    }
    if (card.behaviour.kind === 'disputed_after_success') {
      events.push(...this.openDispute(charge, 'fraudulent', origin).events);
    }
    if (card.behaviour.kind === 'early_fraud_warning_after_success') {
      events.push(...this.openEarlyFraudWarning(charge, DEFAULT_FRAUD_TYPE, origin).events);
    }
    return { intent: paid, charge: this.store.charges.require(charge.id), decline: null, events };
  }

  private decline(
    intent: Stripe.PaymentIntent,
    paymentMethod: Stripe.PaymentMethod,
    card: TestCard,
    result: Extract<ChargeResult, { kind: 'issuer_declined' | 'blocked' }>,
    origin: EventOrigin,
  ): PaymentAttempt {
    const charge = this.store.charges.save(
      buildCharge({ intent, paymentMethod, card, result, authenticated: false }, this.createdAt()),
    );
    return this.markDeclined(intent, charge, paymentMethod, result, origin);
  }

  private markDeclined(
    intent: Stripe.PaymentIntent,
    charge: Stripe.Charge,
    paymentMethod: Stripe.PaymentMethod,
    result: Extract<ChargeResult, { kind: 'issuer_declined' | 'blocked' }>,
    origin: EventOrigin,
  ): PaymentAttempt {
    const error: StripeErrorObject = {
      type: 'card_error',
      code: result.kind === 'blocked' ? 'card_declined' : result.code,
      decline_code: result.kind === 'blocked' ? 'fraudulent' : result.declineCode,
      message: result.kind === 'blocked' ? 'Your card was declined.' : result.message,
      charge: charge.id,
      doc_url: 'https://stripe.com/docs/error-codes/card-declined',
      payment_method: paymentMethod,
    };
    const failed = this.store.paymentIntents.save({
      ...intent,
      status: 'requires_payment_method',
      payment_method: null,
      latest_charge: charge.id,
      processing: null,
      last_payment_error: error,
    });
    return {
      intent: failed,
      charge,
      decline: { ...error, payment_intent: failed },
      events: [
        this.events.create('payment_intent.payment_failed', failed, origin),
        this.events.create('charge.failed', charge, origin),
      ],
    };
  }

  private requireAuthentication(
    intent: Stripe.PaymentIntent,
    returnUrl: string | null,
    origin: EventOrigin,
  ): PaymentAttempt {
    const waiting = this.store.paymentIntents.save({
      ...intent,
      status: 'requires_action',
      next_action: this.redirectTo(intent.id, returnUrl),
    });
    return {
      intent: waiting,
      charge: null,
      decline: null,
      events: [this.events.create('payment_intent.requires_action', waiting, origin)],
    };
  }

  private startProcessing(
    intent: Stripe.PaymentIntent,
    paymentMethod: Stripe.PaymentMethod,
    card: TestCard,
    origin: EventOrigin,
  ): PaymentAttempt {
    const charge = this.store.charges.save(
      buildCharge(
        { intent, paymentMethod, card, result: { kind: 'pending' }, authenticated: false },
        this.createdAt(),
      ),
    );
    const processing = this.store.paymentIntents.save({
      ...intent,
      status: 'processing',
      latest_charge: charge.id,
      processing: { type: 'card' },
    });
    return {
      intent: processing,
      charge,
      decline: null,
      events: [
        this.events.create('payment_intent.processing', processing, origin),
        this.events.create('charge.pending', charge, origin),
      ],
    };
  }

  private completeSetup(
    intent: Stripe.SetupIntent,
    paymentMethod: Stripe.PaymentMethod,
    origin: EventOrigin,
  ): SetupAttempt {
    const succeeded = this.store.setupIntents.save({
      ...intent,
      status: 'succeeded',
      payment_method: paymentMethod.id,
      next_action: null,
      last_setup_error: null,
    });
    const events: Stripe.Event[] = [this.events.create('setup_intent.succeeded', succeeded, origin)];
    const customerId = idOf(intent.customer);
    if (customerId !== null)
      events.push(...this.attachPaymentMethod(paymentMethod, customerId, origin).events);
    return { intent: succeeded, decline: null, events };
  }

  /** A next_action valid for payment and setup intents alike. */
  private redirectTo(
    intentId: string,
    returnUrl: string | null,
  ): { type: 'redirect_to_url'; redirect_to_url: { url: string; return_url: string | null } } {
    return {
      type: 'redirect_to_url',
      redirect_to_url: { url: this.authenticationUrl(intentId), return_url: returnUrl },
    };
  }

  /** The payment method an intent in requires_action or processing is using. */
  private paymentMethodOf(intent: {
    payment_method: string | Stripe.PaymentMethod | null;
  }): Stripe.PaymentMethod {
    return this.store.paymentMethods.require(idOf(intent.payment_method) ?? '', 'payment_method');
  }

  private testCardOf(paymentMethod: Stripe.PaymentMethod): TestCard {
    const card = this.cardsByFingerprint.get(paymentMethod.card?.fingerprint ?? '');
    if (card === undefined) throw invalidRequest('Only the fake test cards can be charged', 'payment_method');
    return card;
  }

  private createdAt(): number {
    return toUnixSeconds(this.now());
  }
}

function issuerDecline(
  declineCode: string,
  message = 'Your card was declined.',
): Extract<ChargeResult, { kind: 'issuer_declined' }> {
  return { kind: 'issuer_declined', code: 'card_declined', declineCode, message };
}

function authenticationRequired(): Extract<ChargeResult, { kind: 'issuer_declined' }> {
  return {
    kind: 'issuer_declined',
    code: 'authentication_required',
    declineCode: 'authentication_required',
    message: 'Your card was declined. This transaction requires authentication.',
  };
}

function refundClosedReason(reason: Stripe.Refund.Reason | null): Stripe.Review.ClosedReason {
  return reason === 'fraudulent' ? 'refunded_as_fraud' : 'refunded';
}

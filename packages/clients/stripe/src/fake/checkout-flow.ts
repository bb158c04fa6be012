import type Stripe from 'stripe';
import { invalidRequest, type StripeErrorObject } from './api-error';
import { newStripeId } from './ids';
import {
  AUTOMATIC_ORIGIN,
  buildCheckoutSession,
  buildCustomer,
  buildPaymentIntent,
  buildSetupIntent,
  type CheckoutSessionFields,
  type EventOrigin,
} from './object-factory';
import type { PaymentEngine } from './payment-engine';
import type { FakeStripeStore } from './store';
import { findTestCard, TEST_CARDS } from './test-cards';
import type { WebhookDispatcher } from './webhook-dispatcher';
import { idOf, toUnixSeconds } from '../stripe-fields';

/** What Checkout copies onto the payment intent it creates (`payment_intent_data`). */
export interface PaymentIntentTemplate {
  description: string | null;
  metadata: Stripe.Metadata;
  setupFutureUsage: 'off_session' | 'on_session' | null;
}

export interface CheckoutSessionRequest extends CheckoutSessionFields {
  paymentIntentData: PaymentIntentTemplate;
  setupIntentMetadata: Stripe.Metadata;
}

export interface SandboxPayment {
  /** A test card number or token (see TEST_CARDS). */
  card: string;
  email?: string;
  name?: string;
}

export interface SandboxPaymentResult {
  /** `completed`: the session is complete (paid, or the card saved in setup mode). */
  outcome: 'completed' | 'declined' | 'requires_action' | 'async_payment_failed';
  checkoutSession: Stripe.Checkout.Session;
  paymentIntent: Stripe.PaymentIntent | null;
  setupIntent: Stripe.SetupIntent | null;
  /** Stripe's card error when the card was refused. */
  error: StripeErrorObject | null;
  /** Where the customer completes 3-D Secure when the outcome is requires_action. */
  authenticationUrl: string | null;
}

export interface AuthenticationResult {
  succeeded: boolean;
  paymentIntent: Stripe.PaymentIntent | null;
  setupIntent: Stripe.SetupIntent | null;
  checkoutSession: Stripe.Checkout.Session | null;
  /** Where the customer's browser goes next: the success URL, the payment page again, or return_url. */
  redirectUrl: string | null;
}

type PaymentIntentOutcome = Pick<SandboxPaymentResult, 'outcome' | 'checkoutSession'> & {
  events: Stripe.Event[];
};

/**
 * Stripe Checkout: sessions, paying them on the hosted page (or the sandbox endpoint), 3-D Secure
 * completion, expiry, and the webhooks each step sends, in the order the issue asks for:
 * checkout.session.completed first, then the payment intent's and the charge's.
 */
export class CheckoutFlow {
  private readonly paymentIntentTemplates = new Map<string, PaymentIntentTemplate>();
  private readonly setupIntentMetadata = new Map<string, Stripe.Metadata>();

  constructor(
    private readonly store: FakeStripeStore,
    private readonly engine: PaymentEngine,
    private readonly events: WebhookDispatcher,
    private readonly now: () => Date,
    private readonly hostedPageUrl: (sessionId: string) => string,
  ) {}

  create(request: CheckoutSessionRequest): Stripe.Checkout.Session {
    const session = this.store.checkoutSessions.save(
      buildCheckoutSession(request, this.createdAt(), this.hostedPageUrl),
    );
    this.paymentIntentTemplates.set(session.id, request.paymentIntentData);
    this.setupIntentMetadata.set(session.id, request.setupIntentMetadata);
    return session;
  }

  reset(): void {
    this.paymentIntentTemplates.clear();
    this.setupIntentMetadata.clear();
  }

  /** Sessions past `expires_at` expire when next touched, as if Stripe's timer had fired. */
  retrieve(sessionId: string): Stripe.Checkout.Session {
    const session = this.store.checkoutSessions.require(sessionId);
    if (session.status === 'open' && session.expires_at <= this.createdAt()) {
      return this.expire(session, AUTOMATIC_ORIGIN);
    }
    return session;
  }

  expire(session: Stripe.Checkout.Session, origin: EventOrigin): Stripe.Checkout.Session {
    if (session.status !== 'open') {
      throw invalidRequest(
        `Only Checkout Sessions with a status in ["open"] can be expired. This session has a status of ${session.status}.`,
        'session',
      );
    }
    const expired = this.store.checkoutSessions.save({ ...session, status: 'expired', url: null });
    const events: Stripe.Event[] = [this.events.create('checkout.session.expired', expired, origin)];
    const intent = this.linkedPaymentIntent(expired);
    if (intent !== null && intent.status !== 'succeeded' && intent.status !== 'canceled') {
      events.push(...this.engine.cancelPayment(intent, 'abandoned', origin).events);
    }
    this.events.publish(events);
    return expired;
  }

  /** Pays an open session with a test card, as the customer would on the hosted page. */
  pay(
    sessionId: string,
    payment: SandboxPayment,
    origin: EventOrigin = AUTOMATIC_ORIGIN,
  ): SandboxPaymentResult {
    const session = this.retrieve(sessionId);
    if (session.status !== 'open') {
      throw invalidRequest(
        `This Checkout Session is ${session.status} and can no longer be paid.`,
        'session',
      );
    }
    const card = findTestCard(payment.card);
    if (card === undefined) {
      throw invalidRequest(
        `Unknown test card. Use one of: ${TEST_CARDS.map((candidate) => candidate.number).join(', ')}`,
        'card',
      );
    }
    const email = payment.email ?? session.customer_email ?? this.customerEmail(session);
    const customerId = this.customerFor(session, email);
    const paymentMethod = this.engine.createPaymentMethod(card, { email, name: payment.name ?? null });
    const details = {
      ...session,
      customer: customerId,
      customer_details: customerDetails(email, payment.name),
    };
    return session.mode === 'setup'
      ? this.paySetup(details, paymentMethod, origin)
      : this.payPayment(details, paymentMethod, origin);
  }

  /**
   * Confirms a standalone setup intent with a test card, as Stripe.js `confirmCardSetup` would in
   * live mode: the sandbox's hosted "save a card" page. The card is attached to the intent's
   * customer when the setup succeeds; 3-D Secure cards return requires_action with the challenge.
   */
  saveCard(
    setupIntentId: string,
    card: string,
    returnUrl: string | null,
    origin: EventOrigin = AUTOMATIC_ORIGIN,
  ): { intent: Stripe.SetupIntent; error: StripeErrorObject | null; authenticationUrl: string | null } {
    const intent = this.store.setupIntents.require(setupIntentId, 'intent');
    const testCard = findTestCard(card);
    if (testCard === undefined) {
      throw invalidRequest(
        `Unknown test card. Use one of: ${TEST_CARDS.map((candidate) => candidate.number).join(', ')}`,
        'card',
      );
    }
    const email = this.store.customers.get(idOf(intent.customer) ?? '')?.email ?? null;
    const paymentMethod = this.engine.createPaymentMethod(testCard, { email, name: null });
    const attempt = this.engine.confirmSetup(intent, paymentMethod, returnUrl, origin);
    this.events.publish(attempt.events);
    return {
      intent: attempt.intent,
      error: attempt.decline,
      authenticationUrl: attempt.intent.next_action?.redirect_to_url?.url ?? null,
    };
  }

  /** The customer completed (or failed) 3-D Secure on the challenge page. */
  authenticate(
    intentId: string,
    succeeded: boolean,
    origin: EventOrigin = AUTOMATIC_ORIGIN,
  ): AuthenticationResult {
    const isSetup = intentId.startsWith('seti_');
    const session = this.openSessionWhere(
      (candidate) => (isSetup ? candidate.setup_intent : candidate.payment_intent) === intentId,
    );
    let paymentIntent: Stripe.PaymentIntent | null = null;
    let setupIntent: Stripe.SetupIntent | null = null;
    let returnUrl: string | null;
    let events: Stripe.Event[];
    if (isSetup) {
      const intent = this.store.setupIntents.require(intentId);
      returnUrl = intent.next_action?.redirect_to_url?.return_url ?? null;
      ({ intent: setupIntent, events } = this.engine.completeSetupAuthentication(intent, succeeded, origin));
    } else {
      const intent = this.store.paymentIntents.require(intentId);
      returnUrl = intent.next_action?.redirect_to_url?.return_url ?? null;
      ({ intent: paymentIntent, events } = this.engine.completeAuthentication(intent, succeeded, origin));
    }
    const authenticated = (setupIntent ?? paymentIntent)?.status === 'succeeded';
    const completed =
      session !== undefined && authenticated ? this.complete(session, !isSetup, origin) : null;
    this.events.publish([...(completed?.events ?? []), ...events]);
    if (paymentIntent !== null) this.makeDefaultForSubscription(completed?.session, paymentIntent);
    const finalSession = completed?.session ?? session;
    return {
      succeeded: authenticated,
      paymentIntent,
      setupIntent,
      checkoutSession: finalSession ?? null,
      redirectUrl:
        finalSession === undefined
          ? returnUrl
          : finalSession.status === 'complete'
            ? successUrlFor(finalSession)
            : this.hostedPageUrl(finalSession.id),
    };
  }

  private payPayment(
    session: Stripe.Checkout.Session,
    paymentMethod: Stripe.PaymentMethod,
    origin: EventOrigin,
  ): SandboxPaymentResult {
    const intent = this.paymentIntentFor(session);
    const withIntent = this.store.checkoutSessions.save({ ...session, payment_intent: intent.id });
    const attempt = this.engine.confirmPayment(
      intent,
      paymentMethod,
      { offSession: false, returnUrl: withIntent.success_url },
      origin,
    );
    const result = this.sessionAfterPayment(withIntent, attempt.intent, origin);
    this.events.publish([...result.events.slice(0, 1), ...attempt.events, ...result.events.slice(1)]);
    const finalIntent = this.store.paymentIntents.require(intent.id);
    this.makeDefaultForSubscription(result.checkoutSession, finalIntent);
    return {
      outcome: result.outcome,
      checkoutSession: this.store.checkoutSessions.require(session.id),
      paymentIntent: finalIntent,
      setupIntent: null,
      error: attempt.decline,
      authenticationUrl: finalIntent.next_action?.redirect_to_url?.url ?? null,
    };
  }

  /**
   * The session's state after a payment attempt, and its own events: the first goes before the
   * payment intent's events, any others (asynchronous settlement) after them.
   */
  private sessionAfterPayment(
    session: Stripe.Checkout.Session,
    intent: Stripe.PaymentIntent,
    origin: EventOrigin,
  ): PaymentIntentOutcome {
    switch (intent.status) {
      case 'succeeded': {
        const completed = this.complete(session, true, origin);
        return { outcome: 'completed', checkoutSession: completed.session, events: completed.events };
      }
      case 'processing': {
        // Checkout completes unpaid, then the bank settles: async_payment_succeeded or _failed.
        const completed = this.complete(session, false, origin);
        const settlement = this.engine.settleAsynchronousPayment(intent, origin);
        const paid = settlement.intent.status === 'succeeded';
        const settled = this.store.checkoutSessions.save({
          ...completed.session,
          payment_status: paid ? 'paid' : 'unpaid',
        });
        const sessionEvent = paid
          ? this.events.create('checkout.session.async_payment_succeeded', settled, origin)
          : this.events.create('checkout.session.async_payment_failed', settled, origin);
        return {
          outcome: paid ? 'completed' : 'async_payment_failed',
          checkoutSession: settled,
          events: [...completed.events, sessionEvent, ...settlement.events],
        };
      }
      case 'requires_action':
        return { outcome: 'requires_action', checkoutSession: session, events: [] };
      default:
        return { outcome: 'declined', checkoutSession: session, events: [] };
    }
  }

  private paySetup(
    session: Stripe.Checkout.Session,
    paymentMethod: Stripe.PaymentMethod,
    origin: EventOrigin,
  ): SandboxPaymentResult {
    const intent = this.setupIntentFor(session);
    const withIntent = this.store.checkoutSessions.save({ ...session, setup_intent: intent.id });
    const attempt = this.engine.confirmSetup(intent, paymentMethod, withIntent.success_url, origin);
    const completed = attempt.intent.status === 'succeeded' ? this.complete(withIntent, false, origin) : null;
    this.events.publish([...(completed?.events ?? []), ...attempt.events]);
    return {
      outcome:
        attempt.intent.status === 'succeeded'
          ? 'completed'
          : attempt.intent.status === 'requires_action'
            ? 'requires_action'
            : 'declined',
      checkoutSession: completed?.session ?? withIntent,
      paymentIntent: null,
      setupIntent: attempt.intent,
      error: attempt.decline,
      authenticationUrl: attempt.intent.next_action?.redirect_to_url?.url ?? null,
    };
  }

  private complete(
    session: Stripe.Checkout.Session,
    paid: boolean,
    origin: EventOrigin,
  ): { session: Stripe.Checkout.Session; events: Stripe.Event[] } {
    const completed = this.store.checkoutSessions.save({
      ...session,
      status: 'complete',
      payment_status: session.mode === 'setup' ? 'no_payment_required' : paid ? 'paid' : 'unpaid',
      subscription: session.mode === 'subscription' ? newStripeId('sub') : null,
      url: null,
    });
    return {
      session: completed,
      events: [this.events.create('checkout.session.completed', completed, origin)],
    };
  }

  /** Subscription checkouts leave the card as the customer's default, for renewals. */
  private makeDefaultForSubscription(
    session: Stripe.Checkout.Session | undefined,
    intent: Stripe.PaymentIntent,
  ): void {
    if (session?.mode !== 'subscription' || intent.status !== 'succeeded') return;
    const customer = this.store.customers.get(idOf(session.customer) ?? '');
    if (customer === undefined || typeof intent.payment_method !== 'string') return;
    this.store.customers.save({
      ...customer,
      invoice_settings: { ...customer.invoice_settings, default_payment_method: intent.payment_method },
    });
  }

  private paymentIntentFor(session: Stripe.Checkout.Session): Stripe.PaymentIntent {
    const existing = this.linkedPaymentIntent(session);
    if (existing !== null) return existing;
    const template = this.paymentIntentTemplates.get(session.id);
    return this.store.paymentIntents.save(
      buildPaymentIntent(
        {
          amount: session.amount_total ?? 0,
          currency: session.currency ?? 'usd',
          customer: idOf(session.customer),
          paymentMethod: null,
          description: template?.description ?? null,
          receiptEmail: null,
          setupFutureUsage:
            session.mode === 'subscription' ? 'off_session' : (template?.setupFutureUsage ?? null),
          metadata: template?.metadata ?? {},
        },
        this.createdAt(),
      ),
    );
  }

  private setupIntentFor(session: Stripe.Checkout.Session): Stripe.SetupIntent {
    const existingId = idOf(session.setup_intent);
    if (existingId !== null) return this.store.setupIntents.require(existingId);
    return this.store.setupIntents.save(
      buildSetupIntent(
        {
          customer: idOf(session.customer),
          paymentMethod: null,
          usage: 'off_session',
          metadata: this.setupIntentMetadata.get(session.id) ?? {},
        },
        this.createdAt(),
      ),
    );
  }

  private linkedPaymentIntent(session: Stripe.Checkout.Session): Stripe.PaymentIntent | null {
    const intentId = idOf(session.payment_intent);
    return intentId === null ? null : this.store.paymentIntents.require(intentId);
  }

  /** Payment mode keeps guests as guests; the other modes need a customer to save the card on. */
  private customerFor(session: Stripe.Checkout.Session, email: string | null): string | null {
    const existing = idOf(session.customer);
    if (existing !== null) return existing;
    if (session.mode === 'payment' && session.customer_creation !== 'always') return null;
    const customer = this.store.customers.save(
      buildCustomer({ email, name: null, description: null, phone: null, metadata: {} }, this.createdAt()),
    );
    return customer.id;
  }

  private customerEmail(session: Stripe.Checkout.Session): string | null {
    return this.store.customers.get(idOf(session.customer) ?? '')?.email ?? null;
  }

  private openSessionWhere(
    predicate: (session: Stripe.Checkout.Session) => boolean,
  ): Stripe.Checkout.Session | undefined {
    return this.store.checkoutSessions
      .all()
      .find((session) => session.status === 'open' && predicate(session));
  }

  private createdAt(): number {
    return toUnixSeconds(this.now());
  }
}

/** Stripe substitutes `{CHECKOUT_SESSION_ID}` in the success URL. */
export function successUrlFor(session: Stripe.Checkout.Session): string | null {
  return session.success_url?.replaceAll('{CHECKOUT_SESSION_ID}', session.id) ?? null;
}

function customerDetails(
  email: string | null,
  name: string | undefined,
): Stripe.Checkout.Session.CustomerDetails {
  return {
    address: null,
    business_name: null,
    email,
    individual_name: null,
    name: name ?? null,
    phone: null,
    tax_exempt: 'none',
    tax_ids: [],
  };
}

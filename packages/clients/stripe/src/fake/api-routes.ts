import type Stripe from 'stripe';
import { invalidRequest, resourceMissing, StripeApiError, unexpectedState } from './api-error';
import { addBalanceRoutes } from './balance-routes';
import type { BalanceEngine } from './balance-engine';
import type { CheckoutFlow, CheckoutSessionRequest } from './checkout-flow';
import type { FormReader } from './form';
import {
  buildBillingPortalSession,
  buildCustomer,
  buildLineItem,
  buildPaymentIntent,
  buildSetupIntent,
  buildTransfer,
  type EventOrigin,
  type LineItemFields,
} from './object-factory';
import type { PaymentEngine } from './payment-engine';
import { Router } from './router';
import { type FakeStripeStore, paginate } from './store';
import { createTaxCalculation, type TaxDesk } from './tax-calculations';
import type { WebhookDispatcher } from './webhook-dispatcher';
import { idOf, toUnixSeconds } from '../stripe-fields';
import { stripeAmountProblem } from '../stripe-currencies';

export interface FakeStripeContext {
  store: FakeStripeStore;
  engine: PaymentEngine;
  checkout: CheckoutFlow;
  events: WebhookDispatcher;
  balance: BalanceEngine;
  tax: TaxDesk;
  now(): Date;
  portalUrl(sessionId: string): string;
}

export interface ApiRequest {
  params: Record<string, string>;
  /** Form body of a POST (`expand` already taken out). */
  body: FormReader;
  /** Query of a GET (`expand` already taken out). */
  query: FormReader;
  origin: EventOrigin;
  /** Called with a publishable key (a browser, via Stripe.js): the intent's client secret must come along. */
  publishableKey: boolean;
}

export interface ApiResponse {
  status: number;
  /** A Stripe object or list; expanded by the server before it is sent. */
  body: unknown;
}

export type ApiHandler = (request: ApiRequest) => ApiResponse;

const CHECKOUT_MODES = ['payment', 'subscription', 'setup'] as const;
const RECURRING_INTERVALS = ['day', 'week', 'month', 'year'] as const;
const FUTURE_USAGES = ['off_session', 'on_session'] as const;
const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;
const CANCELLATION_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'] as const;
const MIN_CHECKOUT_LIFETIME_SECONDS = 30 * 60;
const MAX_CHECKOUT_LIFETIME_SECONDS = 24 * 3600;

function ok(body: unknown): ApiResponse {
  return { status: 200, body };
}

/** Reads every parameter, then refuses any the handler did not read, before anything changes. */
function parse<T>(reader: FormReader, read: (params: FormReader) => T): T {
  const value = read(reader);
  reader.rejectUnknown();
  return value;
}

function list<T extends { id: string }>(query: FormReader, items: T[], url: string): ApiResponse {
  const page = paginate(items, query, url);
  query.rejectUnknown();
  return ok(page);
}

function currencyParam(reader: FormReader, name: string): string {
  const currency = reader.requiredString(name).toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) throw invalidRequest(`Invalid currency: ${currency}`, name);
  return currency;
}

function positiveAmount(reader: FormReader, name: string): number {
  const amount = reader.requiredInteger(name);
  if (amount < 1) throw invalidRequest('This value must be greater than or equal to 1.', name);
  return amount;
}

/** Stripe's currency rules (stripe-currencies.ts): refuses an amount Stripe itself would refuse. */
function acceptedAmount(amount: number, currency: string, param: string): void {
  const problem = stripeAmountProblem(amount, currency);
  if (problem !== null) throw invalidRequest(problem.message, param, problem.code);
}

/** Only cards are offered; Stripe's older and newer parameter names are both accepted. */
function cardOnly(reader: FormReader): void {
  for (const name of ['payment_method_types', 'allowed_payment_method_types']) {
    const types = reader.stringList(name);
    if (types.some((type) => type !== 'card'))
      throw invalidRequest('The fake only supports card payments', name);
  }
}

/** Metadata on create: empty values mean "no such key". */
function metadataParam(reader: FormReader): Stripe.Metadata {
  const metadata = reader.stringMap('metadata') ?? {};
  return Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== ''));
}

/** Metadata on update: merged into the stored keys; an empty value removes a key. */
function mergeMetadata(stored: Stripe.Metadata, update: Record<string, string> | undefined): Stripe.Metadata {
  if (update === undefined) return stored;
  const merged = { ...stored, ...update };
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== ''));
}

function filterBy<T>(items: T[], value: string | undefined, field: (item: T) => unknown): T[] {
  return value === undefined ? items : items.filter((item) => field(item) === value);
}

/** Stripe's `created[gt|gte|lt|lte]` list filter (Unix seconds). */
function filterByCreated<T extends { created: number }>(items: T[], query: FormReader): T[] {
  const range = query.child('created');
  if (range === undefined) return items;
  const gt = range.optionalInteger('gt');
  const gte = range.optionalInteger('gte');
  const lt = range.optionalInteger('lt');
  const lte = range.optionalInteger('lte');
  return items.filter(
    ({ created }) =>
      (gt === undefined || created > gt) &&
      (gte === undefined || created >= gte) &&
      (lt === undefined || created < lt) &&
      (lte === undefined || created <= lte),
  );
}

/** The routes of Stripe's REST API that the adapter (and the API app) use. */
export function createApiRoutes(context: FakeStripeContext): Router<ApiHandler> {
  const { store, engine, checkout, events } = context;
  const createdAt = (): number => toUnixSeconds(context.now());

  const requireAttachedTo = (customerId: string, paymentMethodId: string, param: string): void => {
    if (store.paymentMethods.get(paymentMethodId)?.customer !== customerId) {
      throw invalidRequest(
        `The customer does not have a payment method with the ID ${paymentMethodId}. The payment method must be attached to the customer.`,
        param,
        'resource_missing',
      );
    }
  };

  const withDefaultPaymentMethod = (
    customer: Stripe.Customer,
    paymentMethodId: string | null,
  ): Stripe.Customer => {
    if (paymentMethodId !== null) {
      requireAttachedTo(customer.id, paymentMethodId, 'invoice_settings[default_payment_method]');
    }
    return {
      ...customer,
      invoice_settings: { ...customer.invoice_settings, default_payment_method: paymentMethodId },
    };
  };

  const router = new Router<ApiHandler>();

  // Customers
  router.on('POST', '/v1/customers', ({ body, origin }) => {
    const input = parse(body, (params) => ({
      email: params.optionalNonEmptyString('email') ?? null,
      name: params.optionalNonEmptyString('name') ?? null,
      description: params.optionalNonEmptyString('description') ?? null,
      phone: params.optionalNonEmptyString('phone') ?? null,
      metadata: metadataParam(params),
      paymentMethod: params.optionalNonEmptyString('payment_method'),
      defaultPaymentMethod: params
        .child('invoice_settings')
        ?.optionalNonEmptyString('default_payment_method'),
    }));
    let customer = buildCustomer(input, createdAt());
    if (input.paymentMethod !== undefined) {
      const paymentMethod = engine.resolvePaymentMethod(input.paymentMethod, 'payment_method');
      store.customers.save(customer);
      events.publish(engine.attachPaymentMethod(paymentMethod, customer.id, origin).events);
    }
    if (input.defaultPaymentMethod !== undefined) {
      customer = withDefaultPaymentMethod(customer, input.defaultPaymentMethod);
    }
    return ok(store.customers.save(customer));
  });
  router.on('GET', '/v1/customers/:id', ({ params, query }) => {
    query.rejectUnknown();
    return ok(store.customers.require(params.id ?? ''));
  });
  router.on('POST', '/v1/customers/:id', ({ params, body }) => {
    const customer = store.customers.require(params.id ?? '');
    const update = parse(body, (reader) => ({
      email: reader.optionalString('email'),
      name: reader.optionalString('name'),
      description: reader.optionalString('description'),
      phone: reader.optionalString('phone'),
      metadata: reader.stringMap('metadata'),
      defaultPaymentMethod: reader.child('invoice_settings')?.optionalString('default_payment_method'),
    }));
    // Stripe clears a field sent as an empty string.
    const cleared = (value: string | undefined, current: string | null): string | null =>
      value === undefined ? current : value === '' ? null : value;
    let updated: Stripe.Customer = {
      ...customer,
      email: cleared(update.email, customer.email),
      name: cleared(update.name, customer.name ?? null),
      description: cleared(update.description, customer.description),
      phone: cleared(update.phone, customer.phone ?? null),
      metadata: mergeMetadata(customer.metadata, update.metadata),
    };
    if (update.defaultPaymentMethod !== undefined) {
      updated = withDefaultPaymentMethod(
        updated,
        update.defaultPaymentMethod === '' ? null : update.defaultPaymentMethod,
      );
    }
    return ok(store.customers.save(updated));
  });
  router.on('GET', '/v1/customers', ({ query }) => {
    const email = query.optionalNonEmptyString('email');
    return list(
      query,
      filterBy(store.customers.all(), email, (customer) => customer.email),
      '/v1/customers',
    );
  });

  // Payment methods
  const listPaymentMethods = (
    query: FormReader,
    customerId: string | undefined,
    url: string,
  ): ApiResponse => {
    query.optionalEnum('type', ['card']);
    if (customerId !== undefined) store.customers.require(customerId, 'customer');
    const paymentMethods = filterBy(
      store.paymentMethods.all(),
      customerId,
      (paymentMethod) => paymentMethod.customer,
    );
    return list(query, customerId === undefined ? [] : paymentMethods, url);
  };
  router.on('GET', '/v1/payment_methods', ({ query }) =>
    listPaymentMethods(query, query.optionalNonEmptyString('customer'), '/v1/payment_methods'),
  );
  router.on('GET', '/v1/customers/:id/payment_methods', ({ params, query }) =>
    listPaymentMethods(query, params.id, `/v1/customers/${params.id}/payment_methods`),
  );
  router.on('GET', '/v1/payment_methods/:id', ({ params, query }) => {
    query.rejectUnknown();
    return ok(store.paymentMethods.require(params.id ?? ''));
  });
  router.on('POST', '/v1/payment_methods/:id/attach', ({ params, body, origin }) => {
    const customerId = parse(body, (reader) => reader.requiredString('customer'));
    store.customers.require(customerId, 'customer');
    const paymentMethod = engine.resolvePaymentMethod(params.id ?? '', 'payment_method');
    const attached = engine.attachPaymentMethod(paymentMethod, customerId, origin);
    events.publish(attached.events);
    return ok(attached.paymentMethod);
  });
  router.on('POST', '/v1/payment_methods/:id/detach', ({ params, body, origin }) => {
    body.rejectUnknown();
    const detached = engine.detachPaymentMethod(store.paymentMethods.require(params.id ?? ''), origin);
    events.publish(detached.events);
    return ok(detached.paymentMethod);
  });

  // Checkout sessions
  router.on('POST', '/v1/checkout/sessions', ({ body }) => {
    const request = parse(body, (reader) => readCheckoutSessionRequest(reader, createdAt()));
    if (request.customer !== null) store.customers.require(request.customer, 'customer');
    return ok(checkout.create(request));
  });
  router.on('GET', '/v1/checkout/sessions/:id', ({ params, query }) => {
    query.rejectUnknown();
    return ok(checkout.retrieve(params.id ?? ''));
  });
  router.on('GET', '/v1/checkout/sessions/:id/line_items', ({ params, query }) => {
    const session = checkout.retrieve(params.id ?? '');
    return list(query, session.line_items?.data ?? [], `/v1/checkout/sessions/${session.id}/line_items`);
  });
  router.on('GET', '/v1/checkout/sessions', ({ query }) => {
    let sessions = store.checkoutSessions.all();
    sessions = filterBy(sessions, query.optionalNonEmptyString('customer'), (session) => session.customer);
    sessions = filterBy(
      sessions,
      query.optionalNonEmptyString('payment_intent'),
      (session) => session.payment_intent,
    );
    sessions = filterBy(sessions, query.optionalNonEmptyString('status'), (session) => session.status);
    return list(query, sessions, '/v1/checkout/sessions');
  });
  router.on('POST', '/v1/checkout/sessions/:id/expire', ({ params, body, origin }) => {
    body.rejectUnknown();
    return ok(checkout.expire(checkout.retrieve(params.id ?? ''), origin));
  });

  // Payment intents
  const confirmPaymentIntent = (
    intent: Stripe.PaymentIntent,
    options: { paymentMethod: string | undefined; offSession: boolean; returnUrl: string | null },
    origin: EventOrigin,
  ): ApiResponse => {
    const reference = options.paymentMethod ?? idOf(intent.payment_method) ?? undefined;
    if (reference === undefined) {
      throw unexpectedState(
        "You cannot confirm this PaymentIntent because it's missing a payment method.",
        'payment_intent_unexpected_state',
      );
    }
    const paymentMethod = engine.resolvePaymentMethod(reference, 'payment_method');
    const customerId = idOf(intent.customer);
    if (paymentMethod.customer !== null && paymentMethod.customer !== customerId) {
      throw invalidRequest(
        `The PaymentMethod ${paymentMethod.id} does not belong to the Customer ${customerId ?? '(none)'}.`,
        'payment_method',
      );
    }
    const attempt = engine.confirmPayment(intent, paymentMethod, options, origin);
    events.publish(attempt.events);
    if (attempt.decline !== null) throw new StripeApiError(402, attempt.decline);
    return ok(attempt.intent);
  };
  const readOffSession = (reader: FormReader): boolean => {
    const value = reader.optionalNonEmptyString('off_session');
    if (value === undefined || value === 'false') return false;
    if (value === 'true' || value === 'one_off' || value === 'recurring') return true;
    throw invalidRequest(`Invalid off_session: ${value}`, 'off_session');
  };

  router.on('POST', '/v1/payment_intents', ({ body, origin }) => {
    const input = parse(body, (reader) => {
      cardOnly(reader);
      reader.child('automatic_payment_methods')?.optionalBoolean('enabled');
      reader.optionalEnum('capture_method', ['automatic', 'automatic_async']);
      return {
        amount: positiveAmount(reader, 'amount'),
        currency: currencyParam(reader, 'currency'),
        customer: reader.optionalNonEmptyString('customer') ?? null,
        paymentMethod: reader.optionalNonEmptyString('payment_method'),
        confirm: reader.optionalBoolean('confirm') ?? false,
        offSession: readOffSession(reader),
        returnUrl: reader.optionalNonEmptyString('return_url') ?? null,
        description: reader.optionalNonEmptyString('description') ?? null,
        receiptEmail: reader.optionalNonEmptyString('receipt_email') ?? null,
        setupFutureUsage: reader.optionalEnum('setup_future_usage', FUTURE_USAGES) ?? null,
        metadata: metadataParam(reader),
      };
    });
    acceptedAmount(input.amount, input.currency, 'amount');
    if (input.offSession && !input.confirm) {
      throw invalidRequest('off_session can only be used when confirm=true.', 'off_session');
    }
    if (input.customer !== null) store.customers.require(input.customer, 'customer');
    const intent = store.paymentIntents.save(
      buildPaymentIntent({ ...input, paymentMethod: null }, createdAt()),
    );
    if (!input.confirm) {
      if (input.paymentMethod === undefined) return ok(intent);
      const paymentMethod = engine.resolvePaymentMethod(input.paymentMethod, 'payment_method');
      return ok(
        store.paymentIntents.save({
          ...intent,
          payment_method: paymentMethod.id,
          status: 'requires_confirmation',
        }),
      );
    }
    return confirmPaymentIntent(intent, input, origin);
  });
  router.on('GET', '/v1/payment_intents/:id', ({ params, query }) => {
    query.rejectUnknown();
    return ok(store.paymentIntents.require(params.id ?? ''));
  });
  router.on('GET', '/v1/payment_intents', ({ query }) => {
    const customer = query.optionalNonEmptyString('customer');
    return list(
      query,
      filterByCreated(
        filterBy(store.paymentIntents.all(), customer, (intent) => intent.customer),
        query,
      ),
      '/v1/payment_intents',
    );
  });
  router.on('POST', '/v1/payment_intents/:id/confirm', ({ params, body, origin }) => {
    const intent = store.paymentIntents.require(params.id ?? '');
    const input = parse(body, (reader) => ({
      paymentMethod: reader.optionalNonEmptyString('payment_method'),
      offSession: readOffSession(reader),
      returnUrl: reader.optionalNonEmptyString('return_url') ?? null,
    }));
    return confirmPaymentIntent(intent, input, origin);
  });
  router.on('POST', '/v1/payment_intents/:id/cancel', ({ params, body, origin }) => {
    const intent = store.paymentIntents.require(params.id ?? '');
    const reason = parse(
      body,
      (reader) => reader.optionalEnum('cancellation_reason', CANCELLATION_REASONS) ?? null,
    );
    const canceled = engine.cancelPayment(intent, reason, origin);
    events.publish(canceled.events);
    return ok(canceled.intent);
  });

  // Charges
  router.on('GET', '/v1/charges/:id', ({ params, query }) => {
    query.rejectUnknown();
    return ok(store.charges.require(params.id ?? ''));
  });
  router.on('GET', '/v1/charges', ({ query }) => {
    let charges = store.charges.all();
    charges = filterBy(
      charges,
      query.optionalNonEmptyString('payment_intent'),
      (charge) => charge.payment_intent,
    );
    charges = filterBy(charges, query.optionalNonEmptyString('customer'), (charge) => charge.customer);
    charges = filterByCreated(charges, query);
    return list(query, charges, '/v1/charges');
  });

  // Refunds
  router.on('POST', '/v1/refunds', ({ body, origin }) => {
    const input = parse(body, (reader) => ({
      charge: reader.optionalNonEmptyString('charge'),
      paymentIntent: reader.optionalNonEmptyString('payment_intent'),
      amount: reader.optionalInteger('amount'),
      reason: reader.optionalEnum('reason', REFUND_REASONS) ?? null,
      metadata: metadataParam(reader),
    }));
    const charge = chargeToRefund(store, input.charge, input.paymentIntent);
    if (input.amount !== undefined) acceptedAmount(input.amount, charge.currency, 'amount');
    const refunded = engine.refund(charge, input, origin);
    events.publish(refunded.events);
    return ok(refunded.refund);
  });
  router.on('GET', '/v1/refunds/:id', ({ params, query }) => {
    query.rejectUnknown();
    return ok(store.refunds.require(params.id ?? ''));
  });
  router.on('GET', '/v1/refunds', ({ query }) => {
    let refunds = store.refunds.all();
    refunds = filterBy(refunds, query.optionalNonEmptyString('charge'), (refund) => refund.charge);
    refunds = filterBy(
      refunds,
      query.optionalNonEmptyString('payment_intent'),
      (refund) => refund.payment_intent,
    );
    refunds = filterByCreated(refunds, query);
    return list(query, refunds, '/v1/refunds');
  });

  // Disputes
  router.on('GET', '/v1/disputes/:id', ({ params, query }) => {
    query.rejectUnknown();
    return ok(store.disputes.require(params.id ?? ''));
  });

  // Radar: early fraud warnings and reviews (created by the issuer and Radar, so read-only here)
  router.on('GET', '/v1/radar/early_fraud_warnings/:id', ({ params, query }) => {
    query.rejectUnknown();
    return ok(store.earlyFraudWarnings.require(params.id ?? ''));
  });
  router.on('GET', '/v1/radar/early_fraud_warnings', ({ query }) => {
    let warnings = store.earlyFraudWarnings.all();
    warnings = filterBy(warnings, query.optionalNonEmptyString('charge'), (warning) => idOf(warning.charge));
    warnings = filterBy(warnings, query.optionalNonEmptyString('payment_intent'), (warning) =>
      idOf(warning.payment_intent),
    );
    return list(query, warnings, '/v1/radar/early_fraud_warnings');
  });
  router.on('GET', '/v1/reviews/:id', ({ params, query }) => {
    query.rejectUnknown();
    return ok(store.reviews.require(params.id ?? ''));
  });
  // Stripe lists open reviews only.
  router.on('GET', '/v1/reviews', ({ query }) =>
    list(
      query,
      store.reviews.all().filter((review) => review.open),
      '/v1/reviews',
    ),
  );

  // Setup intents
  const confirmSetupIntent = (
    intent: Stripe.SetupIntent,
    paymentMethodReference: string | undefined,
    returnUrl: string | null,
    origin: EventOrigin,
  ): ApiResponse => {
    const reference = paymentMethodReference ?? idOf(intent.payment_method) ?? undefined;
    if (reference === undefined) {
      throw unexpectedState(
        "You cannot confirm this SetupIntent because it's missing a payment method.",
        'setup_intent_unexpected_state',
      );
    }
    const attempt = engine.confirmSetup(
      intent,
      engine.resolvePaymentMethod(reference, 'payment_method'),
      returnUrl,
      origin,
    );
    events.publish(attempt.events);
    if (attempt.decline !== null)
      throw new StripeApiError(402, { ...attempt.decline, setup_intent: attempt.intent });
    return ok(attempt.intent);
  };
  router.on('POST', '/v1/setup_intents', ({ body, origin }) => {
    const input = parse(body, (reader) => {
      cardOnly(reader);
      return {
        customer: reader.optionalNonEmptyString('customer') ?? null,
        paymentMethod: reader.optionalNonEmptyString('payment_method'),
        confirm: reader.optionalBoolean('confirm') ?? false,
        usage: reader.optionalEnum('usage', FUTURE_USAGES) ?? 'off_session',
        returnUrl: reader.optionalNonEmptyString('return_url') ?? null,
        metadata: metadataParam(reader),
      };
    });
    if (input.customer !== null) store.customers.require(input.customer, 'customer');
    const intent = store.setupIntents.save(buildSetupIntent({ ...input, paymentMethod: null }, createdAt()));
    if (input.confirm) return confirmSetupIntent(intent, input.paymentMethod, input.returnUrl, origin);
    if (input.paymentMethod === undefined) return ok(intent);
    const paymentMethod = engine.resolvePaymentMethod(input.paymentMethod, 'payment_method');
    return ok(
      store.setupIntents.save({
        ...intent,
        payment_method: paymentMethod.id,
        status: 'requires_confirmation',
      }),
    );
  });
  router.on('GET', '/v1/setup_intents/:id', ({ params, query }) => {
    query.rejectUnknown();
    return ok(store.setupIntents.require(params.id ?? ''));
  });
  router.on('POST', '/v1/setup_intents/:id/confirm', ({ params, body, origin, publishableKey }) => {
    const intent = store.setupIntents.require(params.id ?? '');
    const input = parse(body, (reader) => ({
      paymentMethod: reader.optionalNonEmptyString('payment_method'),
      returnUrl: reader.optionalNonEmptyString('return_url') ?? null,
      clientSecret: publishableKey ? reader.requiredString('client_secret') : undefined,
    }));
    // Stripe.js proves it may confirm the intent with its client secret.
    if (publishableKey && input.clientSecret !== intent.client_secret) {
      throw resourceMissing('setup_intent', intent.id, 'intent');
    }
    return confirmSetupIntent(intent, input.paymentMethod, input.returnUrl, origin);
  });

  // Billing portal
  router.on('POST', '/v1/billing_portal/sessions', ({ body }) => {
    const input = parse(body, (reader) => ({
      customer: reader.requiredString('customer'),
      returnUrl: reader.optionalNonEmptyString('return_url') ?? null,
      configuration: reader.optionalNonEmptyString('configuration'),
    }));
    store.customers.require(input.customer, 'customer');
    return ok(
      store.billingPortalSessions.save(
        buildBillingPortalSession(input.customer, input.returnUrl, createdAt(), context.portalUrl),
      ),
    );
  });

  // Stripe Tax: calculations from the account's registrations (tax-calculations.ts)
  router.on('POST', '/v1/tax/calculations', ({ body }) =>
    ok(createTaxCalculation(body, context.tax.current(), context.now())),
  );

  // Connect: transfers to connected accounts (payouts) and the accounts themselves
  router.on('POST', '/v1/transfers', ({ body, origin }) => {
    const input = parse(body, (reader) => ({
      amount: positiveAmount(reader, 'amount'),
      currency: currencyParam(reader, 'currency'),
      destination: reader.requiredString('destination'),
      description: reader.optionalNonEmptyString('description') ?? null,
      transferGroup: reader.optionalNonEmptyString('transfer_group') ?? null,
      metadata: metadataParam(reader),
    }));
    acceptedAmount(input.amount, input.currency, 'amount');
    const account = store.accounts.get(input.destination);
    if (account === undefined) throw resourceMissing('destination', input.destination, 'destination');
    if (account.capabilities?.transfers !== 'active') {
      throw invalidRequest(
        'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
        'destination',
        'insufficient_capabilities_for_transfer',
      );
    }
    const transfer = store.transfers.save(buildTransfer(input, createdAt()));
    context.balance.recordTransfer(transfer);
    events.publish([events.create('transfer.created', transfer, origin)]);
    return ok(transfer);
  });
  router.on('GET', '/v1/transfers/:id', ({ params, query }) => {
    query.rejectUnknown();
    return ok(store.transfers.require(params.id ?? ''));
  });
  router.on('GET', '/v1/transfers', ({ query }) => {
    const destination = query.optionalNonEmptyString('destination');
    return list(
      query,
      filterBy(store.transfers.all(), destination, (transfer) => transfer.destination),
      '/v1/transfers',
    );
  });
  router.on('GET', '/v1/accounts/:id', ({ params, query }) => {
    query.rejectUnknown();
    return ok(store.accounts.require(params.id ?? ''));
  });

  // Events, for reconciling missed webhooks
  router.on('GET', '/v1/events/:id', ({ params, query }) => {
    query.rejectUnknown();
    return ok(store.events.require(params.id ?? ''));
  });
  router.on('GET', '/v1/events', ({ query }) => {
    const type = query.optionalNonEmptyString('type');
    return list(
      query,
      filterBy(store.events.all(), type, (event) => event.type),
      '/v1/events',
    );
  });

  addBalanceRoutes(router, context);
  return router;
}

function chargeToRefund(
  store: FakeStripeStore,
  chargeId: string | undefined,
  paymentIntentId: string | undefined,
): Stripe.Charge {
  if ((chargeId === undefined) === (paymentIntentId === undefined)) {
    throw invalidRequest('Exactly one of `charge` or `payment_intent` is required.', 'charge');
  }
  if (chargeId !== undefined) return store.charges.require(chargeId, 'charge');
  const intent = store.paymentIntents.require(paymentIntentId ?? '', 'payment_intent');
  if (intent.status !== 'succeeded' || typeof intent.latest_charge !== 'string') {
    throw invalidRequest('This PaymentIntent does not have a successful charge to refund.', 'payment_intent');
  }
  return store.charges.require(intent.latest_charge, 'charge');
}

function readCheckoutSessionRequest(reader: FormReader, now: number): CheckoutSessionRequest {
  const mode = reader.optionalEnum('mode', CHECKOUT_MODES);
  if (mode === undefined) throw invalidRequest('Missing required param: mode.', 'mode', 'parameter_missing');
  cardOnly(reader);
  reader.optionalEnum('ui_mode', ['hosted']);
  const customer = reader.optionalNonEmptyString('customer') ?? null;
  const customerEmail = reader.optionalNonEmptyString('customer_email') ?? null;
  if (customer !== null && customerEmail !== null) {
    throw invalidRequest(
      'You may only specify one of these parameters: customer, customer_email.',
      'customer_email',
    );
  }
  const lineItems = reader.children('line_items').map((item) => readLineItem(item));
  const currencies = new Set(lineItems.map((item) => item.currency));
  if (currencies.size > 1) throw invalidRequest('All line items must use the same currency.', 'line_items');
  if (mode === 'setup' && lineItems.length > 0) {
    throw invalidRequest('You cannot pass `line_items` in `setup` mode.', 'line_items');
  }
  if (mode !== 'setup' && lineItems.length === 0) {
    throw invalidRequest(
      `\`line_items\` is required in \`${mode}\` mode.`,
      'line_items',
      'parameter_missing',
    );
  }
  const recurring = lineItems.filter((item) => item.recurring !== null).length;
  if (mode === 'payment' && recurring > 0) {
    throw invalidRequest(
      'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
      'line_items',
    );
  }
  if (mode === 'subscription' && recurring === 0) {
    throw invalidRequest(
      'You must specify at least one recurring price in `subscription` mode.',
      'line_items',
    );
  }
  const intentData = reader.child('payment_intent_data');
  if (intentData !== undefined && mode !== 'payment') {
    throw invalidRequest(
      `You can not pass \`payment_intent_data\` in \`${mode}\` mode.`,
      'payment_intent_data',
    );
  }
  const expiresAt = reader.optionalInteger('expires_at') ?? now + MAX_CHECKOUT_LIFETIME_SECONDS;
  if (expiresAt < now + MIN_CHECKOUT_LIFETIME_SECONDS || expiresAt > now + MAX_CHECKOUT_LIFETIME_SECONDS) {
    throw invalidRequest(
      'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.',
      'expires_at',
    );
  }
  const explicitCurrency = reader.has('currency') ? currencyParam(reader, 'currency') : null;
  const lineItemsCurrency = [...currencies][0] ?? null;
  return {
    mode,
    customer,
    customerEmail,
    currency: lineItemsCurrency ?? explicitCurrency,
    lineItems: lineItems.map((item) => buildLineItem(item, now)),
    successUrl: reader.requiredString('success_url'),
    cancelUrl: reader.optionalNonEmptyString('cancel_url') ?? null,
    clientReferenceId: reader.optionalNonEmptyString('client_reference_id') ?? null,
    metadata: metadataParam(reader),
    customerCreation: reader.optionalEnum('customer_creation', ['always', 'if_required']) ?? null,
    expiresAt,
    paymentIntentData: {
      description: intentData?.optionalNonEmptyString('description') ?? null,
      metadata: intentData === undefined ? {} : metadataParam(intentData),
      setupFutureUsage: intentData?.optionalEnum('setup_future_usage', FUTURE_USAGES) ?? null,
    },
    setupIntentMetadata: (() => {
      const setupData = reader.child('setup_intent_data');
      return setupData === undefined ? {} : metadataParam(setupData);
    })(),
  };
}

function readLineItem(item: FormReader): LineItemFields {
  if (item.has('price')) {
    const price = item.requiredString('price');
    throw resourceMissing('price', price, 'price');
  }
  const priceData = item.child('price_data');
  if (priceData === undefined)
    throw invalidRequest('Each line item needs price_data.', 'line_items', 'parameter_missing');
  const productData = priceData.child('product_data');
  if (productData === undefined) {
    throw invalidRequest(
      'price_data needs product_data (the fake has no products).',
      'product_data',
      'parameter_missing',
    );
  }
  const recurring = priceData.child('recurring');
  const quantity = item.requiredInteger('quantity');
  if (quantity < 1) throw invalidRequest('This value must be greater than or equal to 1.', 'quantity');
  const unitAmount = priceData.requiredInteger('unit_amount');
  if (unitAmount < 0) throw invalidRequest('This value must be greater than or equal to 0.', 'unit_amount');
  acceptedAmount(unitAmount, priceData.requiredString('currency'), 'unit_amount');
  return {
    name: productData.requiredString('name'),
    description: productData.optionalNonEmptyString('description') ?? null,
    currency: currencyParam(priceData, 'currency'),
    unitAmount,
    quantity,
    recurring:
      recurring === undefined
        ? null
        : {
            interval: recurring.optionalEnum('interval', RECURRING_INTERVALS) ?? 'month',
            intervalCount: recurring.optionalInteger('interval_count') ?? 1,
          },
  };
}

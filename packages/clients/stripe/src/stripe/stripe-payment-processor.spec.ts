import { randomUUID } from 'node:crypto';
import {
  AuthenticationError,
  CardDeclinedError,
  IdempotencyConflictError,
  InvalidRequestError,
  ResourceNotFoundError,
} from '../port/errors';
import type { ProcessorEvent } from '../port/events';
import type { CreateCheckoutSessionInput, ProcessorCharge, ProcessorPaymentIntent } from '../port/types';
import { createFakeStripeServer, type FakeStripeServer } from '../fake/fake-stripe-server';
import { StripePaymentProcessor } from './stripe-payment-processor';
import { type Harness, startHarness } from '../testing/harness';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});
afterEach(() => harness.reset());
afterAll(() => harness.close());

const key = (): string => `test-${randomUUID()}`;

function evaluationCheckout(overrides: Partial<CreateCheckoutSessionInput> = {}): CreateCheckoutSessionInput {
  return {
    mode: 'payment',
    lineItems: [{ name: 'Evaluation 50k', unitAmountMinor: 9_900, currency: 'USD', quantity: 1 }],
    successUrl: 'https://app.astrix.test/checkout/success?session={CHECKOUT_SESSION_ID}',
    cancelUrl: 'https://app.astrix.test/checkout/cancel',
    clientReferenceId: 'order_123',
    metadata: { orderId: 'order_123' },
    paymentIntentMetadata: { orderId: 'order_123' },
    ...overrides,
  };
}

function typesOf(events: ProcessorEvent[]): string[] {
  return events.map((event) => event.type);
}

function chargeFrom(events: ProcessorEvent[], type: 'charge.succeeded' | 'charge.failed'): ProcessorCharge {
  const event = events.find((candidate) => candidate.type === type);
  if (event === undefined || (event.type !== 'charge.succeeded' && event.type !== 'charge.failed')) {
    throw new Error(`no ${type} event`);
  }
  return event.object;
}

async function declineOf(promise: Promise<unknown>): Promise<CardDeclinedError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof CardDeclinedError))
    throw new Error(`expected a CardDeclinedError, got ${String(error)}`);
  return error;
}

describe('customers', () => {
  it('creates a customer and reads it back in our vocabulary', async () => {
    const created = await harness.processor.createCustomer(
      { email: 'trader@astrix.test', name: 'Ada Trader', metadata: { userId: 'usr_1' } },
      key(),
    );

    const fetched = await harness.processor.getCustomer(created.id);

    expect(created.id).toMatch(/^cus_\w+$/);
    expect(fetched).toEqual(created);
    expect(fetched).toMatchObject({
      email: 'trader@astrix.test',
      name: 'Ada Trader',
      metadata: { userId: 'usr_1' },
      defaultPaymentMethodId: null,
    });
    expect(fetched.createdAt).toBeInstanceOf(Date);
  });

  it('merges metadata on update and removes keys set to an empty string', async () => {
    const customer = await harness.processor.createCustomer(
      { metadata: { userId: 'usr_1', tier: 'gold' } },
      key(),
    );

    const updated = await harness.processor.updateCustomer(
      customer.id,
      { email: 'new@astrix.test', metadata: { tier: '', region: 'eu' } },
      key(),
    );

    expect(updated.email).toBe('new@astrix.test');
    expect(updated.metadata).toEqual({ userId: 'usr_1', region: 'eu' });
  });

  it('reports an unknown customer as ResourceNotFoundError', async () => {
    await expect(harness.processor.getCustomer('cus_doesnotexist')).rejects.toBeInstanceOf(
      ResourceNotFoundError,
    );
  });

  it('pages through customers with a cursor, newest first', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      ids.push((await harness.processor.createCustomer({ email: `page${index}@astrix.test` }, key())).id);
    }

    const first = await harness.processor.listCustomers({ limit: 2 });
    const second = await harness.processor.listCustomers({ limit: 2, cursor: first.nextCursor ?? undefined });
    const third = await harness.processor.listCustomers({ limit: 2, cursor: second.nextCursor ?? undefined });

    expect([first.hasMore, second.hasMore, third.hasMore]).toEqual([true, true, false]);
    expect(third.nextCursor).toBeNull();
    expect([...first.data, ...second.data, ...third.data].map((customer) => customer.id)).toEqual(
      ids.reverse(),
    );
  });

  it('filters customers by email', async () => {
    await harness.processor.createCustomer({ email: 'one@astrix.test' }, key());
    const wanted = await harness.processor.createCustomer({ email: 'two@astrix.test' }, key());

    const page = await harness.processor.listCustomers({ email: 'two@astrix.test' });

    expect(page.data.map((customer) => customer.id)).toEqual([wanted.id]);
  });
});

describe('checkout', () => {
  it('sends completed, payment_intent.succeeded and charge.succeeded, signed, after a 4242 payment', async () => {
    const customer = await harness.processor.createCustomer({ email: 'buyer@astrix.test' }, key());
    const session = await harness.processor.createCheckoutSession(
      evaluationCheckout({ customerId: customer.id }),
      key(),
    );
    expect(session).toMatchObject({
      status: 'open',
      paymentStatus: 'unpaid',
      amountTotalMinor: 9_900,
      currency: 'USD',
    });
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.url).toContain(`/pay/${session.id}`);

    const payment = harness.fake.controls.payCheckoutSession(session.id, { card: '4242424242424242' });
    const events = await harness.receivedEvents();

    expect(payment.outcome).toBe('completed');
    expect(typesOf(events)).toEqual([
      'checkout.session.completed',
      'payment_intent.succeeded',
      'charge.succeeded',
    ]);
    const [completed, succeeded] = events;
    expect(completed?.type === 'checkout.session.completed' && completed.object).toMatchObject({
      id: session.id,
      status: 'complete',
      paymentStatus: 'paid',
      clientReferenceId: 'order_123',
      customerId: customer.id,
      metadata: { orderId: 'order_123' },
    });
    expect(succeeded?.type === 'payment_intent.succeeded' && succeeded.object).toMatchObject({
      status: 'succeeded',
      amountReceivedMinor: 9_900,
      metadata: { orderId: 'order_123' },
    });
    const charge = chargeFrom(events, 'charge.succeeded');
    expect(charge.card).toMatchObject({ brand: 'visa', last4: '4242', country: 'US' });
    expect(charge.card?.fingerprint).toMatch(/^\w{16}$/);
    expect(charge.riskOutcome).toMatchObject({
      networkStatus: 'approved_by_network',
      type: 'authorized',
      riskLevel: 'normal',
    });
    expect(await harness.processor.getCheckoutSession(session.id)).toMatchObject({
      status: 'complete',
      paymentStatus: 'paid',
      paymentIntentId: charge.paymentIntentId,
    });
  });

  it('gives the same card the same fingerprint across customers', async () => {
    const charges: ProcessorCharge[] = [];
    for (const email of ['first@astrix.test', 'second@astrix.test']) {
      const session = await harness.processor.createCheckoutSession(
        evaluationCheckout({ customerEmail: email }),
        key(),
      );
      harness.fake.controls.payCheckoutSession(session.id, { card: '4242 4242 4242 4242' });
      charges.push(chargeFrom(await harness.receivedEvents(), 'charge.succeeded'));
      harness.receiver.clear();
    }

    expect(charges[0]?.card?.fingerprint).toBe(charges[1]?.card?.fingerprint);
  });

  it('records a declined card: the session stays open and payment_failed is sent', async () => {
    const session = await harness.processor.createCheckoutSession(evaluationCheckout(), key());

    const payment = harness.fake.controls.payCheckoutSession(session.id, { card: '4000000000000002' });
    const events = await harness.receivedEvents();

    expect(payment.outcome).toBe('declined');
    expect(typesOf(events)).toEqual(['payment_intent.payment_failed', 'charge.failed']);
    const failed = events[0];
    expect(failed?.type === 'payment_intent.payment_failed' && failed.object.lastPaymentFailure).toEqual({
      code: 'card_declined',
      declineCode: 'generic_decline',
      message: 'Your card was declined.',
    });
    expect(chargeFrom(events, 'charge.failed').riskOutcome).toMatchObject({
      networkStatus: 'declined_by_network',
      type: 'issuer_declined',
      reason: 'generic_decline',
    });
    expect(await harness.processor.getCheckoutSession(session.id)).toMatchObject({ status: 'open' });
  });

  it('lets the customer pay again with another card after a decline', async () => {
    const session = await harness.processor.createCheckoutSession(evaluationCheckout(), key());

    harness.fake.controls.payCheckoutSession(session.id, { card: '4000000000009995' });
    const retry = harness.fake.controls.payCheckoutSession(session.id, { card: '4242424242424242' });

    expect(retry.outcome).toBe('completed');
    expect(retry.paymentIntent?.status).toBe('succeeded');
  });

  it('asks for 3-D Secure, then completes the session once the customer authenticates', async () => {
    const session = await harness.processor.createCheckoutSession(evaluationCheckout(), key());

    const payment = harness.fake.controls.payCheckoutSession(session.id, { card: '4000000000003220' });
    const intentId = payment.paymentIntent?.id ?? '';
    const waiting = await harness.processor.getPaymentIntent(intentId);
    harness.fake.controls.authenticate(intentId);
    const events = await harness.receivedEvents();

    expect(payment.outcome).toBe('requires_action');
    expect(waiting.status).toBe('requires_action');
    expect(waiting.nextActionUrl).toBe(payment.authenticationUrl);
    expect(typesOf(events)).toEqual([
      'payment_intent.requires_action',
      'checkout.session.completed',
      'payment_intent.succeeded',
      'charge.succeeded',
    ]);
  });

  it('expires an open session and sends checkout.session.expired', async () => {
    const session = await harness.processor.createCheckoutSession(evaluationCheckout(), key());

    const expired = await harness.processor.expireCheckoutSession(session.id, key());
    const events = await harness.receivedEvents();

    expect(expired).toMatchObject({ status: 'expired', url: null });
    expect(typesOf(events)).toEqual(['checkout.session.expired']);
    expect(() => harness.fake.controls.payCheckoutSession(session.id, { card: '4242424242424242' })).toThrow(
      /expired/,
    );
  });

  it('saves the card as the default payment method in subscription mode', async () => {
    const customer = await harness.processor.createCustomer({ email: 'subscriber@astrix.test' }, key());
    const session = await harness.processor.createCheckoutSession(
      evaluationCheckout({
        mode: 'subscription',
        customerId: customer.id,
        paymentIntentMetadata: undefined,
        lineItems: [
          {
            name: 'Pro data feed',
            unitAmountMinor: 2_900,
            currency: 'EUR',
            quantity: 1,
            recurring: { interval: 'month' },
          },
        ],
      }),
      key(),
    );

    harness.fake.controls.payCheckoutSession(session.id, { card: '4242424242424242' });
    const completed = await harness.processor.getCheckoutSession(session.id);
    const refreshed = await harness.processor.getCustomer(customer.id);
    const cards = await harness.processor.listPaymentMethods(customer.id);

    expect(completed).toMatchObject({ status: 'complete', paymentStatus: 'paid', currency: 'EUR' });
    expect(completed.subscriptionId).toMatch(/^sub_/);
    expect(cards.data.map((card) => card.id)).toEqual([refreshed.defaultPaymentMethodId]);
  });

  it('saves a card without charging in setup mode', async () => {
    const customer = await harness.processor.createCustomer({ email: 'saver@astrix.test' }, key());
    const session = await harness.processor.createCheckoutSession(
      {
        mode: 'setup',
        customerId: customer.id,
        currency: 'USD',
        successUrl: 'https://app.astrix.test/saved',
      },
      key(),
    );

    harness.fake.controls.payCheckoutSession(session.id, { card: '4242424242424242' });
    const events = await harness.receivedEvents();

    expect(typesOf(events)).toEqual([
      'checkout.session.completed',
      'setup_intent.succeeded',
      'payment_method.attached',
    ]);
    expect(events[0]?.type === 'checkout.session.completed' && events[0].object.paymentStatus).toBe(
      'no_payment_required',
    );
    expect((await harness.processor.listPaymentMethods(customer.id)).data).toHaveLength(1);
  });

  it('refuses a recurring price in payment mode as an invalid request', async () => {
    const request = evaluationCheckout({
      lineItems: [
        {
          name: 'Feed',
          unitAmountMinor: 100,
          currency: 'USD',
          quantity: 1,
          recurring: { interval: 'month' },
        },
      ],
    });

    await expect(harness.processor.createCheckoutSession(request, key())).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
  });
});

describe('payment intents', () => {
  it('throws CardDeclinedError with the decline code and sends payment_failed', async () => {
    const error = await declineOf(
      harness.processor.createPaymentIntent(
        { amountMinor: 4_900, currency: 'USD', paymentMethodId: 'pm_card_chargeDeclined', confirm: true },
        key(),
      ),
    );
    const events = await harness.receivedEvents();

    expect(error).toMatchObject({
      declineCode: 'generic_decline',
      processorCode: 'card_declined',
      httpStatus: 402,
    });
    expect(error.paymentIntentId).toMatch(/^pi_/);
    expect(error.chargeId).toMatch(/^ch_/);
    expect(typesOf(events)).toEqual(['payment_intent.payment_failed', 'charge.failed']);
  });

  it('reports insufficient funds as its own decline code', async () => {
    const error = await declineOf(
      harness.processor.createPaymentIntent(
        {
          amountMinor: 4_900,
          currency: 'USD',
          paymentMethodId: 'pm_card_chargeDeclinedInsufficientFunds',
          confirm: true,
        },
        key(),
      ),
    );

    expect(error.declineCode).toBe('insufficient_funds');
  });

  it('shows Radar blocks with the rule and the highest risk level on the charge', async () => {
    const error = await declineOf(
      harness.processor.createPaymentIntent(
        { amountMinor: 4_900, currency: 'USD', paymentMethodId: 'pm_card_radarBlock', confirm: true },
        key(),
      ),
    );
    const charge = await harness.processor.getCharge(error.chargeId ?? '');

    expect(error.declineCode).toBe('fraudulent');
    expect(charge.riskOutcome).toEqual({
      networkStatus: 'not_sent_to_network',
      type: 'blocked',
      riskLevel: 'highest',
      riskScore: 95,
      reason: 'highest_risk_level',
      sellerMessage: 'Stripe blocked this payment as too risky.',
      ruleId: 'block_if_high_risk',
    });
  });

  it('leaves a 3-D Secure card on-session in requires_action with a redirect', async () => {
    const intent = await harness.processor.createPaymentIntent(
      {
        amountMinor: 4_900,
        currency: 'USD',
        paymentMethodId: 'pm_card_threeDSecure2Required',
        confirm: true,
        returnUrl: 'https://app.astrix.test/return',
      },
      key(),
    );

    expect(intent.status).toBe('requires_action');
    expect(intent.nextActionUrl).toContain(`/3ds/${intent.id}`);
  });

  it('confirms a created intent later, and declines the next payment when told to', async () => {
    const intent = await harness.processor.createPaymentIntent(
      { amountMinor: 1_000, currency: 'JPY' },
      key(),
    );
    harness.fake.controls.declineNextPayments({ declineCode: 'do_not_honor' });

    const error = await declineOf(
      harness.processor.confirmPaymentIntent(intent.id, { paymentMethodId: 'pm_card_visa' }, key()),
    );
    const retried = await harness.processor.confirmPaymentIntent(
      intent.id,
      { paymentMethodId: 'pm_card_visa' },
      key(),
    );

    expect(intent).toMatchObject({ status: 'requires_payment_method', currency: 'JPY', amountMinor: 1_000 });
    expect(error.declineCode).toBe('do_not_honor');
    expect(retried).toMatchObject({ status: 'succeeded', amountReceivedMinor: 1_000 });
  });

  it('charges a saved card off-session for a renewal', async () => {
    const customer = await harness.processor.createCustomer({ email: 'renewal@astrix.test' }, key());
    const setup = await harness.processor.createSetupIntent(
      { customerId: customer.id, paymentMethodId: 'pm_card_visa', confirm: true },
      key(),
    );
    await harness.processor.setDefaultPaymentMethod(customer.id, setup.paymentMethodId ?? '', key());
    const { defaultPaymentMethodId } = await harness.processor.getCustomer(customer.id);

    const renewal = await harness.processor.createPaymentIntent(
      {
        amountMinor: 2_900,
        currency: 'USD',
        customerId: customer.id,
        paymentMethodId: defaultPaymentMethodId ?? undefined,
        confirm: true,
        offSession: true,
        metadata: { subscriptionId: 'sub_ours_1' },
      },
      key(),
    );
    const charges = await harness.processor.listCharges({ paymentIntentId: renewal.id });

    expect(setup).toMatchObject({ status: 'succeeded', customerId: customer.id, usage: 'off_session' });
    expect(renewal).toMatchObject({ status: 'succeeded', paymentMethodId: defaultPaymentMethodId });
    expect(charges.data).toHaveLength(1);
    expect(charges.data[0]).toMatchObject({
      status: 'succeeded',
      metadata: { subscriptionId: 'sub_ours_1' },
    });
  });

  it('fails an off-session renewal that needs 3-D Secure with authentication_required', async () => {
    const customer = await harness.processor.createCustomer({}, key());
    const card = await harness.processor.attachPaymentMethod(
      'pm_card_threeDSecure2Required',
      customer.id,
      key(),
    );

    const error = await declineOf(
      harness.processor.createPaymentIntent(
        {
          amountMinor: 2_900,
          currency: 'USD',
          customerId: customer.id,
          paymentMethodId: card.id,
          confirm: true,
          offSession: true,
        },
        key(),
      ),
    );

    expect(error.requiresCustomerAuthentication).toBe(true);
    expect(error.processorCode).toBe('authentication_required');
  });

  it('cancels an unpaid intent', async () => {
    const intent = await harness.processor.createPaymentIntent({ amountMinor: 500, currency: 'USD' }, key());

    const canceled = await harness.processor.cancelPaymentIntent(intent.id, 'abandoned', key());

    expect(canceled.status).toBe('canceled');
    expect(canceled.canceledAt).toBeInstanceOf(Date);
  });

  it('cancels an intent waiting for 3-D Secure, after which authenticating it takes no money', async () => {
    const customer = await harness.processor.createCustomer({}, key());
    const card = await harness.processor.attachPaymentMethod(
      'pm_card_threeDSecure2Required',
      customer.id,
      key(),
    );
    const intent = await harness.processor.createPaymentIntent(
      {
        amountMinor: 2_900,
        currency: 'USD',
        customerId: customer.id,
        paymentMethodId: card.id,
        confirm: true,
      },
      key(),
    );
    expect(intent.status).toBe('requires_action');

    const canceled = await harness.processor.cancelPaymentIntent(intent.id, 'abandoned', key());

    expect(canceled.status).toBe('canceled');
    expect(() => harness.fake.controls.authenticate(intent.id, true)).toThrow();
    expect((await harness.processor.getPaymentIntent(intent.id)).status).toBe('canceled');
  });

  it('refuses to cancel a succeeded intent with an InvalidRequestError, and a replay of the key answers the same', async () => {
    const customer = await harness.processor.createCustomer({}, key());
    const card = await harness.processor.attachPaymentMethod('pm_card_visa', customer.id, key());
    const intent = await harness.processor.createPaymentIntent(
      {
        amountMinor: 2_900,
        currency: 'USD',
        customerId: customer.id,
        paymentMethodId: card.id,
        confirm: true,
      },
      key(),
    );
    expect(intent.status).toBe('succeeded');
    const cancelKey = key();

    const first = harness.processor.cancelPaymentIntent(intent.id, 'abandoned', cancelKey);
    await expect(first).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(first).rejects.toMatchObject({ processorCode: 'payment_intent_unexpected_state' });
    await expect(
      harness.processor.cancelPaymentIntent(intent.id, 'abandoned', cancelKey),
    ).rejects.toBeInstanceOf(InvalidRequestError);
    expect((await harness.processor.getPaymentIntent(intent.id)).status).toBe('succeeded');
  });
});

describe('payment methods and setup intents', () => {
  it('attaches, lists, makes default and detaches cards', async () => {
    const customer = await harness.processor.createCustomer({}, key());
    const card = await harness.processor.attachPaymentMethod('pm_card_visa', customer.id, key());
    await harness.processor.setDefaultPaymentMethod(customer.id, card.id, key());

    const listed = await harness.processor.listPaymentMethods(customer.id);
    const detached = await harness.processor.detachPaymentMethod(card.id, key());
    const afterDetach = await harness.processor.getCustomer(customer.id);

    expect(card).toMatchObject({
      type: 'card',
      customerId: customer.id,
      card: { brand: 'visa', last4: '4242' },
    });
    expect(listed.data.map((method) => method.id)).toEqual([card.id]);
    expect(detached.customerId).toBeNull();
    expect(afterDetach.defaultPaymentMethodId).toBeNull();
  });

  it('refuses a default payment method that is not attached to the customer', async () => {
    const customer = await harness.processor.createCustomer({}, key());
    const stranger = await harness.processor.createCustomer({}, key());
    const card = await harness.processor.attachPaymentMethod('pm_card_visa', stranger.id, key());

    await expect(
      harness.processor.setDefaultPaymentMethod(customer.id, card.id, key()),
    ).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('fails a setup intent for a declined card with CardDeclinedError naming the setup intent', async () => {
    const customer = await harness.processor.createCustomer({}, key());

    const error = await declineOf(
      harness.processor.createSetupIntent(
        { customerId: customer.id, paymentMethodId: 'pm_card_chargeDeclined', confirm: true },
        key(),
      ),
    );

    expect(error.setupIntentId).toMatch(/^seti_/);
    expect((await harness.processor.getSetupIntent(error.setupIntentId ?? '')).status).toBe(
      'requires_payment_method',
    );
  });

  it('confirms a setup intent in a second step', async () => {
    const customer = await harness.processor.createCustomer({}, key());
    const intent = await harness.processor.createSetupIntent({ customerId: customer.id }, key());

    const confirmed = await harness.processor.confirmSetupIntent(
      intent.id,
      { paymentMethodId: 'pm_card_visa' },
      key(),
    );

    expect(intent.status).toBe('requires_payment_method');
    // What Stripe.js confirms the intent with in the browser, as Stripe shapes it.
    expect(intent.clientSecret).toMatch(new RegExp(`^${intent.id}_secret_\\w+$`));
    expect(intent.clientSecret).toBe(harness.fake.state.setupIntents.get(intent.id)?.client_secret);
    expect(confirmed.status).toBe('succeeded');
    expect((await harness.processor.getPaymentMethod(confirmed.paymentMethodId ?? '')).customerId).toBe(
      customer.id,
    );
  });
});

describe('refunds', () => {
  async function paidCharge(): Promise<ProcessorCharge> {
    const session = await harness.processor.createCheckoutSession(evaluationCheckout(), key());
    harness.fake.controls.payCheckoutSession(session.id, { card: '4242424242424242' });
    const charge = chargeFrom(await harness.receivedEvents(), 'charge.succeeded');
    harness.receiver.clear();
    return charge;
  }

  it('refunds part, then the rest, and refuses to refund more than was charged', async () => {
    const charge = await paidCharge();

    const partial = await harness.processor.createRefund(
      {
        chargeId: charge.id,
        amountMinor: 4_000,
        reason: 'requested_by_customer',
        metadata: { ticket: 'T-1' },
      },
      key(),
    );
    const rest = await harness.processor.createRefund(
      { paymentIntentId: charge.paymentIntentId ?? '' },
      key(),
    );
    const overRefund = harness.processor.createRefund({ chargeId: charge.id, amountMinor: 1 }, key());
    const refunded = await harness.processor.getCharge(charge.id);
    const events = await harness.receivedEvents();

    expect(partial).toMatchObject({
      status: 'succeeded',
      amountMinor: 4_000,
      currency: 'USD',
      reason: 'requested_by_customer',
      metadata: { ticket: 'T-1' },
    });
    expect(rest.amountMinor).toBe(5_900);
    await expect(overRefund).rejects.toBeInstanceOf(InvalidRequestError);
    expect(refunded).toMatchObject({ amountRefundedMinor: 9_900, fullyRefunded: true });
    expect(typesOf(events)).toEqual([
      'refund.created',
      'charge.refunded',
      'refund.created',
      'charge.refunded',
    ]);
    expect(await harness.processor.getRefund(partial.id)).toEqual(partial);
  });

  it('names the parameter when a partial refund exceeds what is left', async () => {
    const charge = await paidCharge();

    const error: unknown = await harness.processor
      .createRefund({ chargeId: charge.id, amountMinor: 10_000 }, key())
      .catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ param: 'amount', processorCode: 'amount_too_large' });
  });
});

describe('early fraud warnings, reviews and dispute outcomes', () => {
  async function paidCharge(): Promise<ProcessorCharge> {
    const session = await harness.processor.createCheckoutSession(evaluationCheckout(), key());
    harness.fake.controls.payCheckoutSession(session.id, { card: '4242424242424242' });
    const charge = chargeFrom(await harness.receivedEvents(), 'charge.succeeded');
    harness.receiver.clear();
    return charge;
  }

  it('sends radar.early_fraud_warning.created, signed, with the charge and the fraud type', async () => {
    const charge = await paidCharge();

    const warning = harness.fake.controls.openEarlyFraudWarning(charge.id);
    const events = await harness.receivedEvents();

    expect(warning.id).toMatch(/^issfr_/);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'radar.early_fraud_warning.created',
        idempotencyKey: null,
        object: {
          id: warning.id,
          chargeId: charge.id,
          paymentIntentId: charge.paymentIntentId,
          fraudType: 'made_with_stolen_card',
          actionable: true,
          createdAt: expect.any(Date),
        },
      }),
    ]);
  });

  it('makes the warning not actionable and closes the open review once the charge is refunded as fraud', async () => {
    const charge = await paidCharge();
    const warning = harness.fake.controls.openEarlyFraudWarning(charge.id, 'unauthorized_use_of_card');
    const review = harness.fake.controls.openReview(charge.id, 'manual');

    await harness.processor.createRefund({ chargeId: charge.id, reason: 'fraudulent' }, key());
    const events = await harness.receivedEvents();
    const updated = events[4];
    const closed = events[5];

    expect(typesOf(events)).toEqual([
      'radar.early_fraud_warning.created',
      'review.opened',
      'refund.created',
      'charge.refunded',
      'radar.early_fraud_warning.updated',
      'review.closed',
    ]);
    expect(updated?.type === 'radar.early_fraud_warning.updated' && updated.object).toMatchObject({
      id: warning.id,
      fraudType: 'unauthorized_use_of_card',
      actionable: false,
    });
    expect(closed?.type === 'review.closed' && closed.object).toMatchObject({
      id: review.id,
      open: false,
      reason: 'refunded_as_fraud',
      openedReason: 'manual',
      closedReason: 'refunded_as_fraud',
    });
  });

  it("opens a review, then closes it with the reviewer's decision", async () => {
    const charge = await paidCharge();

    const review = harness.fake.controls.openReview(charge.id);
    harness.fake.controls.closeReview(review.id);
    const events = await harness.receivedEvents();

    expect(review.id).toMatch(/^prv_/);
    expect(events.map((event) => ({ type: event.type, object: event.object }))).toEqual([
      {
        type: 'review.opened',
        object: {
          id: review.id,
          chargeId: charge.id,
          paymentIntentId: charge.paymentIntentId,
          open: true,
          reason: 'rule',
          openedReason: 'rule',
          closedReason: null,
          createdAt: expect.any(Date),
        },
      },
      {
        type: 'review.closed',
        object: expect.objectContaining({
          id: review.id,
          open: false,
          reason: 'approved',
          openedReason: 'rule',
          closedReason: 'approved',
        }),
      },
    ]);
    expect(() => harness.fake.controls.closeReview(review.id, 'refunded')).toThrow(/already closed/);
  });

  it('closes disputes as won or lost with charge.dispute.closed; the charge stays disputed', async () => {
    const first = await paidCharge();
    const second = await paidCharge();
    const won = harness.fake.controls.openDispute(first.id);
    const lost = harness.fake.controls.openDispute(second.id, 'product_not_received');

    harness.fake.controls.closeDispute(won.id, 'won');
    harness.fake.controls.closeDispute(lost.id, 'lost');
    const events = await harness.receivedEvents();
    const closed = events.filter((event) => event.type === 'charge.dispute.closed');

    expect(typesOf(events)).toEqual([
      'charge.dispute.created',
      'charge.dispute.created',
      'charge.dispute.closed',
      'charge.dispute.closed',
    ]);
    expect(closed.map((event) => event.object)).toEqual([
      expect.objectContaining({ id: won.id, chargeId: first.id, status: 'won' }),
      expect.objectContaining({
        id: lost.id,
        chargeId: second.id,
        paymentIntentId: second.paymentIntentId,
        reason: 'product_not_received',
        status: 'lost',
      }),
    ]);
    expect((await harness.processor.getCharge(second.id)).disputed).toBe(true);
    expect(() => harness.fake.controls.closeDispute(lost.id, 'won')).toThrow(/already closed/);
  });

  it('refuses unknown charges, reviews and disputes, and charges that did not succeed', async () => {
    const session = await harness.processor.createCheckoutSession(evaluationCheckout(), key());
    harness.fake.controls.payCheckoutSession(session.id, { card: '4000000000000002' });
    const failed = chargeFrom(await harness.receivedEvents(), 'charge.failed');
    harness.receiver.clear();
    const { controls } = harness.fake;

    expect(() => controls.openEarlyFraudWarning('ch_missing')).toThrow("No such charge: 'ch_missing'");
    expect(() => controls.openReview('ch_missing')).toThrow("No such charge: 'ch_missing'");
    expect(() => controls.closeReview('prv_missing')).toThrow("No such review: 'prv_missing'");
    expect(() => controls.closeDispute('dp_missing', 'won')).toThrow("No such dispute: 'dp_missing'");
    expect(() => controls.openEarlyFraudWarning(failed.id)).toThrow(/has not succeeded/);
    expect(() => controls.openReview(failed.id)).toThrow(/has not succeeded/);
    expect(await harness.receivedEvents()).toEqual([]);
  });
});

describe('idempotency', () => {
  it('replays the same object for the same key and parameters', async () => {
    const idempotencyKey = key();

    const first = await harness.processor.createCustomer({ email: 'once@astrix.test' }, idempotencyKey);
    const second = await harness.processor.createCustomer({ email: 'once@astrix.test' }, idempotencyKey);

    expect(second).toEqual(first);
    expect(harness.fake.state.customers.all()).toHaveLength(1);
  });

  it('rejects the same key with different parameters', async () => {
    const idempotencyKey = key();
    await harness.processor.createCustomer({ email: 'first@astrix.test' }, idempotencyKey);

    await expect(
      harness.processor.createCustomer({ email: 'second@astrix.test' }, idempotencyKey),
    ).rejects.toBeInstanceOf(IdempotencyConflictError);
  });

  it('refuses a mutating call without an idempotency key before calling Stripe', async () => {
    await expect(
      harness.processor.createCustomer({ email: 'nokey@astrix.test' }, ' '),
    ).rejects.toBeInstanceOf(InvalidRequestError);
    expect(harness.fake.controls.requestLog()).toHaveLength(0);
  });
});

describe('payouts to connected accounts', () => {
  it('transfers to a connected account and reads the transfer and the account back', async () => {
    const account = harness.fake.controls.createConnectedAccount({
      email: 'funded@astrix.test',
      country: 'GB',
    });

    const transfer = await harness.processor.createTransfer(
      {
        destinationAccountId: account.id,
        amountMinor: 125_000,
        currency: 'USD',
        transferGroup: 'po_123',
        metadata: { payoutId: 'po_123' },
      },
      key(),
    );
    const connected = await harness.processor.getConnectedAccount(account.id);
    const events = await harness.receivedEvents();

    expect(transfer.id).toMatch(/^tr_/);
    expect(await harness.processor.getTransfer(transfer.id)).toEqual(transfer);
    expect(transfer).toMatchObject({
      destinationAccountId: account.id,
      amountMinor: 125_000,
      currency: 'USD',
      reversed: false,
      transferGroup: 'po_123',
      metadata: { payoutId: 'po_123' },
    });
    expect(connected).toMatchObject({ country: 'GB', transfersCapability: 'active', payoutsEnabled: true });
    expect(typesOf(events)).toEqual(['transfer.created']);
  });

  it('refuses a transfer to an account that cannot receive transfers', async () => {
    const account = harness.fake.controls.createConnectedAccount({ transfersCapability: 'inactive' });

    const transfer = harness.processor.createTransfer(
      { destinationAccountId: account.id, amountMinor: 100, currency: 'USD' },
      key(),
    );

    await expect(transfer).rejects.toMatchObject({ code: 'INVALID_REQUEST', param: 'destination' });
  });

  it('reports an unknown connected account as not found', async () => {
    await expect(harness.processor.getConnectedAccount('acct_unknown')).rejects.toBeInstanceOf(
      ResourceNotFoundError,
    );
  });
});

describe('billing portal', () => {
  it('creates a session whose URL serves the portal page', async () => {
    const customer = await harness.processor.createCustomer({ email: 'portal@astrix.test' }, key());

    const session = await harness.processor.createBillingPortalSession(
      { customerId: customer.id, returnUrl: 'https://app.astrix.test/billing' },
      key(),
    );
    const page = await fetch(session.url);

    expect(session).toMatchObject({ customerId: customer.id, returnUrl: 'https://app.astrix.test/billing' });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('portal@astrix.test');
  });
});

describe('configuration errors', () => {
  it('maps a rejected API key to AuthenticationError', async () => {
    const processor = harness.processorWith({ secretKey: 'sk_live_not_allowed' });

    await expect(processor.getCustomer('cus_x')).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe('listing money movements created since a time (for reconciliation)', () => {
  let now = new Date('2026-03-01T10:00:00Z');
  let fake: FakeStripeServer;
  let processor: StripePaymentProcessor;

  beforeAll(async () => {
    fake = await createFakeStripeServer({ clock: () => now });
    processor = new StripePaymentProcessor({
      secretKey: 'sk_test_astrix',
      host: '127.0.0.1',
      port: fake.port,
      protocol: 'http',
      maxRetries: 0,
    });
  });
  afterAll(() => fake.close());

  async function paidIntent(customerId: string, amountMinor: number): Promise<ProcessorPaymentIntent> {
    return processor.createPaymentIntent(
      {
        amountMinor,
        currency: 'USD',
        customerId,
        paymentMethodId: 'pm_card_visa',
        confirm: true,
        offSession: true,
        metadata: { invoiceId: `inv_${amountMinor}` },
      },
      key(),
    );
  }

  /** Every page of a list, following the cursor. */
  async function allPages<T>(
    read: (cursor: string | undefined) => Promise<{ data: T[]; nextCursor: string | null }>,
  ): Promise<{ items: T[]; pages: number }> {
    const items: T[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await read(cursor);
      items.push(...page.data);
      pages += 1;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return { items, pages };
  }

  it('lists charges, payment intents and refunds created at or after a time, page by page', async () => {
    const customer = await processor.createCustomer({ email: 'books@astrix.test' }, key());
    const before = await paidIntent(customer.id, 1_000);
    await processor.createRefund({ paymentIntentId: before.id, amountMinor: 100 }, key());
    now = new Date('2026-03-01T11:00:00Z');
    const since = new Date(now.getTime());
    const second = await paidIntent(customer.id, 2_000);
    const third = await paidIntent(customer.id, 3_000);
    const refund = await processor.createRefund({ paymentIntentId: second.id, amountMinor: 500 }, key());

    const charges = await allPages((cursor) =>
      processor.listCharges({ customerId: customer.id, createdSince: since, limit: 1, cursor }),
    );
    const intents = await allPages((cursor) =>
      processor.listPaymentIntents({ customerId: customer.id, createdSince: since, limit: 1, cursor }),
    );
    const refunds = await processor.listRefunds({ createdSince: since });
    const everyRefund = await processor.listRefunds({});
    const refundsOfSecond = await processor.listRefunds({ paymentIntentId: second.id });

    expect(charges.pages).toBe(2);
    expect(charges.items.map((charge) => [charge.paymentIntentId, charge.amountMinor])).toEqual([
      [third.id, 3_000],
      [second.id, 2_000],
    ]);
    expect(charges.items[1]).toMatchObject({ status: 'succeeded', amountRefundedMinor: 500 });
    expect(intents.items.map((intent) => [intent.id, intent.status, intent.metadata.invoiceId])).toEqual([
      [third.id, 'succeeded', 'inv_3000'],
      [second.id, 'succeeded', 'inv_2000'],
    ]);
    expect(refunds.data.map((listed) => listed.id)).toEqual([refund.id]);
    expect(refunds.data[0]).toMatchObject({
      amountMinor: 500,
      paymentIntentId: second.id,
      status: 'succeeded',
    });
    expect(everyRefund.data).toHaveLength(2);
    expect(refundsOfSecond.data.map((listed) => listed.id)).toEqual([refund.id]);
  });
});

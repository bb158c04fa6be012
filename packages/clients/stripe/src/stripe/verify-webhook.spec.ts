import Stripe from 'stripe';
import {
  buildCharge,
  buildCheckoutSession,
  buildCustomer,
  buildEarlyFraudWarning,
  buildEvent,
  buildPaymentIntent,
  buildPaymentMethod,
  buildReview,
  type EventObjectOf,
  type FakeEventType,
} from '../fake/object-factory';
import { TEST_CARDS } from '../fake/test-cards';
import { WebhookSignatureError, type WebhookSignatureFailure } from '../port/errors';
import { signWebhookPayload } from '../webhook-signature';
import { StripePaymentProcessor } from './stripe-payment-processor';

const secret = 'whsec_test_secret';
const now = new Date('2026-03-01T12:00:00Z');
const processor = new StripePaymentProcessor({ secretKey: 'sk_test_unused', clock: () => now });

function payloadOf<T extends FakeEventType>(type: T, object: EventObjectOf<T>): string {
  const event = buildEvent(type, object, {
    origin: { requestId: 'req_1', idempotencyKey: 'checkout:order_9' },
    apiVersion: Stripe.API_VERSION,
    created: Math.floor(now.getTime() / 1000),
    pendingWebhooks: 1,
  });
  return JSON.stringify(event, null, 2);
}

const created = Math.floor(now.getTime() / 1000);
const session = buildCheckoutSession(
  {
    mode: 'payment',
    customer: null,
    customerEmail: 'buyer@astrix.test',
    currency: 'usd',
    lineItems: [],
    successUrl: 'https://app.astrix.test/ok',
    cancelUrl: null,
    clientReferenceId: 'order_9',
    metadata: { orderId: 'order_9' },
    customerCreation: null,
    expiresAt: created + 3600,
  },
  created,
  (id) => `https://pay.test/${id}`,
);
const completedPayload = payloadOf('checkout.session.completed', { ...session, status: 'complete' });

function failureOf(verify: () => unknown): WebhookSignatureFailure {
  try {
    verify();
  } catch (error) {
    if (error instanceof WebhookSignatureError) return error.failure;
    throw error;
  }
  throw new Error('the webhook was accepted');
}

describe('verifyWebhook', () => {
  it('accepts a correctly signed event and returns it in our vocabulary', () => {
    const header = signWebhookPayload(completedPayload, secret, now);

    const event = processor.verifyWebhook(Buffer.from(completedPayload), header, secret);

    expect(event).toMatchObject({
      type: 'checkout.session.completed',
      livemode: false,
      idempotencyKey: 'checkout:order_9',
      createdAt: now,
      object: {
        id: session.id,
        status: 'complete',
        clientReferenceId: 'order_9',
        metadata: { orderId: 'order_9' },
      },
    });
    expect(event.id).toMatch(/^evt_/);
  });

  it('rejects a signature made with another secret', () => {
    const header = signWebhookPayload(completedPayload, 'whsec_someone_else', now);

    expect(failureOf(() => processor.verifyWebhook(completedPayload, header, secret))).toBe('bad_signature');
  });

  it('rejects a body changed after signing', () => {
    const header = signWebhookPayload(completedPayload, secret, now);
    const tampered = completedPayload.replace('"order_9"', '"order_666"');

    expect(failureOf(() => processor.verifyWebhook(tampered, header, secret))).toBe('bad_signature');
  });

  it('rejects a timestamp older than the tolerance, and honours a custom tolerance', () => {
    const header = signWebhookPayload(completedPayload, secret, new Date(now.getTime() - 301_000));

    expect(failureOf(() => processor.verifyWebhook(completedPayload, header, secret))).toBe(
      'stale_timestamp',
    );
    expect(processor.verifyWebhook(completedPayload, header, secret, 600).type).toBe(
      'checkout.session.completed',
    );
  });

  it('rejects a missing or malformed signature header', () => {
    expect(failureOf(() => processor.verifyWebhook(completedPayload, undefined, secret))).toBe(
      'missing_header',
    );
    expect(failureOf(() => processor.verifyWebhook(completedPayload, 'not-a-signature', secret))).toBe(
      'malformed_header',
    );
  });

  it('rejects a correctly signed body that is not JSON', () => {
    const body = 'definitely not json';

    expect(
      failureOf(() => processor.verifyWebhook(body, signWebhookPayload(body, secret, now), secret)),
    ).toBe('malformed_payload');
  });

  it('passes event types we do not consume through as unsupported', () => {
    const customer = buildCustomer(
      { email: null, name: null, description: null, phone: null, metadata: {} },
      created,
    );
    const event = {
      id: 'evt_customer_created',
      object: 'event',
      api_version: Stripe.API_VERSION,
      created,
      data: { object: customer },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: 'customer.created',
    } satisfies Stripe.Event;
    const payload = JSON.stringify(event);

    const parsed = processor.verifyWebhook(payload, signWebhookPayload(payload, secret, now), secret);

    expect(parsed).toMatchObject({
      type: 'unsupported',
      processorEventType: 'customer.created',
      object: null,
    });
  });
});

describe('Radar events', () => {
  const card = TEST_CARDS[0];
  if (card === undefined) throw new Error('no test cards');
  const intent = buildPaymentIntent(
    {
      amount: 9_900,
      currency: 'usd',
      customer: null,
      paymentMethod: null,
      description: null,
      receiptEmail: null,
      setupFutureUsage: null,
      metadata: {},
    },
    created,
  );
  const paymentMethod = buildPaymentMethod(card, { email: null, name: null }, null, created);
  const charge = buildCharge(
    { intent, paymentMethod, card, result: { kind: 'authorized' }, authenticated: false },
    created,
  );

  function verified(payload: string): ReturnType<StripePaymentProcessor['verifyWebhook']> {
    return processor.verifyWebhook(payload, signWebhookPayload(payload, secret, now), secret);
  }

  it('maps early fraud warnings whose charge and payment intent are ids or expanded objects', () => {
    const warning = buildEarlyFraudWarning({ charge, fraudType: 'made_with_lost_card' }, created);

    const withIds = verified(payloadOf('radar.early_fraud_warning.created', warning));
    const expanded = verified(
      payloadOf('radar.early_fraud_warning.updated', {
        ...warning,
        actionable: false,
        charge,
        payment_intent: intent,
      }),
    );
    const withoutIntent = verified(
      payloadOf('radar.early_fraud_warning.created', {
        id: warning.id,
        object: 'radar.early_fraud_warning',
        actionable: true,
        charge: charge.id,
        created,
        fraud_type: 'misc',
        livemode: false,
      }),
    );

    expect(withIds).toMatchObject({
      type: 'radar.early_fraud_warning.created',
      object: {
        id: warning.id,
        chargeId: charge.id,
        paymentIntentId: intent.id,
        fraudType: 'made_with_lost_card',
        actionable: true,
        createdAt: now,
      },
    });
    expect(expanded).toMatchObject({
      type: 'radar.early_fraud_warning.updated',
      object: { chargeId: charge.id, paymentIntentId: intent.id, actionable: false },
    });
    expect(withoutIntent.object).toMatchObject({ paymentIntentId: null, fraudType: 'misc' });
  });

  it('maps reviews, open or closed, with ids, expanded objects or no charge', () => {
    const review = buildReview({ charge, openedReason: 'rule' }, created);

    const opened = verified(payloadOf('review.opened', review));
    const closed = verified(
      payloadOf('review.closed', {
        ...review,
        open: false,
        reason: 'approved',
        closed_reason: 'approved',
        charge,
        payment_intent: intent,
      }),
    );
    const withoutCharge = verified(
      payloadOf('review.opened', { ...review, charge: null, payment_intent: undefined }),
    );

    expect(opened).toMatchObject({
      type: 'review.opened',
      object: {
        id: review.id,
        chargeId: charge.id,
        paymentIntentId: intent.id,
        open: true,
        reason: 'rule',
        openedReason: 'rule',
        closedReason: null,
        createdAt: now,
      },
    });
    expect(closed).toMatchObject({
      type: 'review.closed',
      object: { chargeId: charge.id, paymentIntentId: intent.id, open: false, closedReason: 'approved' },
    });
    expect(withoutCharge.object).toMatchObject({ chargeId: null, paymentIntentId: null });
  });
});

describe('parseVerifiedEvent', () => {
  it('parses a stored event body into the same event verifyWebhook returned', () => {
    const body = payloadOf('checkout.session.completed', session);
    const header = signWebhookPayload(body, secret, now);
    const verified = processor.verifyWebhook(body, header, secret);
    expect(processor.parseVerifiedEvent(JSON.parse(body))).toEqual(verified);
  });

  it.each([null, 'text', {}, { id: 'evt_1', type: 'x' }])('refuses %j as malformed', (payload) => {
    expect(() => processor.parseVerifiedEvent(payload)).toThrow(WebhookSignatureError);
  });
});

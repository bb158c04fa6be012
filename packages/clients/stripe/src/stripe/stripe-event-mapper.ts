import type Stripe from 'stripe';
import type { ProcessorEvent, ProcessorEventEnvelope } from '../port/events';
import {
  toCharge,
  toCheckoutSession,
  toDispute,
  toEarlyFraudWarning,
  toPaymentIntent,
  toPaymentMethod,
  toRefund,
  toReview,
  toSetupIntent,
  toTransfer,
} from './stripe-mappers';
import { fromUnixSeconds } from '../stripe-fields';

/** A verified Stripe event in our vocabulary; types we do not consume become `unsupported`. */
export function toProcessorEvent(event: Stripe.Event): ProcessorEvent {
  const envelope: ProcessorEventEnvelope = {
    id: event.id,
    createdAt: fromUnixSeconds(event.created),
    livemode: event.livemode,
    idempotencyKey: event.request?.idempotency_key ?? null,
  };
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.expired':
    case 'checkout.session.async_payment_succeeded':
    case 'checkout.session.async_payment_failed':
      return { ...envelope, type: event.type, object: toCheckoutSession(event.data.object) };
    case 'payment_intent.succeeded':
    case 'payment_intent.payment_failed':
    case 'payment_intent.requires_action':
    case 'payment_intent.processing':
    case 'payment_intent.canceled':
      return { ...envelope, type: event.type, object: toPaymentIntent(event.data.object) };
    case 'charge.succeeded':
    case 'charge.failed':
    case 'charge.pending':
    case 'charge.refunded':
      return { ...envelope, type: event.type, object: toCharge(event.data.object) };
    case 'refund.created':
    case 'refund.updated':
    case 'refund.failed':
      return { ...envelope, type: event.type, object: toRefund(event.data.object) };
    case 'charge.dispute.created':
    case 'charge.dispute.updated':
    case 'charge.dispute.closed':
    case 'charge.dispute.funds_withdrawn':
    case 'charge.dispute.funds_reinstated':
      return { ...envelope, type: event.type, object: toDispute(event.data.object) };
    case 'setup_intent.succeeded':
    case 'setup_intent.setup_failed':
    case 'setup_intent.requires_action':
      return { ...envelope, type: event.type, object: toSetupIntent(event.data.object) };
    case 'payment_method.attached':
    case 'payment_method.detached':
      return { ...envelope, type: event.type, object: toPaymentMethod(event.data.object) };
    case 'transfer.created':
    case 'transfer.updated':
    case 'transfer.reversed':
      return { ...envelope, type: event.type, object: toTransfer(event.data.object) };
    case 'radar.early_fraud_warning.created':
    case 'radar.early_fraud_warning.updated':
      return { ...envelope, type: event.type, object: toEarlyFraudWarning(event.data.object) };
    case 'review.opened':
    case 'review.closed':
      return { ...envelope, type: event.type, object: toReview(event.data.object) };
    default:
      return { ...envelope, type: 'unsupported', processorEventType: event.type, object: null };
  }
}

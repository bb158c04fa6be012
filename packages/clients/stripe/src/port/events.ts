import type {
  ProcessorCharge,
  ProcessorCheckoutSession,
  ProcessorDispute,
  ProcessorEarlyFraudWarning,
  ProcessorPaymentIntent,
  ProcessorPaymentMethod,
  ProcessorRefund,
  ProcessorReview,
  ProcessorSetupIntent,
  ProcessorTransfer,
} from './types';

/**
 * A verified processor webhook, parsed into our vocabulary. `type` keeps the processor's event
 * name (documented at https://docs.stripe.com/api/events/types); `object` is the resource in our
 * shape, narrowed by `type`. Events we do not consume arrive as `unsupported`.
 */
export type ProcessorEvent =
  | EventAbout<CheckoutSessionEventType, ProcessorCheckoutSession>
  | EventAbout<PaymentIntentEventType, ProcessorPaymentIntent>
  | EventAbout<ChargeEventType, ProcessorCharge>
  | EventAbout<RefundEventType, ProcessorRefund>
  | EventAbout<DisputeEventType, ProcessorDispute>
  | EventAbout<SetupIntentEventType, ProcessorSetupIntent>
  | EventAbout<PaymentMethodEventType, ProcessorPaymentMethod>
  | EventAbout<TransferEventType, ProcessorTransfer>
  | EventAbout<EarlyFraudWarningEventType, ProcessorEarlyFraudWarning>
  | EventAbout<ReviewEventType, ProcessorReview>
  | UnsupportedProcessorEvent;

export type CheckoutSessionEventType =
  | 'checkout.session.completed'
  | 'checkout.session.expired'
  | 'checkout.session.async_payment_succeeded'
  | 'checkout.session.async_payment_failed';

export type PaymentIntentEventType =
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'payment_intent.requires_action'
  | 'payment_intent.processing'
  | 'payment_intent.canceled';

export type ChargeEventType = 'charge.succeeded' | 'charge.failed' | 'charge.pending' | 'charge.refunded';

export type RefundEventType = 'refund.created' | 'refund.updated' | 'refund.failed';

export type DisputeEventType =
  | 'charge.dispute.created'
  | 'charge.dispute.updated'
  | 'charge.dispute.closed'
  | 'charge.dispute.funds_withdrawn'
  | 'charge.dispute.funds_reinstated';

export type SetupIntentEventType =
  'setup_intent.succeeded' | 'setup_intent.setup_failed' | 'setup_intent.requires_action';

export type PaymentMethodEventType = 'payment_method.attached' | 'payment_method.detached';

export type TransferEventType = 'transfer.created' | 'transfer.updated' | 'transfer.reversed';

export type EarlyFraudWarningEventType =
  'radar.early_fraud_warning.created' | 'radar.early_fraud_warning.updated';

export type ReviewEventType = 'review.opened' | 'review.closed';

export type ProcessorEventType = ProcessorEvent['type'];

export interface ProcessorEventEnvelope {
  /** Unique per event: process each id once (deliveries are at-least-once). */
  id: string;
  createdAt: Date;
  livemode: boolean;
  /** Idempotency key of the API request that caused the event, if any. */
  idempotencyKey: string | null;
}

export interface EventAbout<TType extends string, TObject> extends ProcessorEventEnvelope {
  type: TType;
  object: TObject;
}

export interface UnsupportedProcessorEvent extends ProcessorEventEnvelope {
  type: 'unsupported';
  /** The processor's own event type, for logging. */
  processorEventType: string;
  object: null;
}

import Stripe from 'stripe';
import {
  AuthenticationError,
  CardDeclinedError,
  IdempotencyConflictError,
  InvalidRequestError,
  type PaymentProcessorError,
  type ProcessorErrorDetails,
  ProcessorUnavailableError,
  RateLimitedError,
  ResourceNotFoundError,
} from '../port/errors';

const errors = Stripe.errors;

/** Translates an SDK error into our typed errors; anything that is not a Stripe error passes through. */
export function toProcessorError(error: unknown): unknown {
  if (!(error instanceof errors.StripeError)) return error;
  const details: ProcessorErrorDetails = {
    processorCode: error.code ?? null,
    processorRequestId: error.requestId ?? null,
    httpStatus: error.statusCode ?? null,
    cause: error,
  };
  return mapStripeError(error, details);
}

function mapStripeError(
  error: InstanceType<typeof errors.StripeError>,
  details: ProcessorErrorDetails,
): PaymentProcessorError {
  if (error instanceof errors.StripeCardError) {
    return new CardDeclinedError(error.message, {
      ...details,
      declineCode: error.decline_code ?? null,
      paymentIntentId: error.payment_intent?.id ?? null,
      setupIntentId: error.setup_intent?.id ?? null,
      chargeId: error.charge ?? null,
    });
  }
  if (error instanceof errors.StripeRateLimitError) return new RateLimitedError(error.message, details);
  if (error instanceof errors.StripeIdempotencyError)
    return new IdempotencyConflictError(error.message, details);
  if (error instanceof errors.StripeInvalidRequestError) {
    const invalid = { ...details, param: error.param ?? null };
    return error.statusCode === 404 || error.code === 'resource_missing'
      ? new ResourceNotFoundError(error.message, invalid)
      : new InvalidRequestError(error.message, invalid);
  }
  if (error instanceof errors.StripeAuthenticationError || error instanceof errors.StripePermissionError) {
    return new AuthenticationError(error.message, details);
  }
  // StripeAPIError (5xx), StripeConnectionError (timeouts, refused or reset connections) and
  // anything newer than this mapping: the call may not have happened; retrying with the same
  // idempotency key is safe.
  return new ProcessorUnavailableError(error.message, details);
}

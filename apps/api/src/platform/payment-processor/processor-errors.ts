import {
  CardDeclinedError,
  InvalidRequestError,
  PaymentProcessorError,
  ProcessorUnavailableError,
  RateLimitedError,
} from '@astrix/stripe-client';
import { AppError } from '../http/app-error';

/** Turns a processor failure into the answer our caller gets; anything unexpected stays a 500. */
export function toProcessorAppError(error: unknown): unknown {
  if (!(error instanceof PaymentProcessorError)) return error;
  if (error instanceof CardDeclinedError) {
    return new AppError(
      402,
      'CARD_DECLINED',
      `the card was declined${error.declineCode ? ` (${error.declineCode})` : ''}`,
    );
  }
  if (error instanceof RateLimitedError || error instanceof ProcessorUnavailableError) {
    return new AppError(
      503,
      'PROCESSOR_UNAVAILABLE',
      'the payment processor is not answering; retry with the same Idempotency-Key',
    );
  }
  if (error instanceof InvalidRequestError) {
    return new AppError(
      502,
      'PROCESSOR_REJECTED',
      `the payment processor refused the request: ${error.message}`,
    );
  }
  return new AppError(502, 'PROCESSOR_ERROR', 'the payment processor failed; nothing was charged');
}

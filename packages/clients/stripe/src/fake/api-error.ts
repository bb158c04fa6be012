import type Stripe from 'stripe';

/** Stripe's API error object (the SDK types it as PaymentIntent.LastPaymentError). */
export type StripeErrorObject = Stripe.PaymentIntent.LastPaymentError;

/** Thrown by the fake's handlers; becomes `{ error: body }` with the given HTTP status. */
export class StripeApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly body: StripeErrorObject,
  ) {
    super(body.message);
  }
}

export function invalidRequest(message: string, param?: string, code?: string): StripeApiError {
  return new StripeApiError(400, { type: 'invalid_request_error', message, param, code });
}

export function resourceMissing(resource: string, id: string, param = 'id'): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${resource}: '${id}'`,
    param,
  });
}

export function unexpectedState(message: string, code: string): StripeApiError {
  return invalidRequest(message, undefined, code);
}

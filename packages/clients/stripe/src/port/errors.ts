/** What every processor failure carries, whichever processor raised it. */
export interface ProcessorErrorDetails {
  /** The processor's own error code (e.g. card_declined, resource_missing), for logs and support. */
  processorCode?: string | null;
  /** The processor's request id, to find the call in its dashboard. */
  processorRequestId?: string | null;
  /** HTTP status the processor answered with, when it answered at all. */
  httpStatus?: number | null;
  cause?: unknown;
}

export type PaymentProcessorErrorCode =
  | 'CARD_DECLINED'
  | 'RATE_LIMITED'
  | 'INVALID_REQUEST'
  | 'RESOURCE_NOT_FOUND'
  | 'PROCESSOR_UNAVAILABLE'
  | 'AUTHENTICATION_FAILED'
  | 'IDEMPOTENCY_CONFLICT'
  | 'WEBHOOK_SIGNATURE_INVALID';

export abstract class PaymentProcessorError extends Error {
  abstract readonly code: PaymentProcessorErrorCode;
  /** True when the same call may succeed later (with the same idempotency key). */
  abstract readonly retryable: boolean;
  readonly processorCode: string | null;
  readonly processorRequestId: string | null;
  readonly httpStatus: number | null;

  constructor(message: string, details: ProcessorErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.processorCode = details.processorCode ?? null;
    this.processorRequestId = details.processorRequestId ?? null;
    this.httpStatus = details.httpStatus ?? null;
  }
}

export interface CardDeclineDetails extends ProcessorErrorDetails {
  /** Issuer's reason: generic_decline, insufficient_funds, fraudulent, authentication_required... */
  declineCode: string | null;
  paymentIntentId?: string | null;
  setupIntentId?: string | null;
  chargeId?: string | null;
}

/** The card was refused: by the issuer, by fraud rules, or because it needs the customer to authenticate. */
export class CardDeclinedError extends PaymentProcessorError {
  readonly code = 'CARD_DECLINED';
  readonly retryable = false;
  readonly declineCode: string | null;
  readonly paymentIntentId: string | null;
  readonly setupIntentId: string | null;
  readonly chargeId: string | null;

  constructor(message: string, details: CardDeclineDetails) {
    super(message, details);
    this.declineCode = details.declineCode;
    this.paymentIntentId = details.paymentIntentId ?? null;
    this.setupIntentId = details.setupIntentId ?? null;
    this.chargeId = details.chargeId ?? null;
  }

  /** The customer must come back on-session (3-D Secure) before this card can be charged. */
  get requiresCustomerAuthentication(): boolean {
    return this.processorCode === 'authentication_required' || this.declineCode === 'authentication_required';
  }
}

/** Too many requests; retried by the adapter before it surfaces. */
export class RateLimitedError extends PaymentProcessorError {
  readonly code = 'RATE_LIMITED';
  readonly retryable = true;
}

/** The processor refused the request as invalid; retrying the same request cannot help. */
export class InvalidRequestError extends PaymentProcessorError {
  readonly code: PaymentProcessorErrorCode = 'INVALID_REQUEST';
  readonly retryable = false;
  /** The offending parameter in the processor's request, when it named one. */
  readonly param: string | null;

  constructor(message: string, details: ProcessorErrorDetails & { param?: string | null } = {}) {
    super(message, details);
    this.param = details.param ?? null;
  }
}

/** The id does not exist at the processor (a kind of invalid request). */
export class ResourceNotFoundError extends InvalidRequestError {
  override readonly code = 'RESOURCE_NOT_FOUND';
}

/** Timeouts, connection failures and 5xx that outlasted the retries. Safe to retry later with the same key. */
export class ProcessorUnavailableError extends PaymentProcessorError {
  readonly code = 'PROCESSOR_UNAVAILABLE';
  readonly retryable = true;
}

/** Our API key is wrong, revoked or lacks permission: a configuration problem, not a customer one. */
export class AuthenticationError extends PaymentProcessorError {
  readonly code = 'AUTHENTICATION_FAILED';
  readonly retryable = false;
}

/** The idempotency key was already used with different parameters. */
export class IdempotencyConflictError extends PaymentProcessorError {
  readonly code = 'IDEMPOTENCY_CONFLICT';
  readonly retryable = false;
}

export type WebhookSignatureFailure =
  'missing_header' | 'malformed_header' | 'bad_signature' | 'stale_timestamp' | 'malformed_payload';

/** The webhook did not come from the processor (or was altered or replayed late): answer 400. */
export class WebhookSignatureError extends PaymentProcessorError {
  readonly code = 'WEBHOOK_SIGNATURE_INVALID';
  readonly retryable = false;
  readonly failure: WebhookSignatureFailure;

  constructor(failure: WebhookSignatureFailure, message: string, cause?: unknown) {
    super(message, { cause });
    this.failure = failure;
  }
}

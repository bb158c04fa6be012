import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';

/** Metadata read by `IdempotencyInterceptor`: this POST refuses to run without an `Idempotency-Key`. */
export const REQUIRES_IDEMPOTENCY_KEY = 'astrix:requires-idempotency-key';

/**
 * A route that moves money (refunds, payouts, credit notes, balance credits, retry-payment) must be
 * sent with an `Idempotency-Key`: without one the interceptor answers 400 `IDEMPOTENCY_KEY_REQUIRED`
 * before the handler runs, so a double-click or a client retry can never move the money twice.
 * The header is documented as required in the OpenAPI document.
 */
export function RequiresIdempotencyKey(): MethodDecorator {
  return applyDecorators(
    SetMetadata(REQUIRES_IDEMPOTENCY_KEY, true),
    ApiHeader({
      name: 'Idempotency-Key',
      required: true,
      description:
        'Required: 1-255 printable ASCII characters, unique per intended operation (e.g. a UUID). ' +
        'A retry with the same key and body returns the first response without repeating it.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    }),
  ) as MethodDecorator;
}

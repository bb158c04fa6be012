import { SetMetadata } from '@nestjs/common';

/** Metadata read by `IdempotencyInterceptor`: what to tell a caller replaying a secret-bearing response. */
export const SHOWS_SECRET_ONCE = 'astrix:shows-secret-once';

/**
 * The response of this POST carries a secret (a raw API key, a webhook signing secret) that is shown
 * once and kept only hashed or encrypted. The idempotency record then stores a marker instead of the
 * response, and a replay of the same `Idempotency-Key` gets 409 `SECRET_ALREADY_SHOWN` with `hint`
 * (what to do instead) — storing the response would keep the secret in clear for the whole
 * idempotency window. `IdempotencyInterceptor` also treats any response that looks like it carries
 * one (`containsSecret`) this way, in case a route forgets the decorator.
 */
export function ShowsSecretOnce(hint: string): MethodDecorator {
  return SetMetadata(SHOWS_SECRET_ONCE, hint);
}

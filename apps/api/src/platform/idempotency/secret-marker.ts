/**
 * What an idempotency record stores instead of a response that carried a secret. A real response is
 * never shaped like it (no route answers with a `$`-prefixed member).
 */
export const SECRET_SHOWN_MARKER = { $secretShownOnce: true } as const;

export interface SecretShownMarker {
  $secretShownOnce: true;
  /** What the caller should do instead of replaying, e.g. "create a new key". */
  hint?: string;
}

export function secretShownMarker(hint: string): SecretShownMarker {
  return { ...SECRET_SHOWN_MARKER, hint };
}

export function isSecretShownMarker(value: unknown): value is SecretShownMarker {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<string, unknown>).$secretShownOnce === true
  );
}

/** Raw API keys and Standard Webhooks signing secrets, as this service issues them. */
const SECRET_PATTERN = /\bak_(live|test)_[A-Za-z0-9]{40}\b|\bwhsec_[A-Za-z0-9+/]{20,}/;

/** Whether a response body carries something that looks like a secret we issue. */
export function containsSecret(body: unknown): boolean {
  if (body === undefined || body === null) return false;
  return SECRET_PATTERN.test(typeof body === 'string' ? body : JSON.stringify(body));
}

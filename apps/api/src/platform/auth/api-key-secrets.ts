import { createHash, createHmac } from 'node:crypto';

/**
 * How API keys are kept: never in clear, only as a hash to look them up by.
 *
 * Keys are 40 random base62 characters (≈238 bits), so no slow password hash is needed: nobody can
 * guess one. The hash is an HMAC-SHA256 keyed with a server-side pepper (API_KEY_PEPPER, outside the
 * database), so a copy of the api_keys table alone cannot even confirm a key seen elsewhere.
 * Keys issued before the pepper carry a plain SHA-256 (`sha256` scheme) and keep working: they match
 * on `legacyKeyHash` and are re-hashed with the pepper on their first use (dual verify).
 */
export function pepperedKeyHash(pepper: string, rawKey: string): string {
  return createHmac('sha256', pepper).update(rawKey).digest('hex');
}

/** The pre-pepper hash: read only to recognise (and upgrade) keys issued before it. */
export function legacyKeyHash(rawKey: string): string {
  return createHash('sha256').update(rawKey).digest('hex');
}

/**
 * Why a requested expiry is refused, or null when it is acceptable: strictly after now. (The form
 * of the instant is checked where it comes in, by parseInstant / @IsInstant.)
 */
export function expiryProblem(expiresAt: Date, now: Date): string | null {
  if (expiresAt.getTime() <= now.getTime())
    return `expiresAt must be in the future (now is ${now.toISOString()})`;
  return null;
}

export function isExpired(expiresAt: Date | null, now: Date): boolean {
  return expiresAt !== null && expiresAt.getTime() <= now.getTime();
}

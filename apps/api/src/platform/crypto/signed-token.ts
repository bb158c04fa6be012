import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Self-contained, expiring tokens signed with HMAC-SHA256 under TOKEN_SIGNING_SECRET: hosted invoice
 * links and EventSource stream tokens. A token is `<prefix><payload>.<signature>`, both parts
 * base64url; the payload is JSON claims with `exp` (Unix seconds). Each purpose has its own prefix
 * and its own key (HMAC of the secret and the purpose's name), so a token minted for one purpose
 * never verifies as another. A forgery is refused by the signature alone, before any database read.
 */
export interface TokenPurpose<C> {
  /** Also what log masking recognizes (platform/logging/redaction.ts). */
  prefix: 'hil_' | 'sst_';
  name: string;
  /** The claims of a correctly signed payload, or null when their shape is not this purpose's. */
  parse(claims: Record<string, unknown>): C | null;
}

export type TokenVerification<C> =
  | { ok: true; claims: C; expiresAt: Date }
  | { ok: false; reason: 'malformed' | 'bad_signature' }
  | { ok: false; reason: 'expired'; expiresAt: Date };

const SIGNATURE_LENGTH = 43; // 32 bytes of HMAC-SHA256 in unpadded base64url
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Far more than any claims we write; a longer token is refused before any work. */
export const MAX_TOKEN_LENGTH = 1024;

function keyFor(secret: string, purpose: TokenPurpose<unknown>): Buffer {
  return createHmac('sha256', secret).update(`astrix signed token: ${purpose.name}`).digest();
}

function signatureOf(key: Buffer, prefix: string, payload: string): Buffer {
  return createHmac('sha256', key).update(`${prefix}${payload}`).digest();
}

/** A token carrying `claims` that expires at `expiresAt` (whole seconds, rounded down). */
export function signToken<C extends object>(
  secret: string,
  purpose: TokenPurpose<C>,
  claims: C,
  expiresAt: Date,
): string {
  const payload = Buffer.from(
    JSON.stringify({ ...claims, exp: Math.floor(expiresAt.getTime() / 1000) }),
  ).toString('base64url');
  const signature = signatureOf(keyFor(secret, purpose), purpose.prefix, payload).toString('base64url');
  return `${purpose.prefix}${payload}.${signature}`;
}

/**
 * Checks shape, then the signature (constant-time), then the claims and expiry. `secrets` are tried
 * in order, so a rotated secret can keep verifying for a while (the first one signs).
 */
export function verifyToken<C>(
  secrets: readonly string[],
  purpose: TokenPurpose<C>,
  token: string,
  now: Date,
): TokenVerification<C> {
  if (token.length > MAX_TOKEN_LENGTH || !token.startsWith(purpose.prefix)) {
    return { ok: false, reason: 'malformed' };
  }
  const parts = token.slice(purpose.prefix.length).split('.');
  if (parts.length !== 2) return { ok: false, reason: 'malformed' };
  const [payload, signature] = parts;
  if (!BASE64URL.test(payload) || !BASE64URL.test(signature) || signature.length !== SIGNATURE_LENGTH) {
    return { ok: false, reason: 'malformed' };
  }
  // Compared as text: base64url ignores the last character's low bits, so bytes would let a
  // changed last character pass.
  const given = Buffer.from(signature, 'latin1');
  const signed = secrets.some((secret) =>
    timingSafeEqual(
      given,
      Buffer.from(
        signatureOf(keyFor(secret, purpose), purpose.prefix, payload).toString('base64url'),
        'latin1',
      ),
    ),
  );
  if (!signed) return { ok: false, reason: 'bad_signature' };

  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
    return { ok: false, reason: 'malformed' };
  }
  const record = decoded as Record<string, unknown>;
  const exp = record.exp;
  const claims = purpose.parse(record);
  if (typeof exp !== 'number' || !Number.isSafeInteger(exp) || claims === null) {
    return { ok: false, reason: 'malformed' };
  }
  const expiresAt = new Date(exp * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: 'expired', expiresAt };
  return { ok: true, claims, expiresAt };
}

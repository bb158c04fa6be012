import { IncomingMessage, ServerResponse } from 'node:http';
/** Header and field paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'res.headers["set-cookie"]',
  // The same headers when a log call passes request headers of its own.
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'headers["stripe-signature"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  '*.headers.cookie',
  '*.headers["stripe-signature"]',
  '*.authorization',
  '*.parameters',
  '*.password',
  '*.secret',
  '*.token',
  '*.apiKey',
  '*.key',
  '*.cardNumber',
  '*.card',
  '*.cvc',
  '*.AUTH_JWT_SECRET',
  '*.STRIPE_SECRET_KEY',
  '*.STRIPE_WEBHOOK_SECRET',
];

// 13 to 19 digits, optionally split by spaces or dashes: the shape of a card number.
const CARD_LIKE = /\b(?:\d[ -]?){12,18}\d\b/g;
const SECRET_LIKE = /\b(ak_(?:live|test)_|sk_(?:live|test)_|rk_(?:live|test)_|whsec_)[A-Za-z0-9]+/g;
// A JWT (header.payload.signature, base64url, the header starting with {" = eyJ).
const JWT_LIKE = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer\s+)\S+/gi;
// Our signed tokens (platform/crypto/signed-token.ts): stream tokens and hosted invoice links.
const SIGNED_TOKEN = /\b(sst_|hil_)[A-Za-z0-9_.-]+/g;
// Whatever a URL carries as ?token= (or &token=), ours or not.
const TOKEN_PARAMETER = /([?&]token=)[^&#\s]+/gi;
// Someone's address: kept to the domain, enough to tell a support case without naming the person.
const EMAIL_LIKE = /\b[A-Za-z0-9._%+-]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b/g;

function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * Masks card-like numbers (Luhn-valid, keeping the last four), our key formats, JWTs and bearer
 * credentials, and email addresses (keeping the domain) inside free text.
 */
export function maskSensitiveText(text: string): string {
  return text
    .replace(CARD_LIKE, (match) => {
      const digits = match.replace(/[ -]/g, '');
      return passesLuhn(digits) ? `[card ****${digits.slice(-4)}]` : match;
    })
    .replace(SECRET_LIKE, (_match, prefix: string) => `${prefix}[redacted]`)
    .replace(SIGNED_TOKEN, (_match, prefix: string) => `${prefix}[redacted]`)
    .replace(TOKEN_PARAMETER, (_match, name: string) => `${name}[redacted]`)
    .replace(BEARER, (_match, prefix: string) => `${prefix}[redacted]`)
    .replace(JWT_LIKE, '[jwt redacted]')
    .replace(EMAIL_LIKE, (_match, domain: string) => `[email]@${domain}`);
}

// Postgres quotes the offending value in some messages: invalid input syntax for type uuid: "…".
const QUOTED_INPUT =
  /((?:invalid input (?:syntax|value) for [^:]+|value too long for type [^:]+|invalid byte sequence[^:]*): )"(?:[^"\\]|\\.)*"/g;

/** A request URL for the log: percent-decoded first, so an encoded card or address is masked too. */
export function maskUrl(url: string): string {
  let decoded = url;
  try {
    decoded = decodeURIComponent(url.replace(/\+/g, ' '));
  } catch {
    // Malformed escapes: mask what was sent.
  }
  return maskSensitiveText(decoded);
}

/**
 * The `err` of a log line (pino hands it over already turned into a plain object). A failed query's
 * error (TypeORM's QueryFailedError, pg's DatabaseError) carries the statement's parameters and the
 * driver's `detail` ("Key (email)=(…) already exists"): only the SQL text with its placeholders, the
 * message without quoted input, the code, table and constraint are kept. Other errors keep type,
 * message and stack, masked like any text.
 */
export function serializeError(error: unknown): unknown {
  if (typeof error === 'string') return maskSensitiveText(error);
  if (typeof error !== 'object' || error === null) return error;
  const fields = error as Record<string, unknown>;
  const text = (value: unknown): string | undefined =>
    typeof value === 'string'
      ? maskSensitiveText(value.replace(QUOTED_INPUT, '$1"[value withheld]"'))
      : undefined;
  const driver = (
    typeof fields.driverError === 'object' && fields.driverError !== null ? fields.driverError : {}
  ) as Record<string, unknown>;
  const serialized: Record<string, unknown> = {
    type: error instanceof Error ? error.name : typeof fields.type === 'string' ? fields.type : 'Error',
    message: text(fields.message),
    stack: text(fields.stack),
  };
  const query = fields.query;
  if (typeof query === 'string') serialized.query = query.length > 2000 ? `${query.slice(0, 2000)}…` : query;
  for (const key of ['code', 'table', 'constraint', 'column', 'routine'] as const) {
    const value = fields[key] ?? driver[key];
    if (typeof value === 'string' || typeof value === 'number') serialized[key] = value;
  }
  if (typeof fields.status === 'number') serialized.status = fields.status;
  if (fields.cause !== undefined && fields.cause !== error) serialized.cause = serializeError(fields.cause);
  return serialized;
}

/** Applies maskSensitiveText to every string in a log object, a few levels deep. */
export function maskSensitiveValues(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskSensitiveText(value);
  if (depth >= 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskSensitiveValues(item, depth + 1));
  if (value instanceof Error) return value;
  // The request and response of an access-log line go to their serializers as they are (these print
  // only the id, method, masked URL and status): a copy loses the prototype's getters, and the
  // status code was printed as null for want of `headersSent`.
  if (value instanceof IncomingMessage || value instanceof ServerResponse) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key,
      maskSensitiveValues(item, depth + 1),
    ]),
  );
}

/** Header and field paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'res.headers["set-cookie"]',
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

/** Masks card-like numbers (Luhn-valid, keeping the last four) and our key formats inside free text. */
export function maskSensitiveText(text: string): string {
  return text
    .replace(CARD_LIKE, (match) => {
      const digits = match.replace(/[ -]/g, '');
      return passesLuhn(digits) ? `[card ****${digits.slice(-4)}]` : match;
    })
    .replace(SECRET_LIKE, (_match, prefix: string) => `${prefix}[redacted]`);
}

/** Applies maskSensitiveText to every string in a log object, a few levels deep. */
export function maskSensitiveValues(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskSensitiveText(value);
  if (depth >= 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskSensitiveValues(item, depth + 1));
  if (value instanceof Error) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key,
      maskSensitiveValues(item, depth + 1),
    ]),
  );
}

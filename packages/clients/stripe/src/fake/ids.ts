import { createHash, randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function randomBase62(length: number): string {
  // 248 is the largest multiple of 62 below 256: rejecting bytes above it keeps the letters uniform.
  let token = '';
  while (token.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && token.length < length) token += BASE62[byte % 62];
    }
  }
  return token;
}

export type StripeIdPrefix =
  | 'acct'
  | 'ba'
  | 'bps'
  | 'ch'
  | 'cs_test'
  | 'cus'
  | 'dp'
  | 'evt'
  | 'issfr'
  | 'li'
  | 'pi'
  | 'pm'
  | 'po'
  | 'price'
  | 'prod'
  | 'prv'
  | 're'
  | 'req'
  | 'seti'
  | 'sub'
  | 'taxcalc'
  | 'tax_li'
  | 'tr'
  | 'txn'
  | 'whsec';

/** Random ids shaped like Stripe's: `cus_` + 14 characters, checkout sessions longer, others 24. */
export function newStripeId(prefix: StripeIdPrefix): string {
  const length = prefix === 'cus' || prefix === 'acct' ? 16 : prefix === 'cs_test' ? 58 : 24;
  return `${prefix}_${randomBase62(length)}`;
}

/** A client secret as Stripe hands to browsers: `<intent id>_secret_<random>`. */
export function newClientSecret(intentId: string): string {
  return `${intentId}_secret_${randomBase62(24)}`;
}

/** The same card number always yields the same fingerprint, as Stripe's does. */
export function cardFingerprint(cardNumber: string): string {
  const digest = createHash('sha256').update(`astrix-fake-stripe:${cardNumber}`).digest();
  return Array.from(digest.subarray(0, 16), (byte) => BASE62[byte % 62]).join('');
}

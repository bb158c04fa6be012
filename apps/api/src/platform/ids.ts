import { randomFillSync } from 'node:crypto';

/** Crockford's base32, in the lower case our ids are written in. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** Every pair of digits (10 bits), so the digits that change from one id to the next are two look-ups. */
const PAIRS = Array.from({ length: 1024 }, (_, value) => ALPHABET[value >> 5] + ALPHABET[value & 31]);
const TIME_DIGITS = 10;
/** The random part's 16 digits: 12 kept as digits, the last 4 as one number (20 bits) that counts. */
const HEAD_RANDOM_DIGITS = 12;
const TAIL_SIZE = 1 << 20;

/**
 * A monotonic ULID generator (https://github.com/ulid/spec): 48 bits of milliseconds, then 80 random
 * bits, in 26 digits; within one millisecond (or when the clock steps back) each id is the previous
 * one plus one, so ids made by one process sort in the order they were made. The ulid package does
 * the same but re-encodes all 26 digits one string at a time for every id, and usage ingest makes a
 * thousand per batch: here the first 22 digits are encoded when the millisecond changes (or the count
 * carries into them), and an id is those plus two look-ups.
 *
 * `randomByte` gives bytes of a cryptographic source; `now` milliseconds since the epoch.
 */
export function monotonicUlids(now: () => number, randomByte: () => number): () => string {
  let lastTime = -1;
  const headRandom = new Uint8Array(HEAD_RANDOM_DIGITS);
  let tail = 0;
  let head = '';
  const encodeHead = () => {
    let text = '';
    let time = lastTime;
    for (let digit = 0; digit < TIME_DIGITS; digit += 1) {
      text = ALPHABET[time % 32] + text;
      time = Math.floor(time / 32);
    }
    for (const digit of headRandom) text += ALPHABET[digit];
    head = text;
  };
  const carry = () => {
    for (let digit = HEAD_RANDOM_DIGITS - 1; digit >= 0; digit -= 1) {
      if (headRandom[digit] < 31) {
        headRandom[digit] += 1;
        return;
      }
      headRandom[digit] = 0;
    }
    throw new Error('ULID: the random part overflowed within one millisecond');
  };
  return () => {
    const time = now();
    if (time > lastTime) {
      lastTime = time;
      for (let digit = 0; digit < HEAD_RANDOM_DIGITS; digit += 1) headRandom[digit] = randomByte() & 31;
      tail =
        (randomByte() & 31) * 32768 +
        (randomByte() & 31) * 1024 +
        (randomByte() & 31) * 32 +
        (randomByte() & 31);
      encodeHead();
    } else {
      tail += 1;
      if (tail === TAIL_SIZE) {
        tail = 0;
        carry();
        encodeHead();
      }
    }
    return head + PAIRS[tail >> 10] + PAIRS[tail & 1023];
  };
}

/**
 * Random bytes for ULIDs, taken from a pool refilled 4 KiB at a time: one system call per random
 * digit cost 3-4% of CPU per request.
 */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
function pooledRandomByte(): number {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const byte = pool[poolOffset];
  poolOffset += 1;
  return byte;
}

const nextUlid = monotonicUlids(Date.now, pooledRandomByte);

/** Prefixes of our ids; the prefix names the resource, the ULID makes it sortable by time. */
export type IdPrefix =
  | 'key'
  | 'evt'
  | 'aud'
  | 'req'
  | 'cust'
  | 'prd'
  | 'prc'
  | 'cpn'
  | 'red'
  | 'crv'
  | 'chk'
  | 'chg'
  | 'ref'
  | 'inv'
  | 'cn'
  | 'fs'
  | 'dsp'
  | 'acc'
  | 'ash'
  | 'rst'
  | 'whe'
  | 'whd'
  | 'wha'
  | 'po'
  | 'ple'
  | 'ptk'
  | 'sub'
  | 'cbt'
  | 'brun'
  | 'ue'
  | 'cent'
  | 'ual'
  | 'uab'
  | 'usp'
  | 'je'
  | 'rvs'
  | 'rec'
  | 'rex'
  | 'txr';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${nextUlid()}`;
}

import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/**
 * Random bytes for ULIDs, taken from a pool refilled 4 KiB at a time: ulid asks for one random
 * value per character, and one system call per character cost 3-4% of CPU per request.
 */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
function pooledRandom(): number {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const byte = pool[poolOffset];
  poolOffset += 1;
  return byte / 256;
}

const nextUlid = monotonicFactory(pooledRandom);

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
  return `${prefix}_${nextUlid().toLowerCase()}`;
}

import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

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
  | 'wha';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${nextUlid().toLowerCase()}`;
}

import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** Prefixes of our ids; the prefix names the resource, the ULID makes it sortable by time. */
export type IdPrefix = 'key' | 'evt' | 'aud' | 'req';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${nextUlid().toLowerCase()}`;
}

import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/**
 * Ids of outbound webhooks, shaped like platform/ids.ts `newId` (prefix + lower-case ULID). Kept
 * here until `whe`, `whd` and `wha` join the platform's IdPrefix list.
 */
export function newOutboundId(prefix: 'whe' | 'whd' | 'wha'): string {
  return `${prefix}_${nextUlid().toLowerCase()}`;
}

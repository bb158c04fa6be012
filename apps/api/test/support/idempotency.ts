import { randomUUID } from 'node:crypto';

/**
 * Headers plus an `Idempotency-Key`, as a client sends on a money-moving POST (refunds, payouts,
 * credit notes, balance credits, retry-payment). A fresh key unless one is given: reuse a key only to
 * retry the very same request.
 */
export function idempotent<T extends Record<string, string>>(
  headers: T,
  key: string = randomUUID(),
): T & { 'idempotency-key': string } {
  return { ...headers, 'idempotency-key': key };
}

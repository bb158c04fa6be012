import type { IncomingMessage } from 'node:http';
import { newId } from '../ids';

const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * A caller's own request id is kept when it is sane (so traces join up across services);
 * otherwise we mint one. Stored on the raw request so the logger sees the same id.
 */
export function requestIdFor(raw: IncomingMessage): string {
  const existing = (raw as IncomingMessage & { requestId?: string }).requestId;
  if (existing) return existing;
  const incoming = raw.headers[REQUEST_ID_HEADER];
  const id = typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : newId('req');
  (raw as IncomingMessage & { requestId?: string }).requestId = id;
  return id;
}

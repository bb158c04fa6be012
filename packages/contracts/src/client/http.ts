import type { ErrorEnvelope } from '../api/common';

export interface AstrixClientOptions {
  /** e.g. `https://billing.astrix.internal` (no trailing slash needed). */
  baseUrl: string;
  /** A user JWT or a service API key (`ak_…`); sent as `Authorization: Bearer …`. */
  token: string;
  /** Defaults to the global fetch (Node 18+, browsers). */
  fetch?: typeof fetch;
}

export interface PageParams {
  limit?: number;
  cursor?: string;
}

export interface RequestOptions {
  /** Sent as `Idempotency-Key`: a retry with the same key and body returns the first answer. */
  idempotencyKey?: string;
  /** Sent as `Prefer` (RFC 7240), e.g. `return=minimal`. */
  prefer?: string;
}

/**
 * Options of a money-moving call (refunds, payouts, credit notes, balance credits, retry-payment),
 * which the API refuses without an `Idempotency-Key` (400 `IDEMPOTENCY_KEY_REQUIRED`). Without
 * `idempotencyKey` the client generates a fresh one: pass your own, stored before the call, to be
 * able to retry the same operation after a timeout without moving the money twice.
 */
export interface MoneyRequestOptions {
  idempotencyKey?: string;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Query = Record<string, string | number | boolean | undefined>;

export function newIdempotencyKey(): string {
  const webCrypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (!webCrypto?.randomUUID) {
    throw new Error('no crypto.randomUUID here: pass idempotencyKey to money-moving calls');
  }
  return webCrypto.randomUUID();
}

/** A non-2xx answer, with the API's error envelope when it sent one. */
export class AstrixApiError extends Error {
  constructor(
    readonly status: number,
    readonly envelope: ErrorEnvelope | null,
  ) {
    super(envelope ? `${envelope.error.code}: ${envelope.error.message}` : `HTTP ${status}`);
    this.name = 'AstrixApiError';
  }

  get code(): string | null {
    return this.envelope?.error.code ?? null;
  }
}

export function queryString(query: Query = {}): string {
  const entries = Object.entries(query).filter(
    (entry): entry is [string, string | number | boolean] => entry[1] !== undefined,
  );
  if (entries.length === 0) return '';
  return `?${new URLSearchParams(entries.map(([name, value]): [string, string] => [name, String(value)])).toString()}`;
}

/** `encodeURIComponent` for a path segment. */
export const segment = (value: string): string => encodeURIComponent(value);

function isErrorEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const error = (value as { error?: unknown }).error;
  return (
    typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
  );
}

/** Sends one request; parses JSON answers, throws `AstrixApiError` on a non-2xx status. */
export async function send(
  options: AstrixClientOptions,
  fetchImpl: typeof fetch,
  method: HttpMethod,
  url: string,
  body: unknown,
  requestOptions: RequestOptions & { accept?: string },
): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (requestOptions.idempotencyKey) headers['idempotency-key'] = requestOptions.idempotencyKey;
  if (requestOptions.prefer) headers.prefer = requestOptions.prefer;
  if (requestOptions.accept) headers.accept = requestOptions.accept;
  const response = await fetchImpl(url, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) {
    const text = await response.text();
    let envelope: ErrorEnvelope | null = null;
    try {
      const parsed: unknown = JSON.parse(text);
      envelope = isErrorEnvelope(parsed) ? parsed : null;
    } catch {
      envelope = null;
    }
    throw new AstrixApiError(response.status, envelope);
  }
  return response;
}

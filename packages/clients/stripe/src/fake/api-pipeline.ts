import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { StripeApiError, type StripeErrorObject } from './api-error';
import type { ApiHandler } from './api-routes';
import type { RequestLogEntry } from './control-routes';
import type { ActiveFault, FaultInjector } from './faults';
import { decodeForm, FormReader } from './form';
import { newStripeId } from './ids';
import type { Router } from './router';
import { type FakeStripeStore, presentObject } from './store';

export interface JsonReply {
  kind: 'json';
  status: number;
  /** Serialized JSON. */
  json: string;
  headers?: Record<string, string>;
}

export function jsonReply(status: number, body: unknown): JsonReply {
  return { kind: 'json', status, json: JSON.stringify(body, null, 2) };
}

export interface ApiCall {
  method: string;
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
}

interface StoredResponse {
  fingerprint: string;
  status: number;
  body: string;
}

interface ApiOutcome {
  status: number;
  /** Serialized, so a replay answers byte for byte what the first request got. */
  body: string;
  replayed: boolean;
}

const TEST_KEY = /^(sk|rk)_test_\w+/;
const PUBLISHABLE_TEST_KEY = /^pk_test_\w+/;
/** What a browser may call with a publishable key (Stripe.js confirming with a client secret). */
const PUBLISHABLE_CALLS = [/^POST \/v1\/setup_intents\/[^/]+\/confirm$/];

export function errorBody(error: StripeErrorObject): { error: StripeErrorObject } {
  return { error };
}

/**
 * What every /v1 request goes through, as at Stripe: API key check, injected faults, the
 * Idempotency-Key store, routing, `expand[]`, and the request log the tests read.
 */
export class ApiPipeline {
  private readonly idempotency = new Map<string, StoredResponse>();
  private readonly requests: RequestLogEntry[] = [];

  constructor(
    private readonly routes: Router<ApiHandler>,
    private readonly store: FakeStripeStore,
    private readonly faults: FaultInjector,
    private readonly apiVersion: string,
    private readonly now: () => Date,
    /** Aborted when the server closes, to release requests held by a hang fault. */
    private readonly shutdown: AbortSignal,
  ) {}

  requestLog(): RequestLogEntry[] {
    return structuredClone(this.requests);
  }

  reset(): void {
    this.idempotency.clear();
    this.requests.length = 0;
  }

  async handle(call: ApiCall): Promise<JsonReply> {
    const requestId = newStripeId('req');
    const idempotencyKey = headerValue(call.headers, 'idempotency-key');
    const entry: RequestLogEntry = {
      at: this.now(),
      method: call.method,
      path: call.path,
      idempotencyKey,
      status: 0,
      fault: null,
      replayed: false,
    };
    this.requests.push(entry);
    const outcome = await this.answer(call, requestId, idempotencyKey, entry);
    entry.status = outcome.status;
    entry.replayed = outcome.replayed;
    const headers: Record<string, string> = {
      'Request-Id': requestId,
      'Stripe-Version': headerValue(call.headers, 'stripe-version') ?? this.apiVersion,
    };
    if (idempotencyKey !== null) headers['Idempotency-Key'] = idempotencyKey;
    if (outcome.replayed) headers['Idempotent-Replayed'] = 'true';
    return { kind: 'json', status: outcome.status, json: outcome.body, headers };
  }

  private async answer(
    call: ApiCall,
    requestId: string,
    idempotencyKey: string | null,
    entry: RequestLogEntry,
  ): Promise<ApiOutcome> {
    const key = bearerToken(call.headers);
    if (
      PUBLISHABLE_TEST_KEY.test(key) &&
      !PUBLISHABLE_CALLS.some((allowed) => allowed.test(`${call.method} ${call.path}`))
    ) {
      return failure(401, {
        type: 'invalid_request_error',
        message: 'This API call cannot be made with a publishable API key. Please use a secret API key.',
      });
    }
    if (!TEST_KEY.test(key) && !PUBLISHABLE_TEST_KEY.test(key)) {
      return failure(401, {
        type: 'invalid_request_error',
        message: 'Invalid API Key provided. The fake accepts test keys only (sk_test_…).',
      });
    }
    const fault = this.faults.take(call.method, call.path);
    entry.fault = fault?.kind ?? null;
    if (fault !== undefined && fault.phase === 'before_processing') {
      if (fault.kind !== 'hang') return faultResponse(fault);
      await this.hold(fault.delayMs);
      if (this.shutdown.aborted)
        return failure(503, { type: 'api_error', message: 'The fake is shutting down.' });
    }
    const outcome = this.execute(call, requestId, idempotencyKey);
    if (fault !== undefined && fault.phase === 'after_processing') {
      if (fault.kind !== 'hang') return faultResponse(fault);
      await this.hold(fault.delayMs);
    }
    return outcome;
  }

  private execute(call: ApiCall, requestId: string, idempotencyKey: string | null): ApiOutcome {
    const route = this.routes.match(call.method, call.path);
    if (route === undefined) {
      return failure(404, {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${call.method}: ${call.path}).`,
      });
    }
    // Stripe applies idempotency keys to POSTs only.
    const keyed = call.method === 'POST' && idempotencyKey !== null;
    const fingerprint = `${call.method} ${call.path} ${canonicalForm(call.rawBody)}`;
    if (keyed) {
      const stored = this.idempotency.get(idempotencyKey);
      if (stored !== undefined && stored.fingerprint !== fingerprint) {
        return failure(400, {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        });
      }
      if (stored !== undefined) return { status: stored.status, body: stored.body, replayed: true };
    }
    const body = new FormReader(decodeForm(call.method === 'GET' ? '' : call.rawBody));
    const query = new FormReader(decodeForm(call.query));
    let outcome: ApiOutcome;
    try {
      const expand = (call.method === 'GET' ? query : body).stringList('expand');
      const response = route.handler({
        params: route.params,
        body,
        query,
        origin: { requestId, idempotencyKey },
        publishableKey: PUBLISHABLE_TEST_KEY.test(bearerToken(call.headers)),
      });
      outcome = {
        status: response.status,
        body: JSON.stringify(presentObject(response.body, expand, this.store), null, 2),
        replayed: false,
      };
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      outcome = failure(error.httpStatus, error.body);
    }
    // Like Stripe, keep results of requests that ran (successes and card declines), not of
    // requests refused as invalid, so a corrected retry with the same key is processed.
    if (keyed && outcome.status !== 400 && outcome.status !== 404) {
      this.idempotency.set(idempotencyKey, { fingerprint, status: outcome.status, body: outcome.body });
    }
    return outcome;
  }

  /** Holds a request (a hang fault); the server closing releases it early. */
  private async hold(delayMs: number): Promise<void> {
    try {
      await delay(delayMs, undefined, { signal: this.shutdown });
    } catch {
      // Closing: the connection is being destroyed, whatever we answer is dropped.
    }
  }
}

function failure(status: number, error: StripeErrorObject): ApiOutcome {
  return { status, body: jsonReply(status, errorBody(error)).json, replayed: false };
}

function faultResponse(fault: ActiveFault): ApiOutcome {
  return fault.kind === 'rate_limit'
    ? failure(429, {
        type: 'invalid_request_error',
        code: 'rate_limit',
        message: 'Too many requests hit the API too quickly. (injected by the fake)',
      })
    : failure(500, { type: 'api_error', message: 'An unknown error occurred (injected by the fake).' });
}

/** Parameters sorted, so the same request encoded in another order is still "the same parameters". */
function canonicalForm(rawBody: string): string {
  return [...new URLSearchParams(rawBody)]
    .map(([key, value]) => `${key}=${value}`)
    .sort()
    .join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

function bearerToken(headers: IncomingHttpHeaders): string {
  return /^Bearer\s+(.+)$/i.exec(headerValue(headers, 'authorization') ?? '')?.[1] ?? '';
}

import { invalidRequest } from './api-error';

export type FaultKind = 'server_error' | 'rate_limit' | 'hang';

export interface FaultRule {
  kind: FaultKind;
  /** How many matching requests it hits; 'always' until cleared. Default 1. */
  times?: number | 'always';
  /** Only requests whose path starts with this, e.g. '/v1/refunds'. Default: every /v1 request. */
  path?: string;
  /** Only requests with this HTTP method. */
  method?: string;
  /** hang: how long the request is held. Default 10 s, longer than any sane client timeout. */
  delayMs?: number;
  /**
   * 'before_processing' (default) fails or holds the request before Stripe acts on it.
   * 'after_processing' acts first (storing the result under the idempotency key) and then fails or
   * holds the response: a response lost on its way back, which only idempotency keys survive.
   */
  phase?: 'before_processing' | 'after_processing';
}

export interface ActiveFault {
  kind: FaultKind;
  delayMs: number;
  phase: 'before_processing' | 'after_processing';
}

interface ArmedRule {
  rule: FaultRule;
  remaining: number;
}

const DEFAULT_HANG_MS = 10_000;

/** Fault injection for /v1 requests: each rule hits the next N matching requests. */
export class FaultInjector {
  private armed: ArmedRule[] = [];

  add(rule: FaultRule): void {
    const times = rule.times ?? 1;
    if (times !== 'always' && (!Number.isInteger(times) || times < 1)) {
      throw invalidRequest('times must be a positive integer or "always"', 'times');
    }
    if (rule.delayMs !== undefined && (!Number.isInteger(rule.delayMs) || rule.delayMs < 0)) {
      throw invalidRequest('delayMs must be a non-negative integer', 'delayMs');
    }
    this.armed.push({ rule, remaining: times === 'always' ? Number.POSITIVE_INFINITY : times });
  }

  clear(): void {
    this.armed = [];
  }

  rules(): FaultRule[] {
    return this.armed.map(({ rule }) => ({ ...rule }));
  }

  /** The fault for this request, if any; counts the hit. */
  take(method: string, path: string): ActiveFault | undefined {
    const match = this.armed.find(
      ({ rule }) =>
        (rule.path === undefined || path.startsWith(rule.path)) &&
        (rule.method === undefined || rule.method.toUpperCase() === method),
    );
    if (match === undefined) return undefined;
    match.remaining--;
    if (match.remaining <= 0) this.armed = this.armed.filter((armed) => armed !== match);
    return {
      kind: match.rule.kind,
      delayMs: match.rule.delayMs ?? DEFAULT_HANG_MS,
      phase: match.rule.phase ?? 'before_processing',
    };
  }
}

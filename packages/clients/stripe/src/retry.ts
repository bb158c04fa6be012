import { setTimeout as delay } from 'node:timers/promises';

export interface BackoffPolicy {
  /** Delay before the first retry; doubles for each further retry. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Exponential backoff with jitter: between half and all of `base * 2^(retry-1)`, capped, so
 * concurrent clients spread out without ever retrying immediately.
 */
export function backoffDelayMs(retryNumber: number, policy: BackoffPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retryNumber - 1));
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

export interface RetryOptions extends BackoffPolicy {
  /** Retries after the first attempt. */
  retries: number;
  isRetryable(error: unknown): boolean;
  /** Stops waiting between attempts (the wait rejects with an AbortError). */
  signal?: AbortSignal;
}

/** Runs `attempt` until it succeeds, fails with a non-retryable error, or the retries run out. */
export async function withRetries<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let retryNumber = 1; ; retryNumber++) {
    try {
      return await attempt();
    } catch (error) {
      if (retryNumber > options.retries || !options.isRetryable(error)) throw error;
      await delay(backoffDelayMs(retryNumber, options), undefined, { signal: options.signal });
    }
  }
}

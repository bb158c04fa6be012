/** How a billing run is worked: batch size, batches at once, slices, progress. */

/**
 * An invoice waits for its whole batch: 15 keeps p99 under 50 ms on the slower machines of our kind too
 * (30 did on the faster only; docs/performance.md, #25 eighth and tenth sessions).
 */
export const DEFAULT_BILLING_RUN_BATCH_SIZE = 15;

/**
 * Batches worked at once: three keep both cores busy now that a batch holds the invoice series lock
 * for Postgres's work and its commit alone (at 100,000 subscriptions about 52 s with p99 45 ms, against
 * 61-65 s at two; docs/performance.md, #25 fourteenth session). Each holds a pool connection meanwhile.
 */
export const DEFAULT_BILLING_RUN_PARALLELISM = 3;

export interface ExecuteOptions {
  /** Subscriptions per transaction (default {@link DEFAULT_BILLING_RUN_BATCH_SIZE}). */
  batchSize?: number;
  /**
   * Batches worked on at once (default {@link DEFAULT_BILLING_RUN_PARALLELISM}; each locks its own
   * subscriptions, SKIP LOCKED).
   */
  parallelism?: number;
  /** Stop after this many batches (lets tests and operators run a run in slices). */
  maxBatches?: number;
  /** Called after each committed batch: what it did and how long it took (benchmarks, progress logs). */
  onBatch?: (batch: { subscriptions: number; invoices: number; durationMs: number }) => void;
}

/** Waits after failed attempt 1, 2, …: about 1 min, 5 min, 30 min, 2 h, 12 h, 24 h; then the delivery fails. */
export const RETRY_DELAYS_MS = [60_000, 300_000, 1_800_000, 7_200_000, 43_200_000, 86_400_000] as const;

/** Attempts a delivery gets in all: the first one plus one per retry. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** When to try again after `attemptsMade` failed attempts, or null when the schedule is exhausted. */
export function nextAttemptAfter(attemptsMade: number, now: Date): Date | null {
  if (attemptsMade >= MAX_ATTEMPTS) return null;
  return new Date(now.getTime() + RETRY_DELAYS_MS[attemptsMade - 1]);
}

import type { BillingRunView } from '@astrix/contracts';
import type { BillingRun, BillingRunFailure } from './billing-run.entity';

/** A run as the admin API shows it: its counts, what is still due, and its first failures. */
export function runView(run: BillingRun, remaining: number, failures: BillingRunFailure[]): BillingRunView {
  return {
    id: run.id,
    trigger: run.trigger,
    status: run.status,
    asOf: run.asOf.toISOString(),
    progress: {
      done: run.invoicesCreated + run.periodsClosed,
      invoicesCreated: run.invoicesCreated,
      periodsClosed: run.periodsClosed,
      failed: run.failed,
      remaining,
    },
    failures: failures.map((failure) => ({ subscriptionId: failure.subscriptionId, error: failure.error })),
    requestedBy: run.requestedBy,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
  };
}

import type { AstrixEvent } from '@astrix/contracts';

/** Every queue the platform runs. */
export const QUEUE_NAMES = ['events', 'maintenance', 'billing', 'outbound', 'payouts'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Every job name and its payload type: enqueueing anything else does not compile. */
export interface JobPayloads {
  /** One outbox event, delivered to the in-process subscribers of its type. */
  'events.deliver': AstrixEvent;
  /** Deletes idempotency records past their retention. */
  'maintenance.purge-idempotency-records': Record<string, never>;
  /** Creates the usage events' month partitions ahead (idempotent; moves strays out of DEFAULT). */
  'maintenance.usage-partitions': Record<string, never>;
  /** A stored, verified Stripe event to act on. */
  'billing.process-stripe-event': { stripeEventId: string };
  /**
   * A refund whose processor call did not get an answer: ask again with the same idempotency key.
   * The attempt number makes each retry its own job (absent on jobs enqueued before it existed).
   */
  'billing.retry-refund': { refundId: string; attempt?: number };
  /** Settles every refund pending longer than the bound by asking the processor (the scheduler's tick too). */
  'billing.settle-pending-refunds': Record<string, never>;
  /** Works through one billing run until no subscription of it is due (resumes after a crash). */
  'billing.run-billing': { runId: string };
  /** One collection attempt of a subscription invoice (attempt numbers make each retry its own job). */
  'billing.collect-invoice': { invoiceId: string; attempt: number };
  /** The scheduler's tick: starts a billing run and retries the dunning attempts that are due. */
  'billing.scheduled-billing': Record<string, never>;
  /**
   * The daily revenue recognition run: moves deferred revenue to revenue for every schedule's days
   * through `through` (YYYY-MM-DD; default yesterday, UTC), catching up missed days.
   */
  'billing.recognize-revenue': { through?: string };
  /** Works through one reconciliation run of a day against the processor (resumes from its cursor). */
  'billing.reconcile-day': { runId: string };
  /** The daily schedule: reconciles yesterday (UTC) against the processor. */
  'billing.scheduled-reconciliation': Record<string, never>;
  /** One HTTP attempt of a webhook delivery (attempt numbers make each attempt its own job). */
  'outbound.deliver-webhook': { deliveryId: string; attempt: number };
  /** Moves an approved (or retried) payout's money; the attempt makes each retry its own job. */
  'payouts.execute-payout': { payoutId: string; attempt: number };
  /** Enqueues again the execute job of approved payouts left without a live one (the scheduler's tick). */
  'payouts.resume-stranded-payouts': Record<string, never>;
}
export type JobName = keyof JobPayloads;

export const QUEUE_OF_JOB: { readonly [N in JobName]: QueueName } = {
  'events.deliver': 'events',
  'maintenance.purge-idempotency-records': 'maintenance',
  'maintenance.usage-partitions': 'maintenance',
  'billing.process-stripe-event': 'billing',
  'billing.retry-refund': 'billing',
  'billing.settle-pending-refunds': 'billing',
  'billing.run-billing': 'billing',
  'billing.collect-invoice': 'billing',
  'billing.scheduled-billing': 'billing',
  'billing.recognize-revenue': 'billing',
  'billing.reconcile-day': 'billing',
  'billing.scheduled-reconciliation': 'billing',
  'outbound.deliver-webhook': 'outbound',
  'payouts.execute-payout': 'payouts',
  'payouts.resume-stranded-payouts': 'payouts',
};

/** Every job name, at run time: each must have exactly one handler in a process that runs workers. */
export const JOB_NAMES = Object.keys(QUEUE_OF_JOB) as readonly JobName[];

export function isJobName(name: string): name is JobName {
  return Object.prototype.hasOwnProperty.call(QUEUE_OF_JOB, name);
}

/** How many jobs of each queue one worker process runs at once. */
export const QUEUE_CONCURRENCY: { readonly [Q in QueueName]: number } = {
  events: 8,
  maintenance: 1,
  billing: 8,
  outbound: 16,
  payouts: 4,
};

/**
 * Stall handling of every queue's workers. A worker that dies holding a job (a deploy, the OOM
 * killer) leaves it to be taken back when its lock expires; BullMQ's default fails the job for good
 * the second time. Every handler is idempotent, so a job is taken back up to 5 times: a poison job
 * that kills each worker it reaches still ends in failed (kept, replayable) after the fifth.
 */
export const WORKER_STALL_OPTIONS = { maxStalledCount: 5 } as const;

/** Retries with exponential backoff; failed jobs are kept for inspection and replay. */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: false,
} as const;

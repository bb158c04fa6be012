import { SUBSCRIPTION_TRANSITIONS, type SubscriptionStatus } from '@astrix/contracts';
import { AppError, ConflictError } from '../../../platform/http/app-error';

/** Statuses whose periods the billing run renews. */
export const RENEWING_STATUSES: readonly SubscriptionStatus[] = ['trialing', 'active', 'past_due'];

/** The most seats one subscription may have. */
export const MAX_QUANTITY = 10_000;

function listed(statuses: readonly string[]): string {
  if (statuses.length === 0) return 'none';
  if (statuses.length === 1) return statuses[0];
  return `${statuses.slice(0, -1).join(', ')} or ${statuses[statuses.length - 1]}`;
}

/** Throws 409 naming the statuses that are allowed from here when `to` is not one of them. */
export function assertTransition(
  subscriptionId: string,
  from: SubscriptionStatus,
  to: SubscriptionStatus,
): void {
  const allowed = SUBSCRIPTION_TRANSITIONS[from];
  if (!allowed.includes(to)) {
    throw new ConflictError(
      `subscription ${subscriptionId} is ${from}: it can move to ${listed(allowed)}, not ${to}`,
      'INVALID_TRANSITION',
      [{ field: 'status', message: `allowed from ${from}: ${listed(allowed)}` }],
    );
  }
}

/** Throws 409 when an action needs one of `required` and the subscription is in another status. */
export function assertStatusFor(
  action: string,
  subscriptionId: string,
  status: SubscriptionStatus,
  required: readonly SubscriptionStatus[],
): void {
  if (!required.includes(status)) {
    throw new ConflictError(
      `cannot ${action} subscription ${subscriptionId}: it is ${status}, and ${action} needs ${listed(required)}`,
      'INVALID_TRANSITION',
      [{ field: 'status', message: `${action} is allowed from ${listed(required)}` }],
    );
  }
}

/** How long after a subscription ended it may still be reactivated (canceled → active). */
export const REACTIVATION_GRACE_DAYS = 14;

const DAY_MS = 86_400_000;

/** The instant the reactivation grace of a subscription that ended at `endedAt` runs out. */
export function reactivationDeadline(endedAt: Date): Date {
  return new Date(endedAt.getTime() + REACTIVATION_GRACE_DAYS * DAY_MS);
}

/**
 * Throws 409 REACTIVATION_GRACE_ENDED, naming the grace and when it ended, unless `now` is before
 * the deadline. A canceled subscription without an end time (never the case once canceled) is refused.
 */
export function assertWithinReactivationGrace(subscriptionId: string, endedAt: Date | null, now: Date): void {
  if (endedAt !== null && now.getTime() < reactivationDeadline(endedAt).getTime()) return;
  const ended = endedAt
    ? `ended at ${endedAt.toISOString()}; the ${REACTIVATION_GRACE_DAYS}-day grace for reactivating it ended at ${reactivationDeadline(endedAt).toISOString()}`
    : `ended; the ${REACTIVATION_GRACE_DAYS}-day grace for reactivating it is over`;
  throw new ConflictError(
    `subscription ${subscriptionId} ${ended}: subscribe again instead`,
    'REACTIVATION_GRACE_ENDED',
    [
      {
        field: 'status',
        message: `a canceled subscription can be reactivated within ${REACTIVATION_GRACE_DAYS} days of its end`,
      },
    ],
  );
}

/** Throws 422 unless `quantity` is a whole number of seats from 1 to MAX_QUANTITY. */
export function assertQuantity(quantity: number): void {
  if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
    throw new AppError(
      422,
      'UNPROCESSABLE',
      `quantity ${quantity} must be a whole number from 1 to ${MAX_QUANTITY}`,
      [{ field: 'quantity', message: `must be a whole number from 1 to ${MAX_QUANTITY}` }],
    );
  }
}

import type { EntityManager } from 'typeorm';
import { type DraftLine, usageLine } from './invoice-drafts';
import { usagePeriodOf } from './renewal';
import type { Subscription } from './subscription.entity';
import { type UsageCharges, type UsageCloseReason } from './usage-charges.port';

/** The key of an invoice a lifecycle action issues outside the period cycle (a cancellation's final one). */
export function usageInvoiceKey(subscriptionId: string, what: 'final', at: Date): string {
  return `sub:${subscriptionId}:${what}:${at.toISOString()}`;
}

/**
 * Closes the subscription's usage at `now` (a paused one's at its pause, when it stopped), on the plan
 * in force until then, and, given the key of the invoice being issued, returns the usage lines of
 * every stretch closed and not billed yet, to go on it. A trial's usage is never billed.
 */
export async function closedUsageUpTo(
  usage: UsageCharges,
  manager: EntityManager,
  subscription: Subscription,
  reason: UsageCloseReason,
  now: Date,
  invoiceKey?: string,
): Promise<DraftLine[]> {
  if (subscription.status === 'trialing') return [];
  const period = { ...usagePeriodOf(subscription), periodEnd: subscription.pausedAt ?? now };
  if (period.periodEnd > period.periodStart) await usage.closeEarly(manager, period, reason, now);
  if (invoiceKey === undefined) return [];
  const lines = await usage.linesFor(manager, [{ ...period, invoiceKey }]);
  return (lines.get(subscription.id) ?? []).map((line) => usageLine(subscription.productId, line));
}

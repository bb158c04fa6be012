import type { EntityManager } from 'typeorm';

/** A subscription's usage period, as invoiced in arrears. */
export interface ClosedUsagePeriod {
  subscriptionId: string;
  customerId: string;
  /** The plan in force over the period: usage prices and allowances hang off it. */
  productId: string;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  /**
   * The invoice the lines go on (its idempotency key): stretches of the period closed early (cancel
   * now, pause, plan change now) that it bills are marked with it, so they are billed exactly once.
   */
  invoiceKey?: string;
}

/** Why a stretch of usage was closed before its period's end. */
export type UsageCloseReason = 'cancel' | 'pause' | 'plan_change';

/** One usage line of a subscription invoice; amounts are minor units of the subscription's currency. */
export interface UsageInvoiceLine {
  featureId: string;
  /** The plan whose usage price priced it (the plan in force while the usage accrued). */
  productId: string;
  description: string;
  /** Billable quantity (after the free allowance). */
  quantity: number;
  /** Average per unit (amount / quantity rounded), for display; `amount` is what counts. */
  unitAmount: number;
  amount: number;
  periodStart: Date;
  periodEnd: Date;
}

/**
 * What subscriptions ask the usage capability for. Called inside the caller's transaction, by the
 * billing run with many periods at once, so implementations should answer with few queries.
 */
export abstract class UsageCharges {
  /**
   * The usage lines of each period: every stretch of it closed early and not invoiced yet (priced on
   * the plan it accrued on), then the rest of the period, from the last closed stretch, on
   * `productId`. Closed stretches are marked billed by `invoiceKey`.
   */
  abstract linesFor(
    manager: EntityManager,
    periods: readonly ClosedUsagePeriod[],
  ): Promise<Map<string, UsageInvoiceLine[]>>;

  /**
   * Closes the usage of a period up to `periodEnd` before the period ends (on `productId`, the plan
   * in force until then): it is billed on the subscription's next invoice, or at once by `linesFor`.
   */
  abstract closeEarly(
    manager: EntityManager,
    period: ClosedUsagePeriod,
    reason: UsageCloseReason,
    now: Date,
  ): Promise<void>;
}

/** Until plans have usage prices, nothing is metered. */
export class NoUsageCharges extends UsageCharges {
  linesFor(): Promise<Map<string, UsageInvoiceLine[]>> {
    return Promise.resolve(new Map());
  }

  closeEarly(): Promise<void> {
    return Promise.resolve();
  }
}

import type { EntityManager } from 'typeorm';

/** A subscription period closed by the billing run, whose usage is invoiced in arrears. */
export interface ClosedUsagePeriod {
  subscriptionId: string;
  customerId: string;
  /** The plan: usage prices and allowances hang off it. */
  productId: string;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
}

/** One usage line of a subscription invoice; amounts are minor units of the subscription's currency. */
export interface UsageInvoiceLine {
  featureId: string;
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
 * What the billing run asks the usage capability for when it closes periods. Called inside the run's
 * transaction with many periods at once, so implementations should answer with few queries.
 */
export abstract class UsageCharges {
  abstract linesFor(
    manager: EntityManager,
    periods: readonly ClosedUsagePeriod[],
  ): Promise<Map<string, UsageInvoiceLine[]>>;
}

/** Until plans have usage prices, nothing is metered. */
export class NoUsageCharges extends UsageCharges {
  linesFor(): Promise<Map<string, UsageInvoiceLine[]>> {
    return Promise.resolve(new Map());
  }
}

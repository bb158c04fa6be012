/** A customer's usage of a feature crossed a threshold alert; emitted once per alert and period. */
export interface UsageThresholdReachedData {
  alertId: string;
  customerId: string;
  userId: string;
  featureId: string;
  kind: 'percent_of_allowance' | 'quantity' | 'amount';
  /** The alert's threshold: a percent (80), units, or minor units of `currency`. */
  threshold: number;
  /** The usage, in units, at which the alert fires; null for amount alerts. */
  thresholdQuantity: number | null;
  /** Amount alerts: the period's usage charges so far (minor units) and their currency; else null. */
  amount: number | null;
  currency: string | null;
  /** Usage this period when the crossing was seen. */
  used: number;
  /** The allowance or cap of the period; null when unlimited. */
  limit: number | null;
  periodStart: string;
  periodEnd: string;
}

export interface UsageEventDataByType {
  'billing.usage.threshold_reached': UsageThresholdReachedData;
}

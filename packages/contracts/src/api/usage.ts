import type { MoneyView } from './billing';

/** How a metered feature's events become one number per customer and billing period. */
export type UsageAggregation = 'sum' | 'count' | 'max' | 'unique_count' | 'latest';
export const USAGE_AGGREGATIONS: readonly UsageAggregation[] = [
  'sum',
  'count',
  'max',
  'unique_count',
  'latest',
];

/** One usage event as a sibling service reports it to `POST /v1/usage/events`. */
export interface UsageEventInput {
  /** Our customer id (`cust_…`) or the external reference the service knows (the user or tenant id). */
  customerId: string;
  /** The feature's id, e.g. `api-calls`. */
  featureId: string;
  /** Whole units of the feature; defaults to 1. Negative only in a correction (`correctionOf`). */
  quantity?: number;
  /** When the usage happened (ISO 8601 with offset). */
  timestamp: string;
  /** Unique per customer: a second event with the same key is a duplicate and returns the stored one. */
  idempotencyKey: string;
  serviceId?: string;
  /** Flat properties (string, number, boolean or null values); `unique_count` features count one of them. */
  properties?: Record<string, string | number | boolean | null>;
  /** The idempotency key of the event this one corrects (same customer and feature). */
  correctionOf?: string;
}

/** `POST /v1/usage/events` takes one event, or a batch of up to 1,000 as `{events: [...]}`. */
export interface ReportUsageBatchRequest {
  events: UsageEventInput[];
}
export const MAX_USAGE_BATCH = 1000;

/** An event as stored in the append-only usage ledger. */
export interface UsageEventView {
  id: string;
  customerId: string;
  featureId: string;
  quantity: number;
  timestamp: string;
  idempotencyKey: string;
  serviceId: string | null;
  properties: Record<string, string | number | boolean | null> | null;
  correctionOf: string | null;
  receivedAt: string;
}

/** Why an event was not stored (machine-readable). */
export type UsageRejectionReason =
  | 'invalid_event'
  | 'unknown_customer'
  | 'unknown_feature'
  | 'feature_not_metered'
  | 'timestamp_too_old'
  | 'timestamp_in_future'
  | 'invalid_correction';

export type UsageEventResult =
  | { index: number; status: 'accepted'; id: string }
  | { index: number; status: 'duplicate'; id: string; event: UsageEventView }
  | { index: number; status: 'rejected'; reason: UsageRejectionReason; message: string };

export interface ReportUsageBatchResponse {
  accepted: number;
  duplicates: number;
  rejected: number;
  /**
   * One result per submitted event, in order; asked with `Prefer: return=minimal`, only the events not
   * accepted (duplicates and rejections, each with its index), answered with `Preference-Applied`.
   */
  results: UsageEventResult[];
}

/** The answer to a single event: the stored event and whether it was new. */
export interface ReportUsageResponse {
  status: 'accepted' | 'duplicate';
  event: UsageEventView;
}

/** `GET /v1/usage/summary?customerId&featureId&from&to`: the feature's metric over a range, and per day. */
export interface UsageSummary {
  customerId: string;
  featureId: string;
  aggregation: UsageAggregation;
  unit: string | null;
  from: string;
  to: string;
  /** The metric over the whole range (for unique_count, distinct over the range, not a sum of days). */
  value: number;
  /** One entry per UTC day of the range that has events. */
  days: Array<{ date: string; value: number }>;
}

/**
 * A threshold alert staff define for a feature, for one customer or (customerId null) for all:
 * a percent of the period's allowance, a number of units, or an amount of usage charges (minor units of
 * the subscription's currency, priced by the plan's usage price).
 */
export type UsageAlertKind = 'percent_of_allowance' | 'quantity' | 'amount';
export interface UsageAlertView {
  id: string;
  customerId: string | null;
  featureId: string;
  kind: UsageAlertKind;
  /** Percent (e.g. 80), units, or minor units of the subscription's currency. */
  threshold: number;
  createdAt: string;
  createdBy: string;
}
export interface CreateUsageAlertRequest {
  customerId?: string | null;
  featureId: string;
  kind: UsageAlertKind;
  threshold: number;
}

/** A usage price of a plan for one feature and currency: one of the tiered models of @astrix/pricing. */
export type UsagePriceModel = 'per_unit' | 'package' | 'graduated' | 'volume';
export interface UsagePriceTierInput {
  upTo: number | null;
  unitAmount?: number;
  flatAmount?: number;
}
export interface UsagePriceInput {
  currency: string;
  model: UsagePriceModel;
  /** per_unit */
  unitAmount?: number;
  /** package */
  packageSize?: number;
  packageAmount?: number;
  /** graduated and volume */
  tiers?: UsagePriceTierInput[];
  /** Units not charged; defaults to the plan's allowance of the feature. */
  freeQuantity?: number;
}
export type UsagePriceView = UsagePriceInput;

/** A usage line as the billing run invoices it (in arrears). */
export interface UsageLineView {
  featureId: string;
  description: string;
  quantity: number;
  amount: MoneyView;
}

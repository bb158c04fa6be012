import type { UsageAggregation, UsagePriceInput, UsagePriceView } from './usage';

/** boolean: on or off; limit: a numeric cap; metered: an allowance consumed by usage. */
export const FEATURE_KINDS = ['boolean', 'limit', 'metered'] as const;
export type FeatureKind = (typeof FEATURE_KINDS)[number];

export interface FeatureView {
  id: string;
  name: string;
  description: string | null;
  kind: FeatureKind;
  /** Unit of usage, e.g. "calls", "GB". */
  unit: string | null;
  /** How usage events count (limit and metered features). */
  aggregation: UsageAggregation | null;
  /** The property counted by `unique_count`. */
  aggregationProperty: string | null;
  status: 'active' | 'archived';
  createdAt: string;
  updatedAt: string;
}
export interface CreateFeatureRequest {
  id: string;
  name: string;
  description?: string | null;
  kind: FeatureKind;
  unit?: string | null;
  aggregation?: UsageAggregation;
  aggregationProperty?: string;
}
export interface UpdateFeatureRequest {
  name?: string;
  description?: string | null;
  unit?: string | null;
  status?: 'active' | 'archived';
}

/** A feature a plan (a subscription product) grants, with its cap or allowance and usage prices. */
export interface PlanFeatureView {
  productId: string;
  featureId: string;
  /** Cap (limit) or allowance per period (metered); null = unlimited; ignored for boolean features. */
  limit: number | null;
  /** Usage prices per currency: usage beyond the allowance is invoiced in arrears. */
  prices: UsagePriceView[];
  updatedAt: string;
}
export interface PutPlanFeatureRequest {
  limit?: number | null;
  prices?: UsagePriceInput[];
}

/**
 * Staff's per-customer entitlement. A `grant` gives the feature on its own (with or without a plan);
 * an `override` changes the plan's terms for this customer (limit, or enabled: false to withdraw it).
 */
export type CustomerEntitlementKind = 'grant' | 'override';
export interface CustomerEntitlementView {
  id: string;
  customerId: string;
  featureId: string;
  kind: CustomerEntitlementKind;
  enabled: boolean;
  limit: number | null;
  expiresAt: string | null;
  reason: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  revokedBy: string | null;
}
export interface PutCustomerEntitlementRequest {
  kind: CustomerEntitlementKind;
  enabled?: boolean;
  limit?: number | null;
  expiresAt?: string | null;
  reason: string;
}

/** Machine-readable answer of an entitlement check. `granted` and `overage` allow; the rest deny. */
/** Every reason a check can give, allowed or not. */
export const ENTITLEMENT_REASONS = [
  'granted',
  'overage',
  'no_subscription',
  'feature_not_in_plan',
  'feature_revoked',
  'limit_reached',
  'subscription_past_due',
  'subscription_paused',
  'subscription_incomplete',
  'customer_on_hold',
  'unknown_feature',
] as const;

export type EntitlementReason = (typeof ENTITLEMENT_REASONS)[number];

export interface EntitlementCheckRequest {
  /** Our customer id or the external reference (user or tenant id). */
  customerId: string;
  featureId: string;
  /** Units the caller is about to use (limit and metered features); defaults to 1. */
  quantity?: number;
}

export interface EntitlementCheckResponse {
  allowed: boolean;
  reason: EntitlementReason;
  customerId: string;
  featureId: string;
  kind: FeatureKind | null;
  /** Cap or allowance; null when unlimited or not applicable. */
  limit: number | null;
  /** Usage this period (limit and metered features), else null. */
  used: number | null;
  /** limit − used, never below 0; null when unlimited or not applicable. */
  remaining: number | null;
  /** When `used` starts again from 0 (end of the period). */
  resetsAt: string | null;
  /** Where the answer comes from. */
  source: 'plan' | 'grant' | 'override' | null;
  subscriptionId: string | null;
}

/** `GET /v1/entitlements?customerId`: every active feature with the customer's answer. */
export interface EntitlementList {
  customerId: string;
  data: EntitlementCheckResponse[];
}

import type {
  CustomerEntitlementKind,
  EntitlementCheckResponse,
  EntitlementReason,
  FeatureKind,
  SubscriptionStatus,
  UsageAggregation,
} from '@astrix/contracts';

/** The customer's rows an answer depends on, read fresh for every check. */
export interface CustomerState {
  customerId: string;
  onHold: boolean;
  /** Subscriptions not canceled, oldest first. */
  subscriptions: Array<{
    id: string;
    status: SubscriptionStatus;
    productId: string;
    currency: string;
    currentPeriodStart: Date;
    currentPeriodEnd: Date;
    /**
     * While trialing, what the plan said at subscribe about usage beyond the allowance: `bill` (the
     * first invoice charges it) or `refuse`; missing or null is `refuse`. Ignored outside a trial.
     */
    trialOverage?: 'refuse' | 'bill' | null;
  }>;
  /** Live (not revoked, not expired) staff grants and overrides, by feature. */
  customerEntitlements: ReadonlyMap<
    string,
    { kind: CustomerEntitlementKind; enabled: boolean; limit: number | null; expiresAt: Date | null }
  >;
}

export interface FeatureTerms {
  id: string;
  kind: FeatureKind;
  status: 'active' | 'archived';
  aggregation: UsageAggregation | null;
  aggregationProperty: string | null;
}

/** Where the feature comes from and the period its usage is counted over. */
export interface EntitlementBasis {
  feature: FeatureTerms;
  source: 'plan' | 'grant' | 'override';
  limit: number | null;
  subscriptionId: string | null;
  /** The plan and currency usage would be priced in (the subscription's); null without one. */
  productId: string | null;
  currency: string | null;
  periodStart: Date;
  periodEnd: Date;
  /** The plan invoices usage beyond the allowance (metered features with a usage price). */
  overageBilled: boolean;
}

export type Basis =
  | { kind: 'basis'; basis: EntitlementBasis }
  | { kind: 'denied'; reason: EntitlementReason; subscriptionId: string | null };

const GOOD_STANDING: readonly SubscriptionStatus[] = ['active', 'trialing'];

function statusReason(status: SubscriptionStatus): EntitlementReason {
  switch (status) {
    case 'past_due':
      return 'subscription_past_due';
    case 'paused':
      return 'subscription_paused';
    case 'incomplete':
      return 'subscription_incomplete';
    case 'active':
    case 'trialing':
    case 'canceled':
      return 'no_subscription';
  }
}

/**
 * A trial's usage is billed only when its plan bills trial overage (the billing run then invoices the
 * trial's usage on the first invoice); otherwise overage during a trial is refused, never free.
 */
function overageBilledInStatus(subscription: CustomerState['subscriptions'][number]): boolean {
  return subscription.status !== 'trialing' || subscription.trialOverage === 'bill';
}

/** The calendar month (UTC) around `now`: the period of a grant held without a subscription. */
export function calendarMonth(now: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start, end };
}

/**
 * Decides on what terms the customer holds the feature, before usage is counted:
 * 1. a customer on hold (fraud review or blocked) gets nothing;
 * 2. a live staff `grant` gives the feature whatever the plan says, with or without a subscription;
 * 3. otherwise the plans of the customer's subscriptions: one in good standing (active, trialing)
 *    whose plan grants the feature decides (during a trial, overage only where the plan bills it), with a staff `override` replacing its limit or
 *    withdrawing the feature; a subscription whose plan grants it but is past due, paused or
 *    incomplete gives that reason; no plan granting it gives `feature_not_in_plan`, no subscription
 *    `no_subscription`.
 */
export function entitlementBasis(input: {
  state: CustomerState;
  feature: FeatureTerms;
  planLimit: (productId: string, featureId: string) => { limit: number | null } | undefined;
  overageBilled: (productId: string, featureId: string) => boolean;
  now: Date;
}): Basis {
  const { state, feature, now } = input;
  if (state.onHold) return { kind: 'denied', reason: 'customer_on_hold', subscriptionId: null };
  const staff = state.customerEntitlements.get(feature.id);
  const granting = state.subscriptions.filter(
    (subscription) => input.planLimit(subscription.productId, feature.id) !== undefined,
  );
  const usable = granting.find((subscription) => GOOD_STANDING.includes(subscription.status));
  if (staff?.kind === 'grant') {
    if (!staff.enabled) return { kind: 'denied', reason: 'feature_revoked', subscriptionId: null };
    const period = usable ?? state.subscriptions.find((s) => GOOD_STANDING.includes(s.status));
    const month = calendarMonth(now);
    return {
      kind: 'basis',
      basis: {
        feature,
        source: 'grant',
        limit: staff.limit,
        subscriptionId: period?.id ?? null,
        productId: period?.productId ?? null,
        currency: period?.currency ?? null,
        periodStart: period?.currentPeriodStart ?? month.start,
        periodEnd: period?.currentPeriodEnd ?? month.end,
        overageBilled: false,
      },
    };
  }
  if (!usable) {
    if (granting.length > 0) {
      return { kind: 'denied', reason: statusReason(granting[0].status), subscriptionId: granting[0].id };
    }
    if (state.subscriptions.length === 0) {
      return { kind: 'denied', reason: 'no_subscription', subscriptionId: null };
    }
    const inStanding = state.subscriptions.find((s) => GOOD_STANDING.includes(s.status));
    if (inStanding) return { kind: 'denied', reason: 'feature_not_in_plan', subscriptionId: inStanding.id };
    const first = state.subscriptions[0];
    return { kind: 'denied', reason: statusReason(first.status), subscriptionId: first.id };
  }
  const plan = input.planLimit(usable.productId, feature.id);
  const basis: EntitlementBasis = {
    feature,
    source: 'plan',
    limit: plan?.limit ?? null,
    subscriptionId: usable.id,
    productId: usable.productId,
    currency: usable.currency,
    periodStart: usable.currentPeriodStart,
    periodEnd: usable.currentPeriodEnd,
    overageBilled:
      feature.kind === 'metered' &&
      input.overageBilled(usable.productId, feature.id) &&
      overageBilledInStatus(usable),
  };
  if (staff?.kind === 'override') {
    if (!staff.enabled) return { kind: 'denied', reason: 'feature_revoked', subscriptionId: usable.id };
    basis.source = 'override';
    basis.limit = staff.limit;
  }
  return { kind: 'basis', basis };
}

/** The answer, once the period's usage is known (null for boolean features). */
export function entitlementAnswer(input: {
  customerId: string;
  featureId: string;
  basis: Basis;
  used: number | null;
  quantity: number;
}): EntitlementCheckResponse {
  const { basis, customerId, featureId } = input;
  if (basis.kind === 'denied') {
    return {
      allowed: false,
      reason: basis.reason,
      customerId,
      featureId,
      kind: null,
      limit: null,
      used: null,
      remaining: null,
      resetsAt: null,
      source: null,
      subscriptionId: basis.subscriptionId,
    };
  }
  const terms = basis.basis;
  const common = {
    customerId,
    featureId,
    kind: terms.feature.kind,
    source: terms.source,
    subscriptionId: terms.subscriptionId,
  };
  if (terms.feature.kind === 'boolean') {
    return {
      ...common,
      allowed: true,
      reason: 'granted',
      limit: null,
      used: null,
      remaining: null,
      resetsAt: null,
    };
  }
  const used = input.used ?? 0;
  const limit = terms.limit;
  const remaining = limit === null ? null : Math.max(0, limit - used);
  const fits = limit === null || used + input.quantity <= limit;
  const reason: EntitlementReason = fits ? 'granted' : terms.overageBilled ? 'overage' : 'limit_reached';
  return {
    ...common,
    allowed: fits || terms.overageBilled,
    reason,
    limit,
    used,
    remaining,
    resetsAt: terms.periodEnd.toISOString(),
  };
}

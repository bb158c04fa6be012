import { CustomerState, entitlementAnswer, entitlementBasis, FeatureTerms } from './entitlement-decision';

const NOW = new Date('2026-11-15T12:00:00Z');
const metered: FeatureTerms = {
  id: 'calls',
  kind: 'metered',
  status: 'active',
  aggregation: 'sum',
  aggregationProperty: null,
};
const subscription = (status: CustomerState['subscriptions'][number]['status'], productId = 'prd_pro') => ({
  id: `sub_${status}_${productId}`,
  status,
  productId,
  currency: 'USD',
  currentPeriodStart: new Date('2026-11-01T00:00:00Z'),
  currentPeriodEnd: new Date('2026-12-01T00:00:00Z'),
});
const state = (overrides: Partial<CustomerState> = {}): CustomerState => ({
  customerId: 'cust_1',
  onHold: false,
  subscriptions: [subscription('active')],
  customerEntitlements: new Map(),
  ...overrides,
});
const decide = (customer: CustomerState, billed = false) =>
  entitlementBasis({
    state: customer,
    feature: metered,
    now: NOW,
    planLimit: (productId) => (productId === 'prd_pro' ? { limit: 100 } : undefined),
    overageBilled: () => billed,
  });

describe('entitlement decisions', () => {
  it('prefers a plan in good standing that grants the feature over an earlier one in trouble', () => {
    const basis = decide(state({ subscriptions: [subscription('past_due'), subscription('trialing')] }));
    expect(basis).toMatchObject({
      kind: 'basis',
      basis: { subscriptionId: 'sub_trialing_prd_pro', limit: 100 },
    });
  });

  it('names the status of the plan that would grant the feature', () => {
    expect(decide(state({ subscriptions: [subscription('paused')] }))).toMatchObject({
      reason: 'subscription_paused',
    });
    expect(
      decide(state({ subscriptions: [subscription('active', 'prd_basic'), subscription('past_due')] })),
    ).toMatchObject({ reason: 'subscription_past_due' });
    expect(decide(state({ subscriptions: [subscription('active', 'prd_basic')] }))).toMatchObject({
      reason: 'feature_not_in_plan',
    });
    expect(decide(state({ subscriptions: [subscription('incomplete', 'prd_basic')] }))).toMatchObject({
      reason: 'subscription_incomplete',
    });
    expect(decide(state({ subscriptions: [] }))).toMatchObject({ reason: 'no_subscription' });
  });

  it('puts a hold before everything, even a grant', () => {
    const grant = new Map([['calls', { kind: 'grant' as const, enabled: true, limit: 5, expiresAt: null }]]);
    expect(decide(state({ onHold: true, customerEntitlements: grant }))).toMatchObject({
      reason: 'customer_on_hold',
    });
  });

  it('lets a grant stand without a subscription, counted over the calendar month', () => {
    const grant = new Map([['calls', { kind: 'grant' as const, enabled: true, limit: 5, expiresAt: null }]]);
    const basis = decide(state({ subscriptions: [], customerEntitlements: grant }));
    expect(basis).toMatchObject({
      kind: 'basis',
      basis: {
        source: 'grant',
        limit: 5,
        periodStart: new Date('2026-11-01T00:00:00Z'),
        periodEnd: new Date('2026-12-01T00:00:00Z'),
      },
    });
  });

  it('lets an override change the limit or withdraw the feature, only where the plan gives access', () => {
    const raise = new Map([
      ['calls', { kind: 'override' as const, enabled: true, limit: 1000, expiresAt: null }],
    ]);
    expect(decide(state({ customerEntitlements: raise }))).toMatchObject({
      basis: { source: 'override', limit: 1000 },
    });
    const withdraw = new Map([
      ['calls', { kind: 'override' as const, enabled: false, limit: null, expiresAt: null }],
    ]);
    expect(decide(state({ customerEntitlements: withdraw }))).toMatchObject({ reason: 'feature_revoked' });
    expect(decide(state({ subscriptions: [], customerEntitlements: raise }))).toMatchObject({
      reason: 'no_subscription',
    });
  });

  it('answers limits, overage and what remains', () => {
    const answer = (used: number, quantity: number, billed = false) =>
      entitlementAnswer({
        customerId: 'cust_1',
        featureId: 'calls',
        basis: decide(state(), billed),
        used,
        quantity,
      });
    expect(answer(99, 1)).toMatchObject({
      allowed: true,
      reason: 'granted',
      remaining: 1,
      resetsAt: '2026-12-01T00:00:00.000Z',
    });
    expect(answer(100, 1)).toMatchObject({ allowed: false, reason: 'limit_reached', remaining: 0 });
    expect(answer(100, 0)).toMatchObject({ allowed: true, reason: 'granted' });
    expect(answer(150, 1, true)).toMatchObject({ allowed: true, reason: 'overage', used: 150, remaining: 0 });
  });

  it('refuses overage during a trial unless the plan bills trial overage, never free by accident', () => {
    const answer = (trialOverage: 'refuse' | 'bill' | null | undefined, status = 'trialing' as const) =>
      entitlementAnswer({
        customerId: 'cust_1',
        featureId: 'calls',
        basis: decide(state({ subscriptions: [{ ...subscription(status), trialOverage }] }), true),
        used: 100,
        quantity: 1,
      });
    for (const refused of [undefined, null, 'refuse'] as const) {
      expect(answer(refused)).toMatchObject({ allowed: false, reason: 'limit_reached', remaining: 0 });
    }
    expect(answer('bill')).toMatchObject({ allowed: true, reason: 'overage' });
    const active = entitlementAnswer({
      customerId: 'cust_1',
      featureId: 'calls',
      basis: decide(state({ subscriptions: [{ ...subscription('active'), trialOverage: 'refuse' }] }), true),
      used: 100,
      quantity: 1,
    });
    expect(active).toMatchObject({ allowed: true, reason: 'overage' });
  });
});

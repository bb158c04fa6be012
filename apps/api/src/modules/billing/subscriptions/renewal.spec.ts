import type { SubscriptionStatus } from '@astrix/contracts';
import { renewalInvoiceKey, renewalOf, usagePeriodOf } from './renewal';
import type { ScheduledPlanChange, Subscription } from './subscription.entity';

const at = (iso: string): Date => new Date(iso);

/** A subscription whose current period is [start, end), billed from `anchor`. */
function subscription(overrides: Partial<Subscription> = {}): Subscription {
  const start = at('2026-03-15T10:30:00Z');
  return {
    id: 'sub_1',
    customerId: 'cust_1',
    userId: 'user_1',
    productId: 'prd_pro',
    priceId: 'price_pro_usd',
    currency: 'USD',
    unitAmount: 4900,
    quantity: 2,
    status: 'active',
    interval: 'month',
    intervalCount: 1,
    billingAnchor: start,
    trialEnd: null,
    trialFamily: null,
    trialOverage: null,
    trialGrantedBy: null,
    currentPeriodStart: start,
    currentPeriodEnd: at('2026-04-15T10:30:00Z'),
    cancelAtPeriodEnd: false,
    canceledAt: null,
    endedAt: null,
    pausedAt: null,
    scheduledChange: null,
    couponId: null,
    couponPeriodsBilled: 0,
    latestInvoiceId: null,
    createdAt: start,
    updatedAt: start,
    ...overrides,
  };
}

const downgrade: ScheduledPlanChange = {
  productId: 'prd_basic',
  priceId: 'price_basic_usd',
  unitAmount: 1900,
  quantity: 1,
  requestedAt: '2026-03-20T00:00:00.000Z',
};

const currentPlan = { productId: 'prd_pro', priceId: 'price_pro_usd', unitAmount: 4900, quantity: 2 };

describe('renewalInvoiceKey', () => {
  it('is one key per subscription and boundary instant', () => {
    expect(renewalInvoiceKey('sub_1', at('2026-04-15T10:30:00Z'))).toBe(
      'sub:sub_1:period:2026-04-15T10:30:00.000Z',
    );
    expect(renewalInvoiceKey('sub_1', at('2026-05-15T10:30:00Z'))).not.toBe(
      renewalInvoiceKey('sub_1', at('2026-04-15T10:30:00Z')),
    );
  });
});

describe('renewalOf: a period that renews', () => {
  it('renews an active subscription for the next period on the same plan', () => {
    expect(renewalOf(subscription())).toEqual({
      subscriptionId: 'sub_1',
      boundary: at('2026-04-15T10:30:00Z'),
      closedPeriod: { start: at('2026-03-15T10:30:00Z'), end: at('2026-04-15T10:30:00Z') },
      nextPeriod: { start: at('2026-04-15T10:30:00Z'), end: at('2026-05-15T10:30:00Z') },
      status: { from: 'active', to: 'active' },
      plan: currentPlan,
      planChanged: false,
      closedPeriodWasTrial: false,
    });
  });

  it('ends a trial: the subscription becomes active and the trial period is not billed for usage', () => {
    const trialEnd = at('2026-03-29T10:30:00Z');
    const renewal = renewalOf(
      subscription({
        status: 'trialing',
        trialEnd,
        billingAnchor: trialEnd,
        currentPeriodStart: at('2026-03-15T10:30:00Z'),
        currentPeriodEnd: trialEnd,
      }),
    );
    expect(renewal.status).toEqual({ from: 'trialing', to: 'active' });
    expect(renewal.closedPeriodWasTrial).toBe(true);
    expect(renewal.nextPeriod).toEqual({ start: trialEnd, end: at('2026-04-29T10:30:00Z') });
  });

  it("bills the trial's usage when the plan bills trial overage (the check allowed it as billed)", () => {
    const trialEnd = at('2026-03-29T10:30:00Z');
    const trial = {
      status: 'trialing' as const,
      trialEnd,
      billingAnchor: trialEnd,
      currentPeriodEnd: trialEnd,
    };
    expect(renewalOf(subscription({ ...trial, trialOverage: 'bill' })).closedPeriodWasTrial).toBe(false);
    expect(renewalOf(subscription({ ...trial, trialOverage: 'refuse' })).closedPeriodWasTrial).toBe(true);
  });

  it.each<SubscriptionStatus>(['active', 'past_due'])('keeps a %s subscription in its status', (status) => {
    const renewal = renewalOf(subscription({ status }));
    expect(renewal.status).toEqual({ from: status, to: status });
    expect(renewal.closedPeriodWasTrial).toBe(false);
  });

  it('applies a scheduled change at the boundary', () => {
    const renewal = renewalOf(subscription({ scheduledChange: downgrade }));
    expect(renewal.plan).toEqual({
      productId: 'prd_basic',
      priceId: 'price_basic_usd',
      unitAmount: 1900,
      quantity: 1,
    });
    expect(renewal.planChanged).toBe(true);
    expect(renewal.nextPeriod).toEqual({
      start: at('2026-04-15T10:30:00Z'),
      end: at('2026-05-15T10:30:00Z'),
    });
  });

  it('bills yearly and multi-month intervals from the anchor', () => {
    const yearly = renewalOf(
      subscription({ interval: 'year', currentPeriodEnd: at('2027-03-15T10:30:00Z') }),
    );
    expect(yearly.nextPeriod).toEqual({ start: at('2027-03-15T10:30:00Z'), end: at('2028-03-15T10:30:00Z') });
    const quarterly = renewalOf(
      subscription({ intervalCount: 3, currentPeriodEnd: at('2026-06-15T10:30:00Z') }),
    );
    expect(quarterly.nextPeriod).toEqual({
      start: at('2026-06-15T10:30:00Z'),
      end: at('2026-09-15T10:30:00Z'),
    });
  });
});

describe('renewalOf: month-end anchors and leap years', () => {
  /** The next period of a subscription anchored at `anchor` whose current period ends at `boundary`. */
  const nextPeriodOf = (
    anchor: string,
    boundary: string,
    billing: Pick<Subscription, 'interval' | 'intervalCount'> = { interval: 'month', intervalCount: 1 },
  ) =>
    renewalOf(
      subscription({
        ...billing,
        billingAnchor: at(anchor),
        currentPeriodStart: at(anchor),
        currentPeriodEnd: at(boundary),
      }),
    ).nextPeriod;

  it('an anchor on the 31st falls on the last day of February, then returns to the 31st', () => {
    expect(nextPeriodOf('2026-01-31T09:00:00Z', '2026-02-28T09:00:00Z')).toEqual({
      start: at('2026-02-28T09:00:00Z'),
      end: at('2026-03-31T09:00:00Z'),
    });
  });

  it('in a leap year the same anchor falls on February 29', () => {
    expect(nextPeriodOf('2028-01-31T09:00:00Z', '2028-02-29T09:00:00Z')).toEqual({
      start: at('2028-02-29T09:00:00Z'),
      end: at('2028-03-31T09:00:00Z'),
    });
  });

  it('an anchor on the 31st falls on the 30th of 30-day months without drifting', () => {
    expect(nextPeriodOf('2026-01-31T09:00:00Z', '2026-04-30T09:00:00Z')).toEqual({
      start: at('2026-04-30T09:00:00Z'),
      end: at('2026-05-31T09:00:00Z'),
    });
  });

  it('an anchor on the 30th renews on February 28 and then on March 30', () => {
    expect(nextPeriodOf('2026-01-30T09:00:00Z', '2026-02-28T09:00:00Z')).toEqual({
      start: at('2026-02-28T09:00:00Z'),
      end: at('2026-03-30T09:00:00Z'),
    });
  });

  it('a yearly anchor on February 29 renews on February 28 until the next leap year', () => {
    const yearly = { interval: 'year', intervalCount: 1 } as const;
    expect(nextPeriodOf('2028-02-29T00:00:00Z', '2029-02-28T00:00:00Z', yearly)).toEqual({
      start: at('2029-02-28T00:00:00Z'),
      end: at('2030-02-28T00:00:00Z'),
    });
    expect(nextPeriodOf('2028-02-29T00:00:00Z', '2031-02-28T00:00:00Z', yearly)).toEqual({
      start: at('2031-02-28T00:00:00Z'),
      end: at('2032-02-29T00:00:00Z'),
    });
  });

  it('a quarterly anchor on the 31st keeps the anchor day where the month has it', () => {
    expect(
      nextPeriodOf('2026-01-31T09:00:00Z', '2026-04-30T09:00:00Z', { interval: 'month', intervalCount: 3 }),
    ).toEqual({ start: at('2026-04-30T09:00:00Z'), end: at('2026-07-31T09:00:00Z') });
  });

  it('crosses the year end', () => {
    expect(nextPeriodOf('2026-10-31T23:59:59Z', '2026-12-31T23:59:59Z')).toEqual({
      start: at('2026-12-31T23:59:59Z'),
      end: at('2027-01-31T23:59:59Z'),
    });
  });
});

describe('renewalOf: a period that ends the subscription', () => {
  it('cancels at the boundary with no next period, on the current plan', () => {
    const renewal = renewalOf(subscription({ cancelAtPeriodEnd: true }));
    expect(renewal).toEqual({
      subscriptionId: 'sub_1',
      boundary: at('2026-04-15T10:30:00Z'),
      closedPeriod: { start: at('2026-03-15T10:30:00Z'), end: at('2026-04-15T10:30:00Z') },
      nextPeriod: null,
      status: { from: 'active', to: 'canceled' },
      plan: currentPlan,
      planChanged: false,
      closedPeriodWasTrial: false,
    });
  });

  it('a cancellation wins over a scheduled change', () => {
    const renewal = renewalOf(subscription({ cancelAtPeriodEnd: true, scheduledChange: downgrade }));
    expect(renewal.plan).toEqual(currentPlan);
    expect(renewal.planChanged).toBe(false);
    expect(renewal.nextPeriod).toBeNull();
  });

  it('a trial canceled at its end is still a trial period: its usage is not billed', () => {
    const renewal = renewalOf(subscription({ status: 'trialing', cancelAtPeriodEnd: true }));
    expect(renewal.status).toEqual({ from: 'trialing', to: 'canceled' });
    expect(renewal.closedPeriodWasTrial).toBe(true);
  });
});

describe('usagePeriodOf', () => {
  it('asks the usage capability about the current period of the current plan', () => {
    expect(usagePeriodOf(subscription())).toEqual({
      subscriptionId: 'sub_1',
      customerId: 'cust_1',
      productId: 'prd_pro',
      currency: 'USD',
      periodStart: at('2026-03-15T10:30:00Z'),
      periodEnd: at('2026-04-15T10:30:00Z'),
    });
  });
});

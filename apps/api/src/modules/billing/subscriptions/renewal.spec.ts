import type { SubscriptionStatus } from '@astrix/contracts';
import {
  anchorAfterTrial,
  firstPaidPeriod,
  nextAnchorDayAt,
  periodPlanLine,
  pricedSpanOf,
  renewalInvoiceKey,
  renewalOf,
  usagePeriodOf,
} from './renewal';
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
    billingAnchorDay: null,
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

describe('billing anchor day', () => {
  it.each([
    ['2026-05-10T08:00:00Z', 15, '2026-05-15T00:00:00.000Z'],
    ['2026-05-10T08:00:00Z', 1, '2026-06-01T00:00:00.000Z'],
    ['2026-05-15T00:00:00Z', 15, '2026-05-15T00:00:00.000Z'],
    ['2026-05-15T00:00:00.001Z', 15, '2026-06-15T00:00:00.000Z'],
    ['2026-12-20T00:00:00Z', 5, '2027-01-05T00:00:00.000Z'],
    ['2026-01-31T12:00:00Z', 28, '2026-02-28T00:00:00.000Z'],
    ['2028-02-28T12:00:00Z', 28, '2028-03-28T00:00:00.000Z'],
  ])('from %s, day %d is next at %s', (from, day, expected) => {
    expect(nextAnchorDayAt(at(from), day).toISOString()).toBe(expected);
  });

  it.each([0, 29, 31, 1.5, Number.NaN])('refuses anchor day %p', (day) => {
    expect(() => nextAnchorDayAt(at('2026-05-10T08:00:00Z'), day)).toThrow(RangeError);
  });

  it('without an anchor day, billing is anchored on its start and the first period is a full one', () => {
    const start = at('2026-01-31T12:00:00Z');
    expect(firstPaidPeriod(start, 'month', 1, null)).toEqual({
      billingAnchor: start,
      period: { start, end: at('2026-02-28T12:00:00Z') },
    });
  });

  it('with one, the first period is a stub to the anchor day, priced over the month ending there', () => {
    const start = at('2026-05-10T08:00:00Z');
    expect(firstPaidPeriod(start, 'month', 1, 1)).toEqual({
      billingAnchor: at('2026-06-01T00:00:00Z'),
      period: {
        start,
        end: at('2026-06-01T00:00:00Z'),
        pricedOver: { start: at('2026-05-01T00:00:00Z'), end: at('2026-06-01T00:00:00Z') },
      },
    });
    // A yearly plan: the stub is its share of the year ending on the anchor.
    expect(firstPaidPeriod(start, 'year', 1, 1).period.pricedOver).toEqual({
      start: at('2025-06-01T00:00:00Z'),
      end: at('2026-06-01T00:00:00Z'),
    });
  });

  it('starting at midnight on the anchor day needs no stub', () => {
    const start = at('2026-05-15T00:00:00Z');
    expect(firstPaidPeriod(start, 'month', 1, 15)).toEqual({
      billingAnchor: start,
      period: { start, end: at('2026-06-15T00:00:00Z') },
    });
  });

  it('after a trial, billing is anchored on the next anchor day, or on the trial end without one', () => {
    const trialEnd = at('2026-05-17T08:00:00Z');
    expect(anchorAfterTrial(trialEnd, null)).toEqual(trialEnd);
    expect(anchorAfterTrial(trialEnd, 1)).toEqual(at('2026-06-01T00:00:00Z'));
  });

  it('prices a stub by the second as its share of the full interval, and a full period at seats × price', () => {
    const plan = { productId: 'prd_pro', planName: 'Pro', currency: 'USD', unitAmount: 3100 };
    const stub = firstPaidPeriod(at('2026-05-10T08:00:00Z'), 'month', 1, 1).period;
    // 520 of May's 744 hours: 3100 × 520/744 = 2166.67 → 2167; two seats 4333.33 → 4333.
    expect(periodPlanLine({ ...plan, quantity: 1, period: stub })).toMatchObject({
      kind: 'plan',
      amount: 2167,
      periodStart: stub.start,
      periodEnd: stub.end,
    });
    expect(periodPlanLine({ ...plan, quantity: 2, period: stub }).amount).toBe(4333);
    const full = firstPaidPeriod(at('2026-05-15T00:00:00Z'), 'month', 1, 15).period;
    expect(periodPlanLine({ ...plan, quantity: 2, period: full }).amount).toBe(6200);
  });

  it('a trial ending before the anchor day renews into a stub up to it, then into full periods from it', () => {
    const trialEnd = at('2026-05-17T08:00:00Z');
    const anchor = at('2026-06-01T00:00:00Z');
    const trialing = subscription({
      status: 'trialing',
      trialEnd,
      billingAnchor: anchor,
      billingAnchorDay: 1,
      currentPeriodStart: at('2026-05-10T08:00:00Z'),
      currentPeriodEnd: trialEnd,
    });
    expect(renewalOf(trialing).nextPeriod).toEqual({
      start: trialEnd,
      end: anchor,
      pricedOver: { start: at('2026-05-01T00:00:00Z'), end: anchor },
    });
    const stubbed = subscription({
      billingAnchor: anchor,
      billingAnchorDay: 1,
      currentPeriodStart: trialEnd,
      currentPeriodEnd: anchor,
    });
    expect(renewalOf(stubbed).nextPeriod).toEqual({ start: anchor, end: at('2026-07-01T00:00:00Z') });
  });

  it('prices a change inside a stub over the full interval ending on the anchor, other periods over themselves', () => {
    const anchor = at('2026-06-01T00:00:00Z');
    const stub = subscription({
      billingAnchor: anchor,
      billingAnchorDay: 1,
      currentPeriodStart: at('2026-05-10T08:00:00Z'),
      currentPeriodEnd: anchor,
    });
    expect(pricedSpanOf(stub)).toEqual({ start: at('2026-05-01T00:00:00Z'), end: anchor });
    // A trial ending on the anchor, a full anchored period and an unanchored one are their own span.
    expect(pricedSpanOf({ ...stub, status: 'trialing' })).toEqual({
      start: stub.currentPeriodStart,
      end: anchor,
    });
    const full = { ...stub, currentPeriodStart: anchor, currentPeriodEnd: at('2026-07-01T00:00:00Z') };
    expect(pricedSpanOf(full)).toEqual({ start: anchor, end: at('2026-07-01T00:00:00Z') });
    expect(pricedSpanOf(subscription())).toEqual({
      start: at('2026-03-15T10:30:00Z'),
      end: at('2026-04-15T10:30:00Z'),
    });
  });

  it('an anchor day of 28 needs no month-end clamping: February and every other month have it', () => {
    const anchor = at('2026-01-28T00:00:00Z');
    const ends = ['2026-02-28', '2026-03-28', '2026-04-28'].map((day) => at(`${day}T00:00:00Z`));
    let current = subscription({
      billingAnchor: anchor,
      billingAnchorDay: 28,
      currentPeriodStart: anchor,
      currentPeriodEnd: ends[0],
    });
    for (const [index, end] of ends.slice(1).entries()) {
      const next = renewalOf(current).nextPeriod;
      expect(next).toEqual({ start: ends[index], end });
      current = { ...current, currentPeriodStart: ends[index], currentPeriodEnd: end };
    }
  });
});

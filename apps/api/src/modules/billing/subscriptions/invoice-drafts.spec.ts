import type { Coupon } from '@astrix/pricing';
import { type DraftLine, draftInvoice, withCoupon } from './invoice-drafts';

const line = (kind: DraftLine['kind'], amount: number, productId = 'prd_plan'): DraftLine => ({
  kind,
  description: kind,
  productId,
  featureId: null,
  quantity: 1,
  unitAmount: amount,
  amount,
  discount: 0,
  periodStart: null,
  periodEnd: null,
});
const redeemedAt = new Date('2026-01-01T00:00:00Z');
const tenPercentForTwo: Coupon = {
  id: 'TEN',
  kind: 'percent_off',
  percentOff: '10',
  duration: { type: 'repeating', periods: 2 },
  expiresAt: new Date('2026-01-02T00:00:00Z'),
};

describe('withCoupon: a subscription coupon on one period invoice', () => {
  it('discounts plan and usage lines, never credits, and the totals add up', () => {
    const lines = [line('proration_credit', -1000), line('plan', 4900), line('usage', 1234)];
    const discounted = withCoupon('USD', lines, { coupon: tenPercentForTwo, redeemedAt, periodIndex: 1 });
    expect(discounted.map((each) => each.discount)).toEqual([0, 490, 123]);
    const draft = draftInvoice('USD', discounted, 0);
    expect(draft).toMatchObject({ subtotal: 5134, discount: 613, total: 4521, amountDue: 4521 });
  });

  it('judges expiry at redemption, so a coupon that has since expired still runs its duration', () => {
    const discounted = withCoupon('USD', [line('plan', 1000)], {
      coupon: tenPercentForTwo,
      redeemedAt,
      periodIndex: 0,
    });
    expect(discounted[0].discount).toBe(100);
  });

  it('gives nothing once the duration has ended, for another product, or without a coupon', () => {
    const plan = [line('plan', 4900)];
    expect(
      withCoupon('USD', plan, { coupon: tenPercentForTwo, redeemedAt, periodIndex: 2 })[0].discount,
    ).toBe(0);
    const elsewhere: Coupon = { ...tenPercentForTwo, productIds: ['prd_other'] };
    expect(withCoupon('USD', plan, { coupon: elsewhere, redeemedAt, periodIndex: 0 })[0].discount).toBe(0);
    expect(withCoupon('USD', plan, null)).toBe(plan);
  });
});

import type { Coupon as PricingCoupon, CouponDuration as PricingDuration } from '@astrix/pricing';
import type { AmountsByCurrency, Coupon, CouponDuration, CouponKind, CouponStatus } from './coupon.entity';

/** What staff see of a coupon. Not in @astrix/contracts yet: only the admin API returns it. */
export interface CouponView {
  id: string;
  code: string;
  kind: CouponKind;
  percentOff: string | null;
  amountOff: AmountsByCurrency | null;
  maxDiscount: AmountsByCurrency | null;
  minimumOrder: AmountsByCurrency | null;
  duration: CouponDuration;
  durationPeriods: number | null;
  productIds: string[] | null;
  firstPurchaseOnly: boolean;
  expiresAt: string | null;
  maxRedemptions: number | null;
  maxRedemptionsPerCustomer: number | null;
  redemptionCount: number;
  status: CouponStatus;
  createdAt: string;
  updatedAt: string;
}

export function toCouponView(coupon: Coupon): CouponView {
  return {
    id: coupon.id,
    code: coupon.code,
    kind: coupon.kind,
    percentOff: coupon.percentOff,
    amountOff: coupon.amountOff,
    maxDiscount: coupon.maxDiscount,
    minimumOrder: coupon.minimumOrder,
    duration: coupon.duration,
    durationPeriods: coupon.durationPeriods,
    productIds: coupon.productIds,
    firstPurchaseOnly: coupon.firstPurchaseOnly,
    expiresAt: coupon.expiresAt?.toISOString() ?? null,
    maxRedemptions: coupon.maxRedemptions,
    maxRedemptionsPerCustomer: coupon.maxRedemptionsPerCustomer,
    redemptionCount: coupon.redemptionCount,
    status: coupon.status,
    createdAt: coupon.createdAt.toISOString(),
    updatedAt: coupon.updatedAt.toISOString(),
  };
}

type CouponTerms = Pick<
  Coupon,
  | 'code'
  | 'kind'
  | 'percentOff'
  | 'amountOff'
  | 'maxDiscount'
  | 'minimumOrder'
  | 'duration'
  | 'durationPeriods'
  | 'productIds'
  | 'firstPurchaseOnly'
  | 'expiresAt'
  | 'maxRedemptions'
  | 'maxRedemptionsPerCustomer'
>;

function pricingDuration(terms: CouponTerms): PricingDuration {
  switch (terms.duration) {
    case 'once':
      return { type: 'once' };
    case 'forever':
      return { type: 'forever' };
    case 'repeating':
      // assertCoupon refuses a repeating coupon without a positive count of periods.
      return { type: 'repeating', periods: terms.durationPeriods ?? 0 };
  }
}

/**
 * Our coupon in the pricing engine's terms. The code stands in as its id, so the engine's messages
 * read "coupon WELCOME20: expired at …".
 */
export function toPricingCoupon(terms: CouponTerms): PricingCoupon {
  const rules = {
    id: terms.code,
    duration: pricingDuration(terms),
    maxDiscount: terms.maxDiscount ?? undefined,
    minimumOrder: terms.minimumOrder ?? undefined,
    productIds: terms.productIds ?? undefined,
    firstPurchaseOnly: terms.firstPurchaseOnly,
    expiresAt: terms.expiresAt,
    maxRedemptions: terms.maxRedemptions,
    maxRedemptionsPerCustomer: terms.maxRedemptionsPerCustomer,
  };
  return terms.kind === 'percent_off'
    ? { ...rules, kind: 'percent_off', percentOff: terms.percentOff ?? '' }
    : { ...rules, kind: 'amount_off', amountOff: terms.amountOff ?? {} };
}

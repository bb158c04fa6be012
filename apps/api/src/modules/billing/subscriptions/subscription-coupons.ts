import { type EntityManager, In } from 'typeorm';
import { Coupon } from '../coupons/coupon.entity';
import { toPricingCoupon } from '../coupons/coupon-views';
import type { PeriodCoupon } from './invoice-drafts';
import type { Subscription } from './subscription.entity';

type WithCoupon = Pick<Subscription, 'id' | 'couponId' | 'couponPeriodsBilled' | 'createdAt'>;

/**
 * Each subscription's coupon as it stands for its next period invoice, by subscription id; one
 * query for a whole billing-run batch. Coupons are redeemed as the subscription starts, so its
 * creation is the redemption instant.
 */
export async function periodCouponsOf(
  manager: EntityManager,
  subscriptions: readonly WithCoupon[],
): Promise<Map<string, PeriodCoupon>> {
  const couponIds = [...new Set(subscriptions.flatMap((subscription) => subscription.couponId ?? []))];
  const result = new Map<string, PeriodCoupon>();
  if (couponIds.length === 0) return result;
  const coupons = new Map(
    (await manager.find(Coupon, { where: { id: In(couponIds) } })).map((coupon) => [
      coupon.id,
      toPricingCoupon(coupon),
    ]),
  );
  for (const subscription of subscriptions) {
    const coupon = subscription.couponId ? coupons.get(subscription.couponId) : undefined;
    if (coupon === undefined) continue;
    result.set(subscription.id, {
      coupon,
      redeemedAt: subscription.createdAt,
      periodIndex: subscription.couponPeriodsBilled,
    });
  }
  return result;
}

export async function periodCouponOf(
  manager: EntityManager,
  subscription: WithCoupon,
): Promise<PeriodCoupon | null> {
  if (subscription.couponId === null) return null;
  return (await periodCouponsOf(manager, [subscription])).get(subscription.id) ?? null;
}

import type { EntityManager } from 'typeorm';
import { assertCoupon } from '@astrix/pricing';
import type { AuditService } from '../../../platform/audit/audit.service';
import type { RequestContext } from '../../../platform/auth/actor';
import { newId } from '../../../platform/ids';
import { Coupon } from './coupon.entity';
import { CouponView, toCouponView, toPricingCoupon } from './coupon-views';

/** Demo coupons for local development and sandboxes, matched by code when seeding. */
export type DemoCoupon = Pick<Coupon, 'code' | 'kind' | 'duration' | 'firstPurchaseOnly'> &
  Partial<Pick<Coupon, 'percentOff' | 'amountOff' | 'maxRedemptions' | 'maxRedemptionsPerCustomer'>>;

export const DEMO_COUPONS: readonly DemoCoupon[] = [
  {
    code: 'WELCOME20',
    kind: 'percent_off',
    percentOff: '20',
    duration: 'once',
    firstPurchaseOnly: true,
    maxRedemptions: 10_000,
    maxRedemptionsPerCustomer: 1,
  },
];

/**
 * Inserts the demo coupons whose code does not exist yet, in the caller's transaction (the demo catalog
 * seed), with their audit rows. An existing coupon of that code is never changed.
 */
export async function insertMissingDemoCoupons(
  manager: EntityManager,
  audit: AuditService,
  context: RequestContext,
  now: Date,
): Promise<{ created: CouponView[]; unchanged: number }> {
  const report: { created: CouponView[]; unchanged: number } = { created: [], unchanged: 0 };
  for (const demo of DEMO_COUPONS) {
    if (await manager.exists(Coupon, { where: { code: demo.code } })) {
      report.unchanged += 1;
      continue;
    }
    const coupon = manager.create(Coupon, {
      id: newId('cpn'),
      percentOff: null,
      amountOff: null,
      maxDiscount: null,
      minimumOrder: null,
      durationPeriods: null,
      productIds: null,
      expiresAt: null,
      maxRedemptions: null,
      maxRedemptionsPerCustomer: null,
      ...demo,
      redemptionCount: 0,
      status: 'active',
      createdAt: now,
      updatedAt: now,
    });
    assertCoupon(toPricingCoupon(coupon));
    await manager.insert(Coupon, coupon);
    const view = toCouponView(coupon);
    await audit.record(manager, context, {
      action: 'coupon.created',
      resourceType: 'coupon',
      resourceId: coupon.id,
      after: { ...view },
    });
    report.created.push(view);
  }
  return report;
}

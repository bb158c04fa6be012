import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../../../platform/audit/audit.service';
import { AppConfig } from '../../../platform/config/app-config';
import { OutboxService } from '../../../platform/events/outbox.service';
import { AppError } from '../../../platform/http/app-error';
import type { RefundView } from '@astrix/contracts';
import { Coupon } from '../coupons/coupon.entity';
import { CouponRedemption } from '../coupons/coupon-redemption.entity';
import { CouponReservation } from '../coupons/coupon-reservation.entity';
import { RefundsService } from '../refunds/refunds.service';
import { Charge } from './charge.entity';
import { STRIPE_ACTOR } from './charge-views';

/**
 * What happens to a checkout payment whose coupon redemption was refused when the money arrived (the
 * coupon's limits were lowered after the session reserved it). ChargeRecorder has recorded the charge
 * and its receipt but provisioned nothing; the discount is not kept. `COUPON_REFUSED_AT_PAYMENT`
 * (docs/runbooks/coupons.md) says how: `refund_payment`, the only setting today, refunds it in full.
 * Called after the payment's transaction commits, on every delivery of the payment's events, so a
 * retry finishes what a crash left; the refund is once per charge.
 */
@Injectable()
export class CouponRefusals {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly refunds: RefundsService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
  ) {}

  /** The full refund, or null when the charge has nothing left to refund (already refunded or pending). */
  private async refundInFull(charge: Charge, coupon: Coupon, reason: string): Promise<RefundView | null> {
    try {
      return await this.refunds.refundDuplicatePayment(
        charge.id,
        `coupon ${coupon.code} refused at payment (${reason.replaceAll('_', ' ')}): the discounted payment is refunded`,
        STRIPE_ACTOR,
      );
    } catch (error) {
      if (error instanceof AppError && error.code === 'ALREADY_CREDITED') return null;
      throw error;
    }
  }

  /** Settles a refused coupon's discount on this charge; nothing for a charge with its redemption. */
  async settle(charge: Charge): Promise<void> {
    if (!charge.couponId || charge.discountAmount <= 0 || !charge.checkoutSessionId) return;
    const reader = this.dataSource.manager;
    if (await reader.exists(CouponRedemption, { where: { chargeId: charge.id } })) return;
    const reservation = await reader.findOne(CouponReservation, {
      where: { checkoutSessionId: charge.checkoutSessionId },
    });
    const reason: 'customer_limit_reached' | 'redemption_limit_reached' =
      reservation?.releaseReason?.includes('customer_limit_reached')
        ? 'customer_limit_reached'
        : 'redemption_limit_reached';
    const coupon = await reader.findOneOrFail(Coupon, { where: { id: charge.couponId } });
    const outcome = this.config.couponRefusedAtPayment;
    const refund =
      (await this.refundInFull(charge, coupon, reason)) ??
      // Refunded already (by a concurrent delivery, or before a crash): announce it if nobody did.
      (await this.refunds.listForCharge(charge.id)).find(
        (view) => view.status === 'pending' || view.status === 'succeeded',
      );
    if (!refund) return;
    await this.dataSource.transaction(async (manager) => {
      // Once per charge, whichever delivery gets here first.
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`coupon-refused:${charge.id}`]);
      const announced: unknown[] = await manager.query(
        `SELECT 1 FROM platform.audit_log WHERE resource_id = $1 AND action = 'charge.coupon_refused_refunded' LIMIT 1`,
        [charge.id],
      );
      if (announced.length > 0) return;
      const data = {
        chargeId: charge.id,
        checkoutSessionId: charge.checkoutSessionId as string,
        customerId: charge.customerId,
        userId: charge.userId,
        productId: charge.productId,
        couponId: coupon.id,
        couponCode: coupon.code,
        reason,
        outcome,
        refundId: refund.id,
        refundStatus: refund.status,
        amount: charge.amount,
        discountAmount: charge.discountAmount,
        currency: charge.currency,
      };
      await this.audit.record(manager, STRIPE_ACTOR, {
        action: 'charge.coupon_refused_refunded',
        resourceType: 'charge',
        resourceId: charge.id,
        after: { ...data },
      });
      await this.outbox.append(manager, {
        type: 'billing.payment.coupon_refused',
        subject: charge.id,
        data,
        correlationId: charge.checkoutSessionId ?? charge.id,
      });
    });
  }
}

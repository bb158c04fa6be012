import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, MoreThan } from 'typeorm';
import type { CouponRejectionReason, MoneyView, PriceBreakdown } from '@astrix/contracts';
import {
  applyCoupon,
  type CouponApplied,
  type CurrencyCode,
  type DiscountableLine,
  computeInvoiceTotals,
  type Money,
  money,
  parseCurrencyCode,
  priceLine,
} from '@astrix/pricing';
import { AppError, ConflictError, NotFoundError } from '../../../platform/http/app-error';
import { newId } from '../../../platform/ids';
import type { Price } from '../catalog/price.entity';
import type { Product } from '../catalog/product.entity';
import { Customer } from '../customers/customer.entity';
import { Charge } from '../payments/charge.entity';
import { Coupon } from './coupon.entity';
import { CouponRedemption } from './coupon-redemption.entity';
import { CouponReservation } from './coupon-reservation.entity';
import { toPricingCoupon } from './coupon-views';

/** The price of one product, with or without a coupon; or why the coupon does not apply. */
export type Quote =
  | { ok: true; breakdown: PriceBreakdown; coupon: Coupon | null }
  | { ok: false; couponCode: string; reason: CouponRejectionReason; message: string };

export type RedemptionResult =
  { redeemed: true } | { redeemed: false; reason: 'redemption_limit_reached' | 'customer_limit_reached' };

/** Held reservations that count against a coupon's limits now (besides the redemptions). */
interface HeldReservations {
  total: number;
  byUser: number;
  /** The user holds a first-purchase coupon for another open session: this is not a first purchase. */
  firstPurchaseHeldByUser: boolean;
}

const BREAKDOWN_LINE_ID = 'line_1';

export const couponNotApplicable = (message: string, reason: string): AppError =>
  new AppError(422, 'COUPON_NOT_APPLICABLE', message, [{ field: 'couponCode', message: reason }]);

export const normalizeCouponCode = (code: string): string => code.trim().toUpperCase();

const moneyView = (amount: Money): MoneyView => ({ amount: amount.amountMinor, currency: amount.currency });

/**
 * Coupons as customers use them: quotes for checkout and coupon validation, redemption counted
 * atomically under the coupon's row lock when a payment completes or a subscription starts.
 */
@Injectable()
export class CouponRedemptionService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The price breakdown of one unit of `price`, with the coupon applied when a code is given. Limits are
   * checked against the counts now; redeem enforces them again, atomically, when the payment completes.
   * Without a user there is no history: the purchase counts as a first one with no redemptions.
   */
  async quote(input: {
    product: Product;
    price: Price;
    couponCode?: string | null;
    userId: string | null;
    now: Date;
  }): Promise<Quote> {
    const currency = parseCurrencyCode(input.price.currency);
    const flatPrice = { model: 'flat' as const, amount: { [currency]: input.price.unitAmount } };
    const line = {
      id: BREAKDOWN_LINE_ID,
      productId: input.product.id,
      amount: priceLine(flatPrice, 1, currency).amount,
    };
    if (input.couponCode == null || input.couponCode.trim() === '') {
      return {
        ok: true,
        coupon: null,
        breakdown: this.breakdown(input.product.name, line.amount, null, null),
      };
    }
    const code = normalizeCouponCode(input.couponCode);
    const coupon = await this.dataSource.getRepository(Coupon).findOne({ where: { code } });
    const verdict = await this.verdict(this.dataSource.manager, coupon, code, [line], {
      now: input.now,
      currency,
      userId: input.userId,
    });
    if (!verdict.ok) return verdict;
    return this.quoted(input.product.name, line.amount, verdict);
  }

  /**
   * Reserves the coupon for an opening checkout session, inside its transaction: the coupon row is
   * locked, the rules judged again counting redemptions and every live reservation (so concurrent
   * sessions queue and the limits hold across open sessions), and the reservation held until the
   * session expires. Throws 422 when the coupon no longer applies; returns the price as reserved.
   */
  async reserve(
    manager: EntityManager,
    input: {
      product: Product;
      price: Price;
      couponCode: string;
      checkoutSessionId: string;
      customerId: string;
      userId: string;
      now: Date;
      expiresAt: Date;
    },
  ): Promise<Quote & { ok: true }> {
    const currency = parseCurrencyCode(input.price.currency);
    const flatPrice = { model: 'flat' as const, amount: { [currency]: input.price.unitAmount } };
    const line = {
      id: BREAKDOWN_LINE_ID,
      productId: input.product.id,
      amount: priceLine(flatPrice, 1, currency).amount,
    };
    const code = normalizeCouponCode(input.couponCode);
    const coupon = await manager.findOne(Coupon, { where: { code }, lock: { mode: 'pessimistic_write' } });
    const verdict = await this.verdict(manager, coupon, code, [line], {
      now: input.now,
      currency,
      userId: input.userId,
    });
    if (!verdict.ok) throw couponNotApplicable(verdict.message, verdict.reason);
    await manager.insert(CouponReservation, {
      id: newId('crv'),
      couponId: verdict.coupon.id,
      customerId: input.customerId,
      userId: input.userId,
      checkoutSessionId: input.checkoutSessionId,
      discountAmount: verdict.result.discount.amountMinor,
      currency,
      status: 'held',
      heldAt: input.now,
      expiresAt: input.expiresAt,
      settledAt: null,
      releaseReason: null,
    });
    return this.quoted(input.product.name, line.amount, verdict);
  }

  /**
   * The session ended without a payment (expired, could not open): its reservation stops counting.
   * A consumed or already released reservation is left as it is. Returns whether one was released.
   */
  async release(
    manager: EntityManager,
    checkoutSessionId: string,
    reason: string,
    now: Date,
  ): Promise<boolean> {
    const released = await manager.update(
      CouponReservation,
      { checkoutSessionId, status: 'held' },
      { status: 'released', settledAt: now, releaseReason: reason.slice(0, 500) },
    );
    return (released.affected ?? 0) > 0;
  }

  private quoted(
    productName: string,
    amount: Money,
    verdict: { coupon: Coupon; result: CouponApplied<DiscountableLine> },
  ): Quote & { ok: true } {
    return {
      ok: true,
      coupon: verdict.coupon,
      breakdown: this.breakdown(productName, amount, verdict.result.lines[0].discount, verdict.coupon.code),
    };
  }

  /**
   * Redeems a coupon for a subscription as it starts, inside its transaction. The coupon row is
   * locked before anything is counted, so concurrent subscribes with one coupon queue and its limits
   * hold exactly. The rules are judged on the first period's plan line. Throws 422 when it does not apply.
   */
  async redeemForSubscription(
    manager: EntityManager,
    input: {
      couponCode: string;
      customerId: string;
      userId: string;
      subscriptionId: string;
      planLine: { productId: string; amount: Money };
      now: Date;
    },
  ): Promise<Coupon> {
    const code = normalizeCouponCode(input.couponCode);
    const coupon = await manager.findOne(Coupon, { where: { code }, lock: { mode: 'pessimistic_write' } });
    const verdict = await this.verdict(manager, coupon, code, [{ id: 'plan', ...input.planLine }], {
      now: input.now,
      currency: input.planLine.amount.currency,
      userId: input.userId,
    });
    if (!verdict.ok) throw couponNotApplicable(verdict.message, verdict.reason);
    const counted = await this.countUse(manager, verdict.coupon, {
      customerId: input.customerId,
      chargeId: null,
      subscriptionId: input.subscriptionId,
      discount: verdict.result.discount,
      now: input.now,
    });
    if (!counted.redeemed) {
      throw couponNotApplicable(`coupon ${code}: ${counted.reason.replaceAll('_', ' ')}`, counted.reason);
    }
    return verdict.coupon;
  }

  /** The coupon behind a code judged on these lines by @astrix/pricing, or why it does not apply. */
  private async verdict<L extends DiscountableLine>(
    manager: EntityManager,
    coupon: Coupon | null,
    code: string,
    lines: L[],
    facts: { now: Date; currency: CurrencyCode; userId: string | null },
  ): Promise<
    | { ok: true; coupon: Coupon; result: CouponApplied<L> }
    | { ok: false; couponCode: string; reason: CouponRejectionReason; message: string }
  > {
    if (!coupon)
      return { ok: false, couponCode: code, reason: 'not_found', message: `coupon ${code} does not exist` };
    if (coupon.status === 'archived') {
      return {
        ok: false,
        couponCode: code,
        reason: 'archived',
        message: `coupon ${code} is no longer available`,
      };
    }
    const held = await this.held(manager, coupon, facts.userId, facts.now);
    const result = applyCoupon(toPricingCoupon(coupon), lines, {
      now: facts.now,
      currency: facts.currency,
      redemptionsSoFar: coupon.redemptionCount + held.total,
      customerRedemptions:
        (facts.userId ? await this.redemptionsByUser(manager, coupon.id, facts.userId) : 0) + held.byUser,
      isFirstPurchase: facts.userId
        ? !held.firstPurchaseHeldByUser && !(await this.hasPurchased(manager, facts.userId))
        : true,
      periodIndex: 0,
    });
    if (!result.applies)
      return { ok: false, couponCode: code, reason: result.reason, message: result.message };
    return { ok: true, coupon, result };
  }

  /**
   * Counts one use of a coupon by a completed charge, inside the caller's transaction. The coupon row
   * is locked first, so concurrent redemptions queue and neither limit can be exceeded; the conditional
   * increment and the table's CHECK guard the global limit again. Redeeming the same charge twice counts
   * once. Expiry and archiving are not rechecked: the customer has already paid the discounted price.
   * The session's held reservation is consumed (it already counted against the limits); without one
   * (released, or never made) the other sessions' live reservations count against the limits too.
   * Limits lowered by staff since the reservation can still refuse it: the caller decides what then.
   */
  async redeem(
    manager: EntityManager,
    input: {
      couponId: string;
      customerId: string;
      chargeId: string;
      discountAmount: number;
      currency: string;
      now: Date;
      /** The checkout session whose reservation this redemption consumes. */
      checkoutSessionId?: string | null;
    },
  ): Promise<RedemptionResult> {
    const discount = money(input.discountAmount, parseCurrencyCode(input.currency));
    const coupon = await manager.findOne(Coupon, {
      where: { id: input.couponId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!coupon) throw new NotFoundError('coupon', input.couponId);

    // Under the lock, an earlier redemption of this charge through this coupon is committed and visible.
    const previous = await manager.findOne(CouponRedemption, { where: { chargeId: input.chargeId } });
    if (previous) {
      if (previous.couponId !== coupon.id) {
        throw new ConflictError(`charge ${input.chargeId} already redeemed coupon ${previous.couponId}`);
      }
      return { redeemed: true };
    }

    const reservation = input.checkoutSessionId
      ? await manager.findOne(CouponReservation, {
          where: { checkoutSessionId: input.checkoutSessionId, couponId: coupon.id, status: 'held' },
        })
      : null;
    const others = reservation
      ? { total: 0, byCustomer: 0 }
      : await this.heldByOthers(manager, coupon.id, input.customerId, input.now);
    const counted = await this.countUse(
      manager,
      coupon,
      {
        customerId: input.customerId,
        chargeId: input.chargeId,
        subscriptionId: null,
        discount,
        now: input.now,
      },
      others,
    );
    if (reservation) {
      await manager.update(
        CouponReservation,
        { id: reservation.id },
        counted.redeemed
          ? { status: 'consumed', settledAt: input.now }
          : {
              status: 'released',
              settledAt: input.now,
              releaseReason: `refused at payment: ${counted.reason}`,
            },
      );
    }
    return counted;
  }

  /** Live held reservations of other customers' sessions, and of this customer's, for redeem without one. */
  private async heldByOthers(
    manager: EntityManager,
    couponId: string,
    customerId: string,
    now: Date,
  ): Promise<{ total: number; byCustomer: number }> {
    const live = { couponId, status: 'held' as const, expiresAt: MoreThan(now) };
    return {
      total: await manager.count(CouponReservation, { where: live }),
      byCustomer: await manager.count(CouponReservation, { where: { ...live, customerId } }),
    };
  }

  /** Reservations held now (unexpired) of this coupon, of the user's, and the user's first-purchase ones. */
  private async held(
    manager: EntityManager,
    coupon: Coupon,
    userId: string | null,
    now: Date,
  ): Promise<HeldReservations> {
    const live = { status: 'held' as const, expiresAt: MoreThan(now) };
    const total = await manager.count(CouponReservation, { where: { ...live, couponId: coupon.id } });
    if (!userId) return { total, byUser: 0, firstPurchaseHeldByUser: false };
    const byUser = await manager.count(CouponReservation, {
      where: { ...live, couponId: coupon.id, userId },
    });
    const firstPurchaseHeldByUser = coupon.firstPurchaseOnly
      ? await manager
          .getRepository(CouponReservation)
          .createQueryBuilder('reservation')
          .innerJoin(Coupon, 'coupon', 'coupon.id = reservation.couponId')
          .where('reservation.userId = :userId AND reservation.status = :status', { userId, status: 'held' })
          .andWhere('reservation.expiresAt > :now AND coupon.firstPurchaseOnly = true', { now })
          .getExists()
      : false;
    return { total, byUser, firstPurchaseHeldByUser };
  }

  /** Counts one use under the coupon's row lock (held by the caller): both limits, then the redemption. */
  private async countUse(
    manager: EntityManager,
    coupon: Coupon,
    use: {
      customerId: string;
      chargeId: string | null;
      subscriptionId: string | null;
      discount: Money;
      now: Date;
    },
    heldByOthers: { total: number; byCustomer: number } = { total: 0, byCustomer: 0 },
  ): Promise<RedemptionResult> {
    if (coupon.maxRedemptionsPerCustomer !== null) {
      const byCustomer = await manager.count(CouponRedemption, {
        where: { couponId: coupon.id, customerId: use.customerId },
      });
      if (byCustomer + heldByOthers.byCustomer >= coupon.maxRedemptionsPerCustomer)
        return { redeemed: false, reason: 'customer_limit_reached' };
    }
    if (
      coupon.maxRedemptions !== null &&
      coupon.redemptionCount + heldByOthers.total >= coupon.maxRedemptions
    ) {
      return { redeemed: false, reason: 'redemption_limit_reached' };
    }

    // The lock already serialises redemptions; the condition (and the table's CHECK) hold the limit anyway.
    const counted = await manager
      .createQueryBuilder()
      .update(Coupon)
      .set({ redemptionCount: () => 'redemption_count + 1', updatedAt: use.now })
      .where('id = :id AND (max_redemptions IS NULL OR redemption_count < max_redemptions)', {
        id: coupon.id,
      })
      .execute();
    if (counted.affected !== 1) return { redeemed: false, reason: 'redemption_limit_reached' };

    await manager.insert(CouponRedemption, {
      id: newId('red'),
      couponId: coupon.id,
      customerId: use.customerId,
      chargeId: use.chargeId,
      subscriptionId: use.subscriptionId,
      discountAmount: use.discount.amountMinor,
      currency: use.discount.currency,
      redeemedAt: use.now,
    });
    return { redeemed: true };
  }

  private breakdown(
    description: string,
    amount: Money,
    discount: Money | null,
    couponCode: string | null,
  ): PriceBreakdown {
    const totals = computeInvoiceTotals(
      [{ id: BREAKDOWN_LINE_ID, amount, discount: discount ?? undefined }],
      {
        currency: amount.currency,
      },
    );
    const [line] = totals.lines;
    return {
      subtotal: moneyView(totals.subtotal),
      discount: moneyView(totals.discount),
      tax: moneyView(totals.tax),
      total: moneyView(totals.total),
      couponCode,
      lines: [{ description, amount: moneyView(line.amount), discount: moneyView(line.discount) }],
    };
  }

  /** Redemptions of this coupon by the customer behind this user (none when they are not a customer yet). */
  private redemptionsByUser(manager: EntityManager, couponId: string, userId: string): Promise<number> {
    return manager
      .getRepository(CouponRedemption)
      .createQueryBuilder('redemption')
      .innerJoin(Customer, 'customer', 'customer.id = redemption.customerId')
      .where('redemption.couponId = :couponId AND customer.userId = :userId', { couponId, userId })
      .getCount();
  }

  private hasPurchased(manager: EntityManager, userId: string): Promise<boolean> {
    return manager.getRepository(Charge).exists({ where: { userId } });
  }
}

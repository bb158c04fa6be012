import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, LessThan, QueryFailedError } from 'typeorm';
import type { CouponRejectionReason, ErrorDetail, MoneyView, Page, PriceBreakdown } from '@astrix/contracts';
import {
  applyCoupon,
  assertCoupon,
  type CouponApplied,
  type CurrencyCode,
  type DiscountableLine,
  computeInvoiceTotals,
  type Money,
  money,
  parseCurrencyCode,
  priceLine,
  PricingError,
} from '@astrix/pricing';
import { AuditService } from '../../../platform/audit/audit.service';
import type { RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { AppError, ConflictError, NotFoundError } from '../../../platform/http/app-error';
import { toPage } from '../../../platform/http/pagination';
import { newId } from '../../../platform/ids';
import { CatalogService } from '../catalog/catalog.service';
import type { Price } from '../catalog/price.entity';
import type { Product } from '../catalog/product.entity';
import { Customer } from '../customers/customer.entity';
import { Charge } from '../payments/charge.entity';
import { AmountsByCurrency, Coupon, CouponDuration, CouponKind, CouponStatus } from './coupon.entity';
import { CouponRedemption } from './coupon-redemption.entity';
import { CouponView, toCouponView, toPricingCoupon } from './coupon-views';

/** The price of one product, with or without a coupon; or why the coupon does not apply. */
export type Quote =
  | { ok: true; breakdown: PriceBreakdown; coupon: Coupon | null }
  | { ok: false; couponCode: string; reason: CouponRejectionReason; message: string };

export type RedemptionResult =
  { redeemed: true } | { redeemed: false; reason: 'redemption_limit_reached' | 'customer_limit_reached' };

export interface CouponInput {
  code: string;
  kind: CouponKind;
  percentOff?: string | null;
  amountOff?: AmountsByCurrency | null;
  maxDiscount?: AmountsByCurrency | null;
  minimumOrder?: AmountsByCurrency | null;
  duration?: CouponDuration;
  durationPeriods?: number | null;
  productIds?: string[] | null;
  firstPurchaseOnly?: boolean;
  /** ISO 8601 or a Date; must be in the future. */
  expiresAt?: string | Date | null;
  maxRedemptions?: number | null;
  maxRedemptionsPerCustomer?: number | null;
}

/** Undefined leaves a field as it is; null clears a limit or the expiry. */
export interface CouponChanges {
  maxRedemptions?: number | null;
  maxRedemptionsPerCustomer?: number | null;
  expiresAt?: string | Date | null;
  status?: CouponStatus;
}

const BREAKDOWN_LINE_ID = 'line_1';

export const couponNotApplicable = (message: string, reason: string): AppError =>
  new AppError(422, 'COUPON_NOT_APPLICABLE', message, [{ field: 'couponCode', message: reason }]);

export const normalizeCouponCode = (code: string): string => code.trim().toUpperCase();

const moneyView = (amount: Money): MoneyView => ({ amount: amount.amountMinor, currency: amount.currency });

function validationError(details: ErrorDetail[]): AppError {
  return new AppError(400, 'VALIDATION_ERROR', details.map((detail) => detail.message).join('; '), details);
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; constraint?: string };
  return driverError.code === '23505' && driverError.constraint === constraint;
}

/** Rules across fields of a new coupon, which the DTO cannot express alone. */
function couponTermViolations(input: CouponInput): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const problem = (field: string, message: string) => details.push({ field, message: `${field} ${message}` });
  if (input.kind === 'percent_off') {
    if (input.percentOff == null) problem('percentOff', 'is required for a percent_off coupon');
    if (input.amountOff != null) problem('amountOff', 'is only for amount_off coupons');
  } else {
    if (input.amountOff == null) problem('amountOff', 'is required for an amount_off coupon');
    if (input.percentOff != null) problem('percentOff', 'is only for percent_off coupons');
    if (input.maxDiscount != null)
      problem('maxDiscount', 'is only for percent_off coupons (amountOff is the discount)');
  }
  if ((input.duration ?? 'once') === 'repeating') {
    if (input.durationPeriods == null) problem('durationPeriods', 'is required for a repeating coupon');
  } else if (input.durationPeriods != null) {
    problem('durationPeriods', 'is only for repeating coupons');
  }
  if (
    input.maxRedemptions != null &&
    input.maxRedemptionsPerCustomer != null &&
    input.maxRedemptionsPerCustomer > input.maxRedemptions
  ) {
    problem('maxRedemptionsPerCustomer', `must not exceed maxRedemptions (${input.maxRedemptions})`);
  }
  return details;
}

/** Coupons: quotes for checkout, atomic redemption for payment completion, staff administration. */
@Injectable()
export class CouponsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: CatalogService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

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
    return {
      ok: true,
      coupon: verdict.coupon,
      breakdown: this.breakdown(
        input.product.name,
        line.amount,
        verdict.result.lines[0].discount,
        verdict.coupon.code,
      ),
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
    const result = applyCoupon(toPricingCoupon(coupon), lines, {
      now: facts.now,
      currency: facts.currency,
      redemptionsSoFar: coupon.redemptionCount,
      customerRedemptions: facts.userId ? await this.redemptionsByUser(manager, coupon.id, facts.userId) : 0,
      isFirstPurchase: facts.userId ? !(await this.hasPurchased(manager, facts.userId)) : true,
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

    return this.countUse(manager, coupon, {
      customerId: input.customerId,
      chargeId: input.chargeId,
      subscriptionId: null,
      discount,
      now: input.now,
    });
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
  ): Promise<RedemptionResult> {
    if (coupon.maxRedemptionsPerCustomer !== null) {
      const byCustomer = await manager.count(CouponRedemption, {
        where: { couponId: coupon.id, customerId: use.customerId },
      });
      if (byCustomer >= coupon.maxRedemptionsPerCustomer)
        return { redeemed: false, reason: 'customer_limit_reached' };
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

  async createCoupon(input: CouponInput, context: RequestContext): Promise<CouponView> {
    const now = this.clock.now();
    const details = couponTermViolations(input);
    const expiresAt = this.futureExpiry(input.expiresAt, now, details);
    const unknownProducts = await this.catalog.unknownProductIds(input.productIds ?? []);
    if (unknownProducts.length > 0) {
      details.push({
        field: 'productIds',
        message: `productIds names unknown products: ${unknownProducts.join(', ')}`,
      });
    }
    if (details.length > 0) throw validationError(details);

    const code = normalizeCouponCode(input.code);
    const coupon = this.dataSource.manager.create(Coupon, {
      id: newId('cpn'),
      code,
      kind: input.kind,
      percentOff: input.kind === 'percent_off' ? (input.percentOff ?? null) : null,
      amountOff: input.kind === 'amount_off' ? (input.amountOff ?? null) : null,
      maxDiscount: input.maxDiscount ?? null,
      minimumOrder: input.minimumOrder ?? null,
      duration: input.duration ?? 'once',
      durationPeriods: input.durationPeriods ?? null,
      productIds: input.productIds ?? null,
      firstPurchaseOnly: input.firstPurchaseOnly ?? false,
      expiresAt,
      maxRedemptions: input.maxRedemptions ?? null,
      maxRedemptionsPerCustomer: input.maxRedemptionsPerCustomer ?? null,
      redemptionCount: 0,
      status: 'active',
      createdAt: now,
      updatedAt: now,
    });
    this.assertPriceable(coupon);
    try {
      return await this.dataSource.transaction(async (manager) => {
        await manager.insert(Coupon, coupon);
        const view = toCouponView(coupon);
        await this.audit.record(manager, context, {
          action: 'coupon.created',
          resourceType: 'coupon',
          resourceId: coupon.id,
          after: { ...view },
        });
        return view;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'uq_coupons_code'))
        throw new ConflictError(`coupon code ${code} already exists`);
      throw error;
    }
  }

  async listCoupons(page: { limit: number; cursor?: string }): Promise<Page<CouponView>> {
    const rows = await this.dataSource.getRepository(Coupon).find({
      where: page.cursor ? { id: LessThan(page.cursor) } : {},
      order: { id: 'DESC' },
      take: page.limit + 1,
    });
    return toPage(rows, page.limit, toCouponView);
  }

  async getCoupon(id: string): Promise<CouponView> {
    const coupon = await this.dataSource.getRepository(Coupon).findOne({ where: { id } });
    if (!coupon) throw new NotFoundError('coupon', id);
    return toCouponView(coupon);
  }

  async updateCoupon(id: string, changes: CouponChanges, context: RequestContext): Promise<CouponView> {
    const fields = Object.entries(changes).filter(([, value]) => value !== undefined);
    if (fields.length === 0) {
      throw validationError([
        {
          field: 'body',
          message: 'nothing to change: give maxRedemptions, maxRedemptionsPerCustomer, expiresAt or status',
        },
      ]);
    }
    return this.dataSource.transaction(async (manager) => {
      const coupon = await manager.findOne(Coupon, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!coupon) throw new NotFoundError('coupon', id);
      const before = toCouponView(coupon);
      const now = this.clock.now();
      const details: ErrorDetail[] = [];
      if (changes.expiresAt !== undefined)
        coupon.expiresAt = this.futureExpiry(changes.expiresAt, now, details);
      if (changes.maxRedemptions !== undefined) coupon.maxRedemptions = changes.maxRedemptions;
      if (changes.maxRedemptionsPerCustomer !== undefined) {
        coupon.maxRedemptionsPerCustomer = changes.maxRedemptionsPerCustomer;
      }
      if (changes.status !== undefined) coupon.status = changes.status;
      if (details.length > 0) throw validationError(details);
      if (coupon.maxRedemptions !== null && coupon.maxRedemptions < coupon.redemptionCount) {
        throw new AppError(
          422,
          'UNPROCESSABLE',
          `maxRedemptions ${coupon.maxRedemptions} is below the ${coupon.redemptionCount} redemptions already made`,
          [{ field: 'maxRedemptions', message: `must be at least ${coupon.redemptionCount}` }],
        );
      }
      coupon.updatedAt = now;
      await manager.update(
        Coupon,
        { id },
        {
          expiresAt: coupon.expiresAt,
          maxRedemptions: coupon.maxRedemptions,
          maxRedemptionsPerCustomer: coupon.maxRedemptionsPerCustomer,
          status: coupon.status,
          updatedAt: now,
        },
      );
      const after = toCouponView(coupon);
      await this.audit.record(manager, context, {
        action: 'coupon.updated',
        resourceType: 'coupon',
        resourceId: id,
        before: { ...before },
        after: { ...after },
      });
      return after;
    });
  }

  /** An archived coupon is refused at checkout; redemptions already quoted still complete. */
  async archiveCoupon(id: string, context: RequestContext): Promise<CouponView> {
    return this.dataSource.transaction(async (manager) => {
      const coupon = await manager.findOne(Coupon, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!coupon) throw new NotFoundError('coupon', id);
      if (coupon.status === 'archived') throw new ConflictError(`coupon ${coupon.code} is already archived`);
      const before = toCouponView(coupon);
      coupon.status = 'archived';
      coupon.updatedAt = this.clock.now();
      await manager.update(Coupon, { id }, { status: coupon.status, updatedAt: coupon.updatedAt });
      const after = toCouponView(coupon);
      await this.audit.record(manager, context, {
        action: 'coupon.archived',
        resourceType: 'coupon',
        resourceId: id,
        before: { ...before },
        after: { ...after },
      });
      return after;
    });
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

  /** A future expiry as a Date; records a problem (and returns null) for a past or malformed one. */
  private futureExpiry(
    value: string | Date | null | undefined,
    now: Date,
    details: ErrorDetail[],
  ): Date | null {
    if (value == null) return null;
    const expiresAt = value instanceof Date ? value : new Date(value);
    if (Number.isNaN(expiresAt.getTime())) {
      details.push({ field: 'expiresAt', message: 'expiresAt must be an ISO 8601 date-time' });
      return null;
    }
    if (expiresAt.getTime() <= now.getTime()) {
      details.push({
        field: 'expiresAt',
        message: `expiresAt must be in the future, got ${expiresAt.toISOString()}`,
      });
      return null;
    }
    return expiresAt;
  }

  /** The pricing engine is the judge of a well-formed coupon: anything it would refuse later is a 400 now. */
  private assertPriceable(coupon: Coupon): void {
    try {
      assertCoupon(toPricingCoupon(coupon));
    } catch (error) {
      if (error instanceof PricingError) throw validationError([{ field: 'coupon', message: error.message }]);
      throw error;
    }
  }
}

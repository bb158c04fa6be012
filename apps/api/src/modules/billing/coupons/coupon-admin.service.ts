import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan, QueryFailedError } from 'typeorm';
import type { ErrorDetail, Page } from '@astrix/contracts';
import { assertCoupon, PricingError } from '@astrix/pricing';
import { AuditService } from '../../../platform/audit/audit.service';
import type { RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { AppError, ConflictError, NotFoundError } from '../../../platform/http/app-error';
import { toPage } from '../../../platform/http/pagination';
import { newId } from '../../../platform/ids';
import { CatalogService } from '../catalog/catalog.service';
import { AmountsByCurrency, Coupon, CouponDuration, CouponKind, CouponStatus } from './coupon.entity';
import { normalizeCouponCode } from './coupon-redemption.service';
import { CouponView, toCouponView, toPricingCoupon } from './coupon-views';

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

/** Coupons as staff manage them: create, list, change limits and expiry, archive; every change audited. */
@Injectable()
export class CouponAdminService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: CatalogService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

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

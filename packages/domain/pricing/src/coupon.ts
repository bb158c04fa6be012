import { allocateUnits } from './allocate';
import { type CurrencyCode, getCurrency } from './currency';
import { type CurrencyAmounts, amountIn } from './currency-amounts';
import { type Percentage, percentageToFraction } from './decimal';
import { CurrencyMismatchError, InvalidAmountError, InvalidCouponError } from './errors';
import { assertQuantity, checkedAdd, describe } from './integers';
import { type Money, assertMoney, minorUnitsToDecimal, unsafeMoney } from './money';
import { assertDate } from './dates';
import { DEFAULT_ROUNDING, type RoundingMode, assertRoundingMode, multiplyDivideBig } from './rounding';

/** How many billing periods a coupon discounts: the first only, the first N, or all of them. */
export type CouponDuration =
  | { readonly type: 'once' }
  | { readonly type: 'repeating'; readonly periods: number }
  | { readonly type: 'forever' };

interface CouponRules {
  readonly id: string;
  readonly duration: CouponDuration;
  /** Largest discount one application may give, per currency. */
  readonly maxDiscount?: CurrencyAmounts;
  /** When set, only lines of these products are discounted. */
  readonly productIds?: readonly string[];
  /** Order subtotal (after earlier discounts) needed for the coupon to apply, per currency. */
  readonly minimumOrder?: CurrencyAmounts;
  readonly firstPurchaseOnly?: boolean;
  /** The first instant at which the coupon can no longer be redeemed. */
  readonly expiresAt?: Date | null;
  /** Redemptions allowed across all customers. */
  readonly maxRedemptions?: number | null;
  readonly maxRedemptionsPerCustomer?: number | null;
  /** Rounding of a percentage discount; half-even by default. */
  readonly rounding?: RoundingMode;
}

export interface PercentOffCoupon extends CouponRules {
  readonly kind: 'percent_off';
  /** "20" is 20 % off; more than 0, at most 100. */
  readonly percentOff: Percentage;
}

export interface AmountOffCoupon extends CouponRules {
  readonly kind: 'amount_off';
  /** Amount taken off the order, per currency. */
  readonly amountOff: CurrencyAmounts;
}

export type Coupon = PercentOffCoupon | AmountOffCoupon;

/** Facts about the order the coupon is tried on; counts come from the caller's store. */
export interface CouponContext {
  readonly now: Date;
  readonly currency: CurrencyCode;
  /** Redemptions of this coupon so far, by everyone. */
  readonly redemptionsSoFar: number;
  /** Redemptions of this coupon so far by this customer. */
  readonly customerRedemptions: number;
  readonly isFirstPurchase: boolean;
  /**
   * Billing period counted from the redemption: 0 (the default) is the redemption itself, 1 the first
   * renewal, and so on. Redemption-time rules (expiry, limits, first purchase) are checked at 0 only.
   */
  readonly periodIndex?: number;
}

export interface DiscountableLine {
  readonly id: string;
  readonly productId?: string | null;
  readonly amount: Money;
  /** Discount already given by earlier coupons; a further coupon discounts what is left. */
  readonly discount?: Money;
}

export type DiscountedLine<L extends DiscountableLine> = L & {
  readonly discount: Money;
  readonly amountAfterDiscount: Money;
};

export type CouponRejectionReason =
  | 'expired'
  | 'not_for_product'
  | 'below_minimum'
  | 'wrong_currency'
  | 'redemption_limit_reached'
  | 'customer_limit_reached'
  | 'first_purchase_only'
  | 'duration_ended';

export interface CouponApplied<L extends DiscountableLine> {
  readonly applies: true;
  readonly couponId: string;
  readonly lines: DiscountedLine<L>[];
  /** Discount this coupon gave, over all lines. */
  readonly discount: Money;
  /** Periods the coupon still discounts after this one; null when it lasts forever. */
  readonly remainingPeriods: number | null;
}

export interface CouponRejected<L extends DiscountableLine> {
  readonly applies: false;
  readonly couponId: string;
  readonly reason: CouponRejectionReason;
  readonly message: string;
  /** The lines unchanged (with their earlier discount, or zero). */
  readonly lines: DiscountedLine<L>[];
}

export type CouponResult<L extends DiscountableLine> = CouponApplied<L> | CouponRejected<L>;

/**
 * Applies a coupon to an order's lines. Returns the discounted lines, or why the coupon does not apply.
 * The discount is computed on the eligible lines' total, capped, and spread over those lines in
 * proportion to their amounts with allocate, so no line goes below zero and no cent is lost.
 * Throws on malformed coupons, contexts or lines (a coupon that merely does not apply is not an error).
 */
export function applyCoupon<L extends DiscountableLine>(
  coupon: Coupon,
  lines: readonly L[],
  context: CouponContext,
): CouponResult<L> {
  assertCoupon(coupon);
  const { currency, periodIndex } = checkedContext(context);
  const remaining = lines.map((line) => remainingAmount(line, currency));
  const rejection = rejectionOf(coupon, context, periodIndex, lines, remaining);
  if (rejection !== null) {
    return {
      applies: false,
      couponId: coupon.id,
      reason: rejection.reason,
      message: `coupon ${coupon.id}: ${rejection.message}`,
      lines: discountLines(lines, remaining, null, currency),
    };
  }
  const eligible = lines.map((line, index) => isForProduct(coupon, line) && remaining[index] > 0);
  const eligibleSubtotal = remaining.reduce(
    (total, amount, index) => (eligible[index] ? checkedAdd(total, amount, 'eligible subtotal') : total),
    0,
  );
  const discount = discountFor(coupon, eligibleSubtotal, currency);
  const weights = remaining.map((amount, index) => (eligible[index] ? BigInt(amount) : 0n));
  const shares = discount === 0 ? null : allocateUnits(BigInt(discount), weights).map(Number);
  return {
    applies: true,
    couponId: coupon.id,
    lines: discountLines(lines, remaining, shares, currency),
    discount: unsafeMoney(discount, currency),
    remainingPeriods: remainingPeriods(coupon.duration, periodIndex),
  };
}

function discountFor(coupon: Coupon, eligibleSubtotal: number, currency: CurrencyCode): number {
  let discount: number;
  if (coupon.kind === 'percent_off') {
    const { numerator, denominator } = percentageToFraction(coupon.percentOff, 'percentOff');
    const rounding = coupon.rounding ?? DEFAULT_ROUNDING;
    discount = multiplyDivideBig(eligibleSubtotal, numerator, denominator, rounding, 'percent-off discount');
  } else {
    discount = amountIn(coupon.amountOff, currency, `coupon ${coupon.id} amountOff`);
  }
  if (coupon.maxDiscount !== undefined) {
    discount = Math.min(discount, amountIn(coupon.maxDiscount, currency, `coupon ${coupon.id} maxDiscount`));
  }
  return Math.min(discount, eligibleSubtotal);
}

interface Rejection {
  readonly reason: CouponRejectionReason;
  readonly message: string;
}

function rejectionOf(
  coupon: Coupon,
  context: CouponContext,
  periodIndex: number,
  lines: readonly DiscountableLine[],
  remaining: readonly number[],
): Rejection | null {
  const { currency } = context;
  const ended = durationEnded(coupon.duration, periodIndex);
  if (ended !== null) return { reason: 'duration_ended', message: ended };
  if (periodIndex === 0) {
    const redemption = redemptionRejection(coupon, context);
    if (redemption !== null) return redemption;
  }
  const missingCurrency = currencyMapsWithout(coupon, currency);
  if (missingCurrency !== null) {
    return { reason: 'wrong_currency', message: `${missingCurrency} is not defined in ${currency}` };
  }
  if (coupon.productIds !== undefined && !lines.some((line) => isForProduct(coupon, line))) {
    return { reason: 'not_for_product', message: `applies only to products ${coupon.productIds.join(', ')}` };
  }
  if (coupon.minimumOrder !== undefined) {
    const minimum = amountIn(coupon.minimumOrder, currency, `coupon ${coupon.id} minimumOrder`);
    const subtotal = remaining.reduce((total, amount) => checkedAdd(total, amount, 'order subtotal'), 0);
    if (subtotal < minimum) {
      const exponent = getCurrency(currency).exponent;
      return {
        reason: 'below_minimum',
        message: `needs an order of at least ${minorUnitsToDecimal(minimum, exponent)} ${currency}, got ${minorUnitsToDecimal(subtotal, exponent)} ${currency}`,
      };
    }
  }
  return null;
}

function redemptionRejection(coupon: Coupon, context: CouponContext): Rejection | null {
  if (coupon.expiresAt != null && context.now.getTime() >= coupon.expiresAt.getTime()) {
    return { reason: 'expired', message: `expired at ${coupon.expiresAt.toISOString()}` };
  }
  if (coupon.maxRedemptions != null && context.redemptionsSoFar >= coupon.maxRedemptions) {
    return {
      reason: 'redemption_limit_reached',
      message: `all ${coupon.maxRedemptions} redemptions have been used`,
    };
  }
  if (
    coupon.maxRedemptionsPerCustomer != null &&
    context.customerRedemptions >= coupon.maxRedemptionsPerCustomer
  ) {
    return {
      reason: 'customer_limit_reached',
      message: `this customer has already redeemed it ${context.customerRedemptions} time(s) (limit ${coupon.maxRedemptionsPerCustomer})`,
    };
  }
  if (coupon.firstPurchaseOnly === true && !context.isFirstPurchase) {
    return { reason: 'first_purchase_only', message: 'is valid on a first purchase only' };
  }
  return null;
}

function durationEnded(duration: CouponDuration, periodIndex: number): string | null {
  switch (duration.type) {
    case 'once':
      return periodIndex >= 1 ? `applied once and period ${periodIndex} is after it` : null;
    case 'repeating':
      return periodIndex >= duration.periods
        ? `lasted ${duration.periods} period(s) and period ${periodIndex} is after them`
        : null;
    case 'forever':
      return null;
  }
}

function remainingPeriods(duration: CouponDuration, periodIndex: number): number | null {
  switch (duration.type) {
    case 'once':
      return 0;
    case 'repeating':
      return duration.periods - periodIndex - 1;
    case 'forever':
      return null;
  }
}

/** The name of the first per-currency map of the coupon that lacks `currency`, if any. */
function currencyMapsWithout(coupon: Coupon, currency: CurrencyCode): string | null {
  if (coupon.kind === 'amount_off' && coupon.amountOff[currency] === undefined) return 'the amount off';
  if (coupon.maxDiscount !== undefined && coupon.maxDiscount[currency] === undefined)
    return 'the maximum discount';
  if (coupon.minimumOrder !== undefined && coupon.minimumOrder[currency] === undefined)
    return 'the minimum order';
  return null;
}

function isForProduct(coupon: Coupon, line: DiscountableLine): boolean {
  return (
    coupon.productIds === undefined || (line.productId != null && coupon.productIds.includes(line.productId))
  );
}

/** A line's amount left after earlier discounts, checked against the order currency. */
function remainingAmount(line: DiscountableLine, currency: CurrencyCode): number {
  if (typeof line !== 'object' || line === null)
    throw new InvalidAmountError(`line ${describe(line)} is not an object`);
  assertMoney(line.amount, `line ${line.id} amount`);
  if (line.amount.currency !== currency)
    throw new CurrencyMismatchError(currency, line.amount.currency, `line ${line.id}`);
  if (line.discount === undefined) return line.amount.amountMinor;
  assertMoney(line.discount, `line ${line.id} discount`);
  if (line.discount.currency !== currency) {
    throw new CurrencyMismatchError(currency, line.discount.currency, `line ${line.id} discount`);
  }
  const prior = line.discount.amountMinor;
  if (prior < 0 || (prior > 0 && prior > line.amount.amountMinor)) {
    throw new InvalidAmountError(
      `line ${line.id} discount ${prior} must be between 0 and the line amount ${line.amount.amountMinor}`,
    );
  }
  return line.amount.amountMinor - prior;
}

function discountLines<L extends DiscountableLine>(
  lines: readonly L[],
  remaining: readonly number[],
  shares: readonly number[] | null,
  currency: CurrencyCode,
): DiscountedLine<L>[] {
  return lines.map((line, index) => {
    const share = shares === null ? 0 : shares[index];
    const prior = line.discount?.amountMinor ?? 0;
    return {
      ...line,
      discount: unsafeMoney(prior + share, currency),
      amountAfterDiscount: unsafeMoney(remaining[index] - share, currency),
    };
  });
}

function checkedContext(context: CouponContext): { currency: CurrencyCode; periodIndex: number } {
  if (typeof context !== 'object' || context === null) {
    throw new InvalidCouponError(`coupon context ${describe(context)} is not an object`);
  }
  assertDate(context.now, 'context.now');
  const currency = getCurrency(context.currency).code;
  assertQuantity(context.redemptionsSoFar, 'redemptionsSoFar');
  assertQuantity(context.customerRedemptions, 'customerRedemptions');
  if (typeof context.isFirstPurchase !== 'boolean') {
    throw new InvalidCouponError(`isFirstPurchase ${describe(context.isFirstPurchase)} must be a boolean`);
  }
  const periodIndex = context.periodIndex ?? 0;
  assertQuantity(periodIndex, 'periodIndex');
  return { currency, periodIndex };
}

/** Checks a coupon definition; throws InvalidCouponError naming the bad field. */
export function assertCoupon(coupon: Coupon): void {
  if (typeof coupon !== 'object' || coupon === null)
    throw new InvalidCouponError(`coupon ${describe(coupon)} is not an object`);
  if (typeof coupon.id !== 'string' || coupon.id === '')
    throw new InvalidCouponError('coupon id must be a non-empty string');
  const where = `coupon ${coupon.id}`;
  switch (coupon.kind) {
    case 'percent_off': {
      const { numerator, denominator } = percentageToFraction(coupon.percentOff, `${where} percentOff`);
      if (numerator <= 0n || numerator > denominator) {
        throw new InvalidCouponError(
          `${where} percentOff ${coupon.percentOff} must be more than 0 and at most 100`,
        );
      }
      break;
    }
    case 'amount_off':
      if (typeof coupon.amountOff !== 'object' || coupon.amountOff === null) {
        throw new InvalidCouponError(`${where} amountOff must map currencies to minor units`);
      }
      break;
    default:
      throw new InvalidCouponError(
        `${where} kind ${describe((coupon as { kind: unknown }).kind)} must be percent_off or amount_off`,
      );
  }
  assertDuration(coupon.duration, where);
  if (coupon.expiresAt != null) assertDate(coupon.expiresAt, `${where} expiresAt`);
  if (coupon.maxRedemptions != null) assertPositiveLimit(coupon.maxRedemptions, `${where} maxRedemptions`);
  if (coupon.maxRedemptionsPerCustomer != null) {
    assertPositiveLimit(coupon.maxRedemptionsPerCustomer, `${where} maxRedemptionsPerCustomer`);
  }
  if (coupon.productIds !== undefined && !Array.isArray(coupon.productIds)) {
    throw new InvalidCouponError(`${where} productIds must be a list of product ids`);
  }
  assertRoundingMode(coupon.rounding ?? DEFAULT_ROUNDING);
}

function assertDuration(duration: CouponDuration, where: string): void {
  const type = (duration as { type?: unknown } | undefined)?.type;
  if (type === 'once' || type === 'forever') return;
  if (type === 'repeating') {
    const { periods } = duration as { periods: unknown };
    if (typeof periods === 'number' && Number.isSafeInteger(periods) && periods > 0) return;
    throw new InvalidCouponError(
      `${where} repeating duration needs a positive integer of periods, got ${describe(periods)}`,
    );
  }
  throw new InvalidCouponError(`${where} duration ${describe(type)} must be once, repeating or forever`);
}

function assertPositiveLimit(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new InvalidCouponError(`${what} ${describe(value)} must be a positive integer`);
}

/**
 * @astrix/pricing: every amount the platform charges, credits or pays out. Pure and deterministic:
 * no I/O, no clock (instants are arguments), integer minor units only.
 */
export * from './errors';
export {
  CURRENCY_CODES,
  type Currency,
  type CurrencyCode,
  currencyExponent,
  getCurrency,
  isCurrencyCode,
  parseCurrencyCode,
} from './currency';
export type { CurrencyAmounts } from './currency-amounts';
export type { Factor, Percentage, Rational } from './decimal';
export { sumDecimals } from './decimal';
export { DEFAULT_ROUNDING, ROUNDING_MODES, type RoundingMode, divideRounded } from './rounding';
export {
  type FormatMoneyOptions,
  type Money,
  abs,
  add,
  assertMoney,
  compare,
  divide,
  equals,
  formatMoney,
  greaterThan,
  greaterThanOrEqual,
  isNegative,
  isPositive,
  isZero,
  lessThan,
  lessThanOrEqual,
  max,
  min,
  money,
  moneyFromDecimal,
  multiply,
  multiplyByFactor,
  negate,
  percentageOf,
  subtract,
  sum,
  toDecimalString,
  zero,
} from './money';
export { type Ratio, allocate } from './allocate';
export {
  type FlatPrice,
  type GraduatedPrice,
  type PackagePrice,
  type PercentagePrice,
  type PerUnitPrice,
  type Price,
  type PriceBreakdownItem,
  type PricedLine,
  type PriceModel,
  type PriceTier,
  type PriceTierRange,
  type VolumePrice,
  assertPrice,
  priceLine,
  pricePercentageOf,
} from './price';
export {
  type AmountOffCoupon,
  type Coupon,
  type CouponApplied,
  type CouponContext,
  type CouponDuration,
  type CouponRejected,
  type CouponRejectionReason,
  type CouponResult,
  type DiscountableLine,
  type DiscountedLine,
  type PercentOffCoupon,
  applyCoupon,
  assertCoupon,
} from './coupon';
export {
  type BillingInterval,
  type BillingPeriod,
  type Period,
  type SubscriptionPeriod,
  type SubscriptionSchedule,
  addBillingIntervals,
  billingPeriodFor,
  subscriptionPeriodAt,
  trialEndFor,
} from './period';
export {
  type Proration,
  type ProrationChange,
  type ProrationLine,
  prorate,
  prorateChange,
} from './proration';
export { netOfReturned } from './net-paid';
export {
  type InvoiceLineInput,
  type InvoiceLineTotals,
  type InvoiceTotals,
  type InvoiceTotalsOptions,
  type LineTax,
  type TaxRate,
  type TaxRounding,
  type TaxSummary,
  computeInvoiceTotals,
} from './tax';
export {
  type Conversion,
  type ExchangeRateSnapshot,
  type RealisedFx,
  convert,
  crossRate,
  realisedFx,
} from './fx';
export {
  type PayoutSegment,
  type PayoutSplit,
  type PayoutSplitInput,
  type PayoutSplitTier,
  type PayoutStatus,
  computePayoutSplit,
} from './payout';
export {
  type InvoiceCredits,
  type RefundCap,
  type RefundCapInput,
  type RefundCapStatus,
  type RefundOfCharge,
  creditableAmount,
  refundCap,
  refundableAmount,
} from './refund-cap';
export {
  type CurrencyTotals,
  type JournalAmount,
  assertBalancedJournal,
  journalImbalances,
  journalTotals,
  normalBalance,
} from './journal';

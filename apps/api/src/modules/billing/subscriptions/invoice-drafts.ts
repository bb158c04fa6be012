import {
  type Coupon as PricingCoupon,
  type Money,
  applyCoupon,
  computeInvoiceTotals,
  money,
  multiply,
  parseCurrencyCode,
} from '@astrix/pricing';
import type { UsageInvoiceLine } from './usage-charges.port';
import type { InvoiceDraft, InvoiceDraftLine } from '../invoicing/invoice-writer.service';

/** Drafts are built here and written by invoicing: its line and invoice shapes are theirs. */
export type DraftLine = InvoiceDraftLine;
export type DraftInvoice = InvoiceDraft & { lines: DraftLine[] };

/** Seats × price for one period of the plan, as an invoice line. */
export function planLine(input: {
  productId: string;
  planName: string;
  currency: string;
  unitAmount: number;
  quantity: number;
  periodStart: Date;
  periodEnd: Date;
}): DraftLine {
  const currency = parseCurrencyCode(input.currency);
  const amount = multiply(money(input.unitAmount, currency), input.quantity);
  return {
    kind: 'plan',
    description: `${input.planName} × ${input.quantity} (${input.periodStart.toISOString().slice(0, 10)} – ${input.periodEnd
      .toISOString()
      .slice(0, 10)})`,
    productId: input.productId,
    featureId: null,
    quantity: input.quantity,
    unitAmount: input.unitAmount,
    amount: amount.amountMinor,
    discount: 0,
    periodStart: input.periodStart,
    periodEnd: input.periodEnd,
  };
}

/** A plan and seat count on one side of a change. */
export interface PlanSide {
  productId: string;
  planName: string;
  quantity: number;
}

/** One side of a prorated change as an invoice line over `period`: a credit (negative) or a charge. */
export function prorationLine(
  kind: 'proration_credit' | 'proration_charge',
  plan: PlanSide,
  amount: Money,
  period: { start: Date; end: Date },
  why?: string,
): DraftLine {
  const what = kind === 'proration_credit' ? 'Unused' : 'Remaining';
  return {
    kind,
    description: [`${what} time on ${plan.planName} × ${plan.quantity}`, why].filter(Boolean).join(' '),
    productId: plan.productId,
    featureId: null,
    quantity: plan.quantity,
    unitAmount: amount.amountMinor,
    amount: amount.amountMinor,
    discount: 0,
    periodStart: period.start,
    periodEnd: period.end,
  };
}

/**
 * A usage line from the usage capability, as an invoice line of the plan that priced it (the plan in
 * force while the usage accrued, which a change since may have replaced); `productId` is the fallback.
 */
export function usageLine(productId: string, usage: UsageInvoiceLine): DraftLine {
  return { kind: 'usage', discount: 0, ...usage, productId: usage.productId || productId };
}

/** A subscription's coupon as it stands for its next period invoice. */
export interface PeriodCoupon {
  coupon: PricingCoupon;
  /** When the subscription redeemed it. */
  redeemedAt: Date;
  /** Period invoices issued since: 0 for the first. */
  periodIndex: number;
}

/**
 * The coupon applied to one period invoice's plan and usage lines, through @astrix/pricing. Limits,
 * expiry and first-purchase were settled at redemption, so they are judged as of that instant; the
 * duration, products, currency and minimum are judged per invoice. Credit lines are never discounted.
 */
export function withCoupon(
  currency: string,
  lines: DraftLine[],
  periodCoupon: PeriodCoupon | null,
): DraftLine[] {
  if (periodCoupon === null) return lines;
  const code = parseCurrencyCode(currency);
  const discountable = lines.flatMap((line, index) =>
    (line.kind === 'plan' || line.kind === 'usage') && line.amount > 0
      ? [{ id: String(index), productId: line.productId, amount: money(line.amount, code) }]
      : [],
  );
  if (discountable.length === 0) return lines;
  const result = applyCoupon(periodCoupon.coupon, discountable, {
    now: periodCoupon.redeemedAt,
    currency: code,
    redemptionsSoFar: 0,
    customerRedemptions: 0,
    isFirstPurchase: true,
    periodIndex: periodCoupon.periodIndex,
  });
  if (!result.applies) return lines;
  const discounts = new Map(result.lines.map((line) => [Number(line.id), line.discount.amountMinor]));
  return lines.map((line, index) => ({ ...line, discount: discounts.get(index) ?? line.discount }));
}

/** Totals through @astrix/pricing; `availableCredit` is the customer balance that may be spent. */
export function draftInvoice(currency: string, lines: DraftLine[], availableCredit: number): DraftInvoice {
  const code = parseCurrencyCode(currency);
  const totals = computeInvoiceTotals(
    lines.map((line, index) => ({
      id: String(index),
      amount: money(line.amount, code),
      discount: money(line.discount, code),
    })),
    { currency: code, credits: money(availableCredit, code) },
  );
  return {
    currency: code,
    lines,
    subtotal: totals.subtotal.amountMinor,
    discount: totals.discount.amountMinor,
    total: totals.total.amountMinor,
    creditApplied: totals.creditsApplied.amountMinor,
    amountDue: totals.amountDue.amountMinor,
    creditToBalance: totals.creditToBalance.amountMinor,
  };
}

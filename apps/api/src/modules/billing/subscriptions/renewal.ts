import type { SubscriptionStatus } from '@astrix/contracts';
import {
  type BillingInterval,
  addBillingIntervals,
  billingPeriodFor,
  money,
  multiply,
  parseCurrencyCode,
  prorate,
} from '@astrix/pricing';
import { type DraftLine, planLine } from './invoice-drafts';
import type { Subscription } from './subscription.entity';
import type { ClosedUsagePeriod } from './usage-charges.port';

/** Billing anchor days a subscriber may choose: every month has them, so no month-end clamping. */
export const MIN_ANCHOR_DAY = 1;
export const MAX_ANCHOR_DAY = 28;

/** A billed period: a full billing interval, or a stub priced as its share of the interval it ends. */
export interface PricedPeriod {
  start: Date;
  end: Date;
  /** A stub only (absent for a full interval): the full billing interval whose price covers it. */
  pricedOver?: { start: Date; end: Date };
}

/**
 * The first instant at or after `from` that is midnight UTC on day `day` (1–28) of a month: `from`
 * itself when it is that midnight, else that day this month if still ahead, else next month.
 */
export function nextAnchorDayAt(from: Date, day: number): Date {
  if (!Number.isSafeInteger(day) || day < MIN_ANCHOR_DAY || day > MAX_ANCHOR_DAY) {
    throw new RangeError(`billing anchor day ${day} must be a whole number from 1 to 28`);
  }
  const thisMonth = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), day));
  if (thisMonth.getTime() >= from.getTime()) return thisMonth;
  return new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, day));
}

/**
 * Where billing starts at `start` (subscribe without a trial, reactivation): without an anchor day,
 * periods are anchored on `start` itself (a 29th–31st falls on the last day of shorter months). With
 * one, the first period runs to the next anchor day (midnight UTC), a stub priced as its share of the
 * full interval ending there, then full periods start on that day; none when `start` is that midnight.
 */
export function firstPaidPeriod(
  start: Date,
  interval: BillingInterval,
  intervalCount: number,
  anchorDay: number | null,
): { billingAnchor: Date; period: PricedPeriod } {
  const billingAnchor = anchorDay === null ? start : nextAnchorDayAt(start, anchorDay);
  if (billingAnchor.getTime() === start.getTime()) {
    return { billingAnchor, period: { start, end: addBillingIntervals(start, interval, intervalCount) } };
  }
  return {
    billingAnchor,
    period: {
      start,
      end: billingAnchor,
      pricedOver: { start: addBillingIntervals(billingAnchor, interval, -intervalCount), end: billingAnchor },
    },
  };
}

/**
 * Where a trial ending at `trialEnd` anchors billing: on the trial end, or with an anchor day on the
 * next such day (the first paid period, from the trial end to it, is then a stub).
 */
export function anchorAfterTrial(trialEnd: Date, anchorDay: number | null): Date {
  return anchorDay === null ? trialEnd : nextAnchorDayAt(trialEnd, anchorDay);
}

/**
 * The plan line of a billed period: seats × price for a full period; for a stub, that amount
 * prorated by the second over the full interval it is part of (through @astrix/pricing).
 */
export function periodPlanLine(input: {
  productId: string;
  planName: string;
  currency: string;
  unitAmount: number;
  quantity: number;
  period: PricedPeriod;
}): DraftLine {
  const { period } = input;
  const line = planLine({ ...input, periodStart: period.start, periodEnd: period.end });
  if (!period.pricedOver) return line;
  const amount = multiply(money(input.unitAmount, parseCurrencyCode(input.currency)), input.quantity);
  return {
    ...line,
    amount: prorate(amount, period.pricedOver, period.start).amountMinor,
    description: `${line.description}, prorated to the billing anchor day`,
  };
}

/** What closing a subscription's current period changes. */
export interface Renewal {
  subscriptionId: string;
  /** The boundary being crossed: the end of the period that closed. */
  boundary: Date;
  /** The period that closed (usage in it is invoiced in arrears). */
  closedPeriod: { start: Date; end: Date };
  /**
   * The period billed in advance; null when the subscription ends at the boundary. A stub (from a
   * trial's end to the billing anchor day) is priced as its share of the full interval.
   */
  nextPeriod: PricedPeriod | null;
  status: { from: SubscriptionStatus; to: SubscriptionStatus };
  /** The plan after the boundary (a scheduled change takes effect here). */
  plan: { productId: string; priceId: string; unitAmount: number; quantity: number };
  planChanged: boolean;
  /**
   * True when the closed period was a free trial whose usage is not billed (the entitlement check
   * refused overage then); a trial whose plan bills trial overage is false: its usage is invoiced.
   */
  closedPeriodWasTrial: boolean;
}

/** The invoice of a boundary is unique per subscription and boundary. */
export function renewalInvoiceKey(subscriptionId: string, boundary: Date): string {
  return `sub:${subscriptionId}:period:${boundary.toISOString()}`;
}

/**
 * Decides what happens when a subscription's period ends: it ends (canceled at period end), or it
 * renews for the next period, on the scheduled plan if one is waiting, leaving a trial if it was in one.
 */
export function renewalOf(subscription: Subscription): Renewal {
  const boundary = subscription.currentPeriodEnd;
  const closedPeriod = { start: subscription.currentPeriodStart, end: boundary };
  const closedPeriodWasTrial = subscription.status === 'trialing' && subscription.trialOverage !== 'bill';
  const current = {
    productId: subscription.productId,
    priceId: subscription.priceId,
    unitAmount: subscription.unitAmount,
    quantity: subscription.quantity,
  };
  if (subscription.cancelAtPeriodEnd) {
    return {
      subscriptionId: subscription.id,
      boundary,
      closedPeriod,
      nextPeriod: null,
      status: { from: subscription.status, to: 'canceled' },
      plan: current,
      planChanged: false,
      closedPeriodWasTrial,
    };
  }
  const scheduled = subscription.scheduledChange;
  const plan = scheduled
    ? {
        productId: scheduled.productId,
        priceId: scheduled.priceId,
        unitAmount: scheduled.unitAmount,
        quantity: scheduled.quantity,
      }
    : current;
  const anchor = subscription.billingAnchor;
  // Before the anchor (a trial ended ahead of the billing anchor day): a stub up to the anchor.
  const next: PricedPeriod =
    boundary.getTime() < anchor.getTime()
      ? {
          start: boundary,
          end: anchor,
          pricedOver: {
            start: addBillingIntervals(anchor, subscription.interval, -subscription.intervalCount),
            end: anchor,
          },
        }
      : fullPeriod(billingPeriodFor(anchor, subscription.interval, subscription.intervalCount, boundary));
  return {
    subscriptionId: subscription.id,
    boundary,
    closedPeriod,
    nextPeriod: next,
    status: {
      from: subscription.status,
      to: subscription.status === 'trialing' ? 'active' : subscription.status,
    },
    plan,
    planChanged: scheduled !== null,
    closedPeriodWasTrial,
  };
}

/**
 * The span the plan's price covers for the current period: the period itself, or, for a stub running
 * to the billing anchor day (currently ending on the anchor, past any trial), the full interval ending
 * on the anchor, so a change inside the stub is prorated at the plan's real rate.
 */
export function pricedSpanOf(
  subscription: Pick<
    Subscription,
    | 'status'
    | 'billingAnchor'
    | 'billingAnchorDay'
    | 'interval'
    | 'intervalCount'
    | 'currentPeriodStart'
    | 'currentPeriodEnd'
  >,
): { start: Date; end: Date } {
  const period = { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd };
  const stub =
    subscription.billingAnchorDay !== null &&
    subscription.status !== 'trialing' &&
    subscription.currentPeriodEnd.getTime() === subscription.billingAnchor.getTime();
  if (!stub) return period;
  const fullStart = addBillingIntervals(
    subscription.billingAnchor,
    subscription.interval,
    -subscription.intervalCount,
  );
  return fullStart.getTime() < period.start.getTime() ? { start: fullStart, end: period.end } : period;
}

function fullPeriod(period: { start: Date; end: Date }): PricedPeriod {
  return { start: period.start, end: period.end };
}

/** The subscription's current period, as the usage capability is asked about it. */
export function usagePeriodOf(subscription: Subscription): ClosedUsagePeriod {
  return {
    subscriptionId: subscription.id,
    customerId: subscription.customerId,
    productId: subscription.productId,
    currency: subscription.currency,
    periodStart: subscription.currentPeriodStart,
    periodEnd: subscription.currentPeriodEnd,
  };
}

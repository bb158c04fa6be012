import type { ProductAttributes } from '@astrix/contracts';
import { trialEndFor } from '@astrix/pricing';

/** What a plan says about its trial (product attributes, with their defaults). */
export interface TrialTerms {
  /** Days of free trial; 0 = none. */
  days: number;
  /** The family a trial counts in: plans sharing the key share one trial per customer. */
  family: string;
  /** One trial per customer and family (default); false = a trial on every subscribe. */
  oncePerCustomer: boolean;
  /** A default payment method must be on file before the trial starts. */
  requiresPaymentMethod: boolean;
  /** Usage beyond a metered allowance during the trial: refused (default) or billed. */
  overage: TrialOverage;
}

export type TrialOverage = 'refuse' | 'bill';

/** The plan's trial terms; the family defaults to the plan's own product id. */
export function trialTermsOf(product: { id: string; attributes: ProductAttributes }): TrialTerms {
  const attributes = product.attributes;
  return {
    days: attributes.trialDays ?? 0,
    family: attributes.trialFamily ?? product.id,
    oncePerCustomer: attributes.trialOncePerCustomer ?? true,
    requiresPaymentMethod: attributes.trialRequiresPaymentMethod ?? false,
    overage: attributes.trialOverage ?? 'refuse',
  };
}

export type TrialDecision =
  | { kind: 'trial'; days: number }
  | { kind: 'no_trial'; why: 'declined' | 'plan_has_none' | 'already_trialed' }
  | { kind: 'refused'; field: string; message: string };

/**
 * Decides a trader's subscribe: the trial is the plan's, never the caller's.
 * - `requestedDays` above the plan's trial is refused (a trader may shorten or decline it: 0 = pay now);
 * - a customer who already had a trial in the plan's family gets none (when the plan says once);
 * - a plan that requires a payment method before its trial refuses one without a card;
 * - without a trial the first period is charged at once, which needs a payment method.
 */
export function decideTrial(input: {
  terms: TrialTerms;
  requestedDays: number | undefined;
  hasPaymentMethod: boolean;
  /** Trials this customer already had in the plan's family (any status, canceled included). */
  priorTrialsInFamily: number;
}): TrialDecision {
  const { terms, requestedDays, hasPaymentMethod } = input;
  if (requestedDays !== undefined && requestedDays > terms.days) {
    return {
      kind: 'refused',
      field: 'trialDays',
      message:
        `trialDays ${requestedDays} is longer than the plan's trial: the plan's trial is ${terms.days} days ` +
        '(send at most that, 0 to start paying now, or leave it out)',
    };
  }
  const days = requestedDays ?? terms.days;
  let decision: TrialDecision;
  if (days === 0) {
    decision = { kind: 'no_trial', why: terms.days === 0 ? 'plan_has_none' : 'declined' };
  } else if (terms.oncePerCustomer && input.priorTrialsInFamily > 0) {
    decision = { kind: 'no_trial', why: 'already_trialed' };
  } else {
    decision = { kind: 'trial', days };
  }
  if (hasPaymentMethod) return decision;
  if (decision.kind === 'trial') {
    return terms.requiresPaymentMethod
      ? {
          kind: 'refused',
          field: 'paymentMethod',
          message:
            "this plan's trial needs a payment method on file: add one (POST /v1/billing/payment-methods/setup-intent) first",
        }
      : decision;
  }
  const why =
    decision.why === 'already_trialed'
      ? 'the free trial of this plan family was already used, so the first period is charged at once'
      : 'a subscription without a trial is charged at once';
  return {
    kind: 'refused',
    field: 'trialDays',
    message: `${why}: it needs a payment method: add one (POST /v1/billing/payment-methods/setup-intent) first`,
  };
}

/** A staff grant: whole days from 1 to 365, counted from the trial's start, ending after now. */
export function grantedTrialEnd(input: {
  status: string;
  trialStart: Date;
  days: number;
  now: Date;
}): { ok: true; trialEnd: Date } | { ok: false; message: string } {
  if (input.status !== 'trialing') {
    return {
      ok: false,
      message: `only a trialing subscription's trial can be changed; it is ${input.status}`,
    };
  }
  const trialEnd = trialEndFor(input.trialStart, input.days);
  if (trialEnd <= input.now) {
    return {
      ok: false,
      message: `a ${input.days}-day trial from ${input.trialStart.toISOString()} has already ended`,
    };
  }
  return { ok: true, trialEnd };
}

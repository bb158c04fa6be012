import type { DisputeStatus, FraudSeverity, FraudSignalSource } from '@astrix/contracts';
import type { ProcessorDispute } from '@astrix/stripe-client';
import type { FraudSettings, SignalWeight } from '../../../platform/config/fraud-settings';

/**
 * Our fraud rules and the reading of Stripe's fraud events, as pure decisions: facts in, signals
 * out. The services gather the facts (counting rows, reading webhooks) and store what comes back.
 */

const MINUTE_MS = 60_000;
const SEVERITY_ORDER: FraudSeverity[] = ['low', 'medium', 'high', 'critical'];

/** A signal a rule raises; the caller adds whom it concerns and stores it once per dedupe key. */
export interface SignalDraft {
  source: FraudSignalSource;
  rule: string;
  weight: SignalWeight;
  evidence: Record<string, unknown>;
  dedupeKey: string;
}

/** Just the weight of a rule's settings, which also carry its limits. */
const weightOf = (settings: SignalWeight): SignalWeight => ({
  severity: settings.severity,
  score: settings.score,
});

/** The start of a window of `windowMinutes` ending at `end` (exclusive: rows must be after it). */
export const windowStart = (end: Date, windowMinutes: number): Date =>
  new Date(end.getTime() - windowMinutes * MINUTE_MS);

// --- Checkout velocity: judged before Stripe is called; a breach refuses the checkout ---

/** Recent checkouts of one user or address: how many (counted up to the limit), oldest first. */
export interface CheckoutWindow {
  count: number;
  /** The oldest checkout in the window; it anchors the burst. */
  oldestId: string | null;
}

/**
 * A signal when the window already holds the limit, so this checkout would pass it. Refusals
 * while the window's oldest checkout is still inside it are one burst, hence one dedupe key.
 */
export function userVelocityBreach(
  settings: FraudSettings,
  customerId: string,
  window: CheckoutWindow,
): SignalDraft | null {
  const rule = settings.userVelocity;
  if (window.count < rule.maxCheckouts) return null;
  return velocitySignal('user_velocity', rule, customerId, window, {
    checkoutsInWindow: window.count,
    windowMinutes: rule.windowMinutes,
    limit: rule.maxCheckouts,
  });
}

/** The same limit per client address, across users. */
export function ipVelocityBreach(
  settings: FraudSettings,
  customerId: string,
  clientIp: string,
  window: CheckoutWindow,
): SignalDraft | null {
  const rule = settings.ipVelocity;
  if (window.count < rule.maxCheckouts) return null;
  return velocitySignal('ip_velocity', rule, customerId, window, {
    clientIp,
    checkoutsInWindow: window.count,
    windowMinutes: rule.windowMinutes,
    limit: rule.maxCheckouts,
  });
}

function velocitySignal(
  rule: 'user_velocity' | 'ip_velocity',
  weight: SignalWeight,
  customerId: string,
  window: CheckoutWindow,
  evidence: Record<string, unknown>,
): SignalDraft {
  return {
    source: 'rule',
    rule,
    weight: weightOf(weight),
    evidence,
    dedupeKey: `${rule}:${customerId}:${window.oldestId ?? 'empty'}`,
  };
}

// --- Payment: Radar's verdict and our card, coupon, card-testing and country rules ---

/** Radar's assessment of the charge, as the processor reports it. */
export interface RiskAssessment {
  /** normal, elevated, highest, not_assessed or unknown. */
  riskLevel: string | null;
  riskScore: number | null;
  ruleId: string | null;
  sellerMessage: string | null;
}

/** What we know of the card paid with; counts include this charge. */
export interface CardFacts {
  fingerprint: string;
  /** Paid charges on the card in the card-velocity window, counted up to maxCharges + 1. */
  chargesInWindow: number;
  /** Distinct users who paid with the card, counted up to sharedCard.maxUsers + 1. */
  distinctUsers: number;
  /** When this payment used a first-purchase coupon: other users who paid with this card using one. */
  firstPurchaseCoupon: { code: string; otherUsersOnCard: number } | null;
}

export interface PaymentFacts {
  chargeId: string;
  risk: RiskAssessment | null;
  /** Null when the processor gave no card fingerprint: the card rules cannot run. */
  card: CardFacts | null;
  /** The user's declined attempts in the card-testing window before this success (up to minDeclines). */
  declinesBeforeSuccess: number;
  countries: { card: string | null; client: string | null; profile: string | null };
}

/** The signals a completed payment raises, in a stable order: Radar, card, coupon, card testing, country. */
export function paymentSignals(settings: FraudSettings, facts: PaymentFacts): SignalDraft[] {
  const signals: SignalDraft[] = [];
  /** One signal per rule and charge: a redelivered payment raises nothing new. */
  const signal = (keyPrefix: string, draft: Omit<SignalDraft, 'dedupeKey'>) =>
    signals.push({ ...draft, dedupeKey: `${keyPrefix}:${facts.chargeId}` });

  const risk = facts.risk;
  if (risk?.riskLevel === 'elevated' || risk?.riskLevel === 'highest') {
    signal('radar', {
      source: 'stripe_radar',
      rule: `radar_${risk.riskLevel}`,
      weight: weightOf(risk.riskLevel === 'highest' ? settings.radarHighest : settings.radarElevated),
      evidence: {
        riskLevel: risk.riskLevel,
        riskScore: risk.riskScore,
        ruleId: risk.ruleId,
        sellerMessage: risk.sellerMessage,
      },
    });
  }

  const card = facts.card;
  if (card) {
    if (card.chargesInWindow > settings.cardVelocity.maxCharges) {
      signal('card_velocity', {
        source: 'rule',
        rule: 'card_velocity',
        weight: weightOf(settings.cardVelocity),
        evidence: {
          cardFingerprint: card.fingerprint,
          chargesInWindow: card.chargesInWindow,
          limit: settings.cardVelocity.maxCharges,
        },
      });
    }
    if (card.distinctUsers > settings.sharedCard.maxUsers) {
      signal('shared_card', {
        source: 'rule',
        rule: 'shared_card',
        weight: weightOf(settings.sharedCard),
        evidence: {
          cardFingerprint: card.fingerprint,
          distinctUsers: card.distinctUsers,
          limit: settings.sharedCard.maxUsers,
        },
      });
    }
    if (card.firstPurchaseCoupon && card.firstPurchaseCoupon.otherUsersOnCard > 0) {
      signal('coupon_abuse', {
        source: 'rule',
        rule: 'coupon_abuse',
        weight: weightOf(settings.couponAbuse),
        evidence: {
          couponCode: card.firstPurchaseCoupon.code,
          cardFingerprint: card.fingerprint,
          otherUsersWithFirstPurchaseCoupons: card.firstPurchaseCoupon.otherUsersOnCard,
        },
      });
    }
  }

  if (facts.declinesBeforeSuccess >= settings.cardTesting.minDeclines) {
    signal('card_testing', {
      source: 'rule',
      rule: 'card_testing',
      weight: weightOf(settings.cardTesting),
      evidence: {
        declinesBeforeSuccess: facts.declinesBeforeSuccess,
        windowMinutes: settings.cardTesting.windowMinutes,
      },
    });
  }

  const { countries } = facts;
  const mismatched = [countries.client, countries.profile].some(
    (country) => country && countries.card && country !== countries.card,
  );
  if (mismatched) {
    signal('country_mismatch', {
      source: 'rule',
      rule: 'country_mismatch',
      weight: weightOf(settings.countryMismatch),
      evidence: { ...countries },
    });
  }
  return signals;
}

// --- The customer's standing ---

export type FlagDecision = { flag: false } | { flag: true; totalScore: number; severity: FraudSeverity };

/** Open signals whose scores reach the threshold flag the customer, at the worst severity among them. */
export function flagDecision(
  flagThreshold: number,
  openSignals: ReadonlyArray<{ score: number; severity: FraudSeverity }>,
): FlagDecision {
  if (openSignals.length === 0) return { flag: false };
  const totalScore = openSignals.reduce((sum, signal) => sum + signal.score, 0);
  if (totalScore < flagThreshold) return { flag: false };
  const severity = openSignals
    .map((signal) => signal.severity)
    .reduce((worst, next) => (SEVERITY_ORDER.indexOf(next) > SEVERITY_ORDER.indexOf(worst) ? next : worst));
  return { flag: true, totalScore, severity };
}

// --- Stripe's fraud events: early fraud warnings, Radar reviews, disputes ---

export function earlyFraudWarningSignal(
  settings: FraudSettings,
  warning: { id: string; fraudType: string; actionable: boolean },
): SignalDraft {
  return {
    source: 'stripe_early_fraud_warning',
    rule: 'early_fraud_warning',
    weight: weightOf(settings.earlyFraudWarning),
    evidence: { warningId: warning.id, fraudType: warning.fraudType, actionable: warning.actionable },
    dedupeKey: `efw:${warning.id}`,
  };
}

/** Refunding an actionable warning before the dispute arrives avoids the dispute fee. */
export const refundsOnEarlyFraudWarning = (
  settings: FraudSettings,
  warning: { actionable: boolean },
): boolean => settings.earlyFraudWarning.autoRefund && warning.actionable;

/** The dedupe key of the signal an open review raised; an approval at Stripe dismisses it. */
export const reviewSignalKey = (reviewId: string): string => `review:${reviewId}`;

export function openReviewSignal(
  settings: FraudSettings,
  review: { id: string; openedReason: string },
): SignalDraft {
  return {
    source: 'stripe_review',
    rule: 'radar_review',
    weight: weightOf(settings.review),
    evidence: { reviewId: review.id, openedReason: review.openedReason },
    dedupeKey: reviewSignalKey(review.id),
  };
}

/** A review closed as approved at Stripe was a false alarm; other closings leave the signal open. */
export const reviewApprovalDismisses = (closedReason: string | null): boolean => closedReason === 'approved';

export function disputeLostSignal(
  settings: FraudSettings,
  dispute: { stripeDisputeId: string; reason: string; amount: number; currency: string },
): SignalDraft {
  return {
    source: 'stripe_dispute',
    rule: 'dispute_lost',
    weight: weightOf(settings.disputeLost),
    evidence: {
      disputeId: dispute.stripeDisputeId,
      reason: dispute.reason,
      amount: dispute.amount,
      currency: dispute.currency,
    },
    dedupeKey: `dispute_lost:${dispute.stripeDisputeId}`,
  };
}

/** Stripe's dispute statuses in our vocabulary; an inquiry (warning_*) reads as the stage it is at. */
export function ourDisputeStatus(status: ProcessorDispute['status']): DisputeStatus {
  switch (status) {
    case 'needs_response':
    case 'warning_needs_response':
      return 'needs_response';
    case 'under_review':
    case 'warning_under_review':
      return 'under_review';
    case 'won':
    case 'warning_closed':
      return 'won';
    case 'lost':
      return 'lost';
    case 'prevented':
    case 'other':
      return 'other';
  }
}

export const isClosedDispute = (status: DisputeStatus): boolean => status === 'won' || status === 'lost';

/** An inquiry (a `warning_*` status): no funds withdrawn, no fee, unless it escalates. */
export function isDisputeInquiry(status: ProcessorDispute['status']): boolean {
  switch (status) {
    case 'warning_needs_response':
    case 'warning_under_review':
    case 'warning_closed':
      return true;
    case 'needs_response':
    case 'under_review':
    case 'won':
    case 'lost':
    case 'prevented':
    case 'other':
      return false;
  }
}

/** What a dispute costs beyond its amount, in the dispute's currency; nothing configured is nothing. */
export const disputeFee = (settings: FraudSettings, currency: string): number =>
  settings.disputeFee[currency] ?? 0;

/** The charge's status during a dispute; once won, back to what its refunds make it. */
export function chargeStatusWithDispute(
  status: DisputeStatus,
  charge: { amount: number; amountRefunded: number },
): 'succeeded' | 'partially_refunded' | 'refunded' | 'disputed' {
  if (status !== 'won') return 'disputed';
  if (charge.amountRefunded === 0) return 'succeeded';
  return charge.amountRefunded === charge.amount ? 'refunded' : 'partially_refunded';
}

export type DisputeEventType =
  'billing.dispute.created' | 'billing.dispute.updated' | 'billing.dispute.closed';

/**
 * The events one dispute update announces. The first heard of a dispute creates it; one first heard
 * of already closed announces the close too, so consumers see both.
 */
export function disputeEvents(change: { isNew: boolean; closing: boolean }): DisputeEventType[] {
  if (change.isNew)
    return change.closing
      ? ['billing.dispute.created', 'billing.dispute.closed']
      : ['billing.dispute.created'];
  return [change.closing ? 'billing.dispute.closed' : 'billing.dispute.updated'];
}

import type { DisputeStatus } from '@astrix/contracts';
import type { ProcessorDispute } from '@astrix/stripe-client';
import { DEFAULT_FRAUD_SETTINGS, type FraudSettings } from '../../../platform/config/fraud-settings';
import {
  chargeStatusWithDispute,
  disputeEvents,
  disputeFee,
  disputeLostSignal,
  earlyFraudWarningSignal,
  flagDecision,
  ipVelocityBreach,
  isClosedDispute,
  isDisputeInquiry,
  openReviewSignal,
  ourDisputeStatus,
  type PaymentFacts,
  paymentSignals,
  refundsOnEarlyFraudWarning,
  reviewApprovalDismisses,
  reviewSignalKey,
  userVelocityBreach,
  windowStart,
} from './fraud-rules';

/** Limits chosen apart from the defaults, so a test cannot pass by reading the wrong setting. */
const SETTINGS: FraudSettings = {
  ...DEFAULT_FRAUD_SETTINGS,
  userVelocity: { windowMinutes: 30, maxCheckouts: 4, severity: 'medium', score: 31 },
  ipVelocity: { windowMinutes: 90, maxCheckouts: 10, severity: 'high', score: 32 },
  cardVelocity: { windowMinutes: 600, maxCharges: 2, severity: 'medium', score: 33 },
  sharedCard: { maxUsers: 2, severity: 'high', score: 34 },
  cardTesting: { windowMinutes: 45, minDeclines: 3, severity: 'high', score: 35 },
  couponAbuse: { severity: 'high', score: 36 },
  countryMismatch: { severity: 'low', score: 37 },
  radarElevated: { severity: 'medium', score: 38 },
  radarHighest: { severity: 'high', score: 39 },
  earlyFraudWarning: { severity: 'critical', score: 40, autoRefund: true },
  review: { severity: 'medium', score: 41 },
  disputeLost: { severity: 'critical', score: 42 },
  flagThreshold: 60,
  disputeFee: { USD: 1500, JPY: 2000 },
};

/** A payment no rule objects to; each test changes one fact. */
const cleanPayment = (): PaymentFacts => ({
  chargeId: 'chg_1',
  risk: { riskLevel: 'normal', riskScore: 12, ruleId: null, sellerMessage: 'Payment complete.' },
  card: { fingerprint: 'fp_1', chargesInWindow: 1, distinctUsers: 1, firstPurchaseCoupon: null },
  declinesBeforeSuccess: 0,
  countries: { card: 'US', client: 'US', profile: 'US' },
});

const withCard = (card: Partial<NonNullable<PaymentFacts['card']>>): PaymentFacts => {
  const facts = cleanPayment();
  return { ...facts, card: { ...facts.card!, ...card } };
};

const rulesRaised = (facts: PaymentFacts): string[] => paymentSignals(SETTINGS, facts).map((s) => s.rule);

describe('fraud rules', () => {
  describe('windowStart', () => {
    it('is the given number of minutes before the end', () => {
      expect(windowStart(new Date('2026-01-01T12:00:00Z'), 90)).toEqual(new Date('2026-01-01T10:30:00Z'));
      expect(windowStart(new Date('2026-01-01T12:00:00Z'), 0)).toEqual(new Date('2026-01-01T12:00:00Z'));
    });
  });

  describe('user checkout velocity', () => {
    it('lets a checkout through while the window holds fewer than the limit', () => {
      expect(userVelocityBreach(SETTINGS, 'cus_1', { count: 0, oldestId: null })).toBeNull();
      expect(userVelocityBreach(SETTINGS, 'cus_1', { count: 3, oldestId: 'cs_1' })).toBeNull();
    });

    it('refuses the checkout that would pass the limit, one signal per window anchor', () => {
      expect(userVelocityBreach(SETTINGS, 'cus_1', { count: 4, oldestId: 'cs_1' })).toEqual({
        source: 'rule',
        rule: 'user_velocity',
        weight: { severity: 'medium', score: 31 },
        evidence: { checkoutsInWindow: 4, windowMinutes: 30, limit: 4 },
        dedupeKey: 'user_velocity:cus_1:cs_1',
      });
      expect(userVelocityBreach(SETTINGS, 'cus_1', { count: 4, oldestId: 'cs_2' })?.dedupeKey).toBe(
        'user_velocity:cus_1:cs_2',
      );
    });

    it('refuses everything when the limit is zero, keyed on the empty window', () => {
      const settings = { ...SETTINGS, userVelocity: { ...SETTINGS.userVelocity, maxCheckouts: 0 } };
      expect(userVelocityBreach(settings, 'cus_1', { count: 0, oldestId: null })?.dedupeKey).toBe(
        'user_velocity:cus_1:empty',
      );
    });
  });

  describe('address checkout velocity', () => {
    it('lets a checkout through below the limit', () => {
      expect(ipVelocityBreach(SETTINGS, 'cus_1', '203.0.113.9', { count: 9, oldestId: 'cs_1' })).toBeNull();
    });

    it('refuses at the limit and names the address', () => {
      expect(ipVelocityBreach(SETTINGS, 'cus_1', '203.0.113.9', { count: 10, oldestId: 'cs_7' })).toEqual({
        source: 'rule',
        rule: 'ip_velocity',
        weight: { severity: 'high', score: 32 },
        evidence: { clientIp: '203.0.113.9', checkoutsInWindow: 10, windowMinutes: 90, limit: 10 },
        dedupeKey: 'ip_velocity:cus_1:cs_7',
      });
    });
  });

  describe('payment signals', () => {
    it('raises nothing for a clean payment', () => {
      expect(paymentSignals(SETTINGS, cleanPayment())).toEqual([]);
    });

    it.each([
      ['normal', []],
      ['not_assessed', []],
      ['unknown', []],
      [null, []],
      ['elevated', ['radar_elevated']],
      ['highest', ['radar_highest']],
    ])('Radar risk level %s raises %j', (riskLevel, expected) => {
      const facts = cleanPayment();
      expect(rulesRaised({ ...facts, risk: { ...facts.risk!, riskLevel } })).toEqual(expected);
    });

    it("records Radar's verdict with its weight by level", () => {
      const risk = { riskLevel: 'highest', riskScore: 95, ruleId: 'rule_1', sellerMessage: 'blocked' };
      expect(paymentSignals(SETTINGS, { ...cleanPayment(), risk })).toEqual([
        {
          source: 'stripe_radar',
          rule: 'radar_highest',
          weight: { severity: 'high', score: 39 },
          evidence: risk,
          dedupeKey: 'radar:chg_1',
        },
      ]);
      const [elevated] = paymentSignals(SETTINGS, {
        ...cleanPayment(),
        risk: { ...risk, riskLevel: 'elevated' },
      });
      expect(elevated.weight).toEqual({ severity: 'medium', score: 38 });
      expect(elevated.dedupeKey).toBe('radar:chg_1');
    });

    it('raises nothing without a Radar assessment', () => {
      expect(rulesRaised({ ...cleanPayment(), risk: null })).toEqual([]);
    });

    it('card velocity: the limit of charges on one card is allowed, one more is a signal', () => {
      expect(rulesRaised(withCard({ chargesInWindow: 2 }))).toEqual([]);
      expect(paymentSignals(SETTINGS, withCard({ chargesInWindow: 3 }))).toEqual([
        {
          source: 'rule',
          rule: 'card_velocity',
          weight: { severity: 'medium', score: 33 },
          evidence: { cardFingerprint: 'fp_1', chargesInWindow: 3, limit: 2 },
          dedupeKey: 'card_velocity:chg_1',
        },
      ]);
    });

    it('shared card: up to maxUsers users on one card are allowed, one more is a signal', () => {
      expect(rulesRaised(withCard({ distinctUsers: 2 }))).toEqual([]);
      expect(paymentSignals(SETTINGS, withCard({ distinctUsers: 3 }))).toEqual([
        {
          source: 'rule',
          rule: 'shared_card',
          weight: { severity: 'high', score: 34 },
          evidence: { cardFingerprint: 'fp_1', distinctUsers: 3, limit: 2 },
          dedupeKey: 'shared_card:chg_1',
        },
      ]);
    });

    it('coupon abuse: a first-purchase coupon on a card another user already used for one', () => {
      expect(
        rulesRaised(withCard({ firstPurchaseCoupon: { code: 'WELCOME', otherUsersOnCard: 0 } })),
      ).toEqual([]);
      expect(
        paymentSignals(SETTINGS, withCard({ firstPurchaseCoupon: { code: 'WELCOME', otherUsersOnCard: 1 } })),
      ).toEqual([
        {
          source: 'rule',
          rule: 'coupon_abuse',
          weight: { severity: 'high', score: 36 },
          evidence: { couponCode: 'WELCOME', cardFingerprint: 'fp_1', otherUsersWithFirstPurchaseCoupons: 1 },
          dedupeKey: 'coupon_abuse:chg_1',
        },
      ]);
    });

    it('runs no card rule without a card fingerprint', () => {
      expect(rulesRaised({ ...cleanPayment(), card: null })).toEqual([]);
    });

    it('card testing: fewer declines than the minimum pass, the minimum is a signal', () => {
      expect(rulesRaised({ ...cleanPayment(), declinesBeforeSuccess: 2 })).toEqual([]);
      expect(paymentSignals(SETTINGS, { ...cleanPayment(), declinesBeforeSuccess: 3 })).toEqual([
        {
          source: 'rule',
          rule: 'card_testing',
          weight: { severity: 'high', score: 35 },
          evidence: { declinesBeforeSuccess: 3, windowMinutes: 45 },
          dedupeKey: 'card_testing:chg_1',
        },
      ]);
    });

    it.each([
      [{ card: 'US', client: 'US', profile: 'US' }, false],
      [{ card: 'US', client: 'FR', profile: 'US' }, true],
      [{ card: 'US', client: 'US', profile: 'FR' }, true],
      [{ card: 'US', client: null, profile: null }, false],
      [{ card: 'US', client: null, profile: 'DE' }, true],
      [{ card: null, client: 'FR', profile: 'DE' }, false],
    ])('country mismatch for %j: %s', (countries, mismatched) => {
      const signals = paymentSignals(SETTINGS, { ...cleanPayment(), countries });
      expect(signals).toEqual(
        mismatched
          ? [
              {
                source: 'rule',
                rule: 'country_mismatch',
                weight: { severity: 'low', score: 37 },
                evidence: countries,
                dedupeKey: 'country_mismatch:chg_1',
              },
            ]
          : [],
      );
    });

    it('raises every rule at once in a stable order', () => {
      const facts: PaymentFacts = {
        chargeId: 'chg_9',
        risk: { riskLevel: 'elevated', riskScore: 70, ruleId: null, sellerMessage: null },
        card: {
          fingerprint: 'fp_9',
          chargesInWindow: 3,
          distinctUsers: 3,
          firstPurchaseCoupon: { code: 'WELCOME', otherUsersOnCard: 2 },
        },
        declinesBeforeSuccess: 3,
        countries: { card: 'US', client: 'BR', profile: 'US' },
      };
      expect(paymentSignals(SETTINGS, facts).map((signal) => signal.dedupeKey)).toEqual([
        'radar:chg_9',
        'card_velocity:chg_9',
        'shared_card:chg_9',
        'coupon_abuse:chg_9',
        'card_testing:chg_9',
        'country_mismatch:chg_9',
      ]);
    });
  });

  describe('flag decision', () => {
    it('does not flag without open signals', () => {
      expect(flagDecision(60, [])).toEqual({ flag: false });
      expect(flagDecision(0, [])).toEqual({ flag: false });
    });

    it('does not flag below the threshold', () => {
      expect(
        flagDecision(60, [
          { score: 30, severity: 'medium' },
          { score: 29, severity: 'high' },
        ]),
      ).toEqual({ flag: false });
    });

    it('flags at the threshold, at the worst severity among the open signals', () => {
      expect(
        flagDecision(60, [
          { score: 15, severity: 'low' },
          { score: 30, severity: 'high' },
          { score: 15, severity: 'medium' },
        ]),
      ).toEqual({ flag: true, totalScore: 60, severity: 'high' });
      expect(
        flagDecision(60, [
          { score: 100, severity: 'critical' },
          { score: 1, severity: 'low' },
        ]),
      ).toEqual({
        flag: true,
        totalScore: 101,
        severity: 'critical',
      });
    });
  });

  describe('early fraud warnings', () => {
    const warning = { id: 'issfr_1', fraudType: 'made_with_stolen_card', actionable: true };

    it('become a signal keyed by the warning', () => {
      expect(earlyFraudWarningSignal(SETTINGS, warning)).toEqual({
        source: 'stripe_early_fraud_warning',
        rule: 'early_fraud_warning',
        weight: { severity: 'critical', score: 40 },
        evidence: { warningId: 'issfr_1', fraudType: 'made_with_stolen_card', actionable: true },
        dedupeKey: 'efw:issfr_1',
      });
    });

    it.each([
      [true, true, true],
      [true, false, false],
      [false, true, false],
      [false, false, false],
    ])('autoRefund %s, actionable %s: refund %s', (autoRefund, actionable, refunds) => {
      const settings = { ...SETTINGS, earlyFraudWarning: { ...SETTINGS.earlyFraudWarning, autoRefund } };
      expect(refundsOnEarlyFraudWarning(settings, { actionable })).toBe(refunds);
    });
  });

  describe('Radar reviews', () => {
    it('an open review becomes a signal its approval can find again', () => {
      const signal = openReviewSignal(SETTINGS, { id: 'prv_1', openedReason: 'rule' });
      expect(signal).toEqual({
        source: 'stripe_review',
        rule: 'radar_review',
        weight: { severity: 'medium', score: 41 },
        evidence: { reviewId: 'prv_1', openedReason: 'rule' },
        dedupeKey: 'review:prv_1',
      });
      expect(reviewSignalKey('prv_1')).toBe(signal.dedupeKey);
    });

    it.each([
      ['approved', true],
      ['refunded', false],
      ['refunded_as_fraud', false],
      ['disputed', false],
      [null, false],
    ])('closed as %s dismisses the signal: %s', (closedReason, dismisses) => {
      expect(reviewApprovalDismisses(closedReason)).toBe(dismisses);
    });
  });

  describe('disputes', () => {
    it.each<[ProcessorDispute['status'], DisputeStatus]>([
      ['warning_needs_response', 'needs_response'],
      ['needs_response', 'needs_response'],
      ['warning_under_review', 'under_review'],
      ['under_review', 'under_review'],
      ['warning_closed', 'won'],
      ['won', 'won'],
      ['lost', 'lost'],
      ['prevented', 'other'],
      ['other', 'other'],
    ])("Stripe's %s is our %s", (stripeStatus, ours) => {
      expect(ourDisputeStatus(stripeStatus)).toBe(ours);
    });

    it.each<[ProcessorDispute['status'], boolean]>([
      ['warning_needs_response', true],
      ['warning_under_review', true],
      ['warning_closed', true],
      ['needs_response', false],
      ['under_review', false],
      ['won', false],
      ['lost', false],
      ['prevented', false],
      ['other', false],
    ])("Stripe's %s is an inquiry (no funds withdrawn): %s", (stripeStatus, inquiry) => {
      expect(isDisputeInquiry(stripeStatus)).toBe(inquiry);
    });

    it.each<[DisputeStatus, boolean]>([
      ['won', true],
      ['lost', true],
      ['needs_response', false],
      ['under_review', false],
      ['warning', false],
      ['other', false],
    ])('%s closes the dispute: %s', (status, closed) => {
      expect(isClosedDispute(status)).toBe(closed);
    });

    it("charges the configured fee in the dispute's currency, nothing when none is configured", () => {
      expect(disputeFee(SETTINGS, 'USD')).toBe(1500);
      expect(disputeFee(SETTINGS, 'JPY')).toBe(2000);
      expect(disputeFee(SETTINGS, 'KWD')).toBe(0);
    });

    it.each<DisputeStatus>(['needs_response', 'under_review', 'lost', 'warning', 'other'])(
      'a %s dispute leaves the charge disputed',
      (status) => {
        expect(chargeStatusWithDispute(status, { amount: 10_000, amountRefunded: 0 })).toBe('disputed');
      },
    );

    it('a won dispute returns the charge to what its refunds make it', () => {
      expect(chargeStatusWithDispute('won', { amount: 10_000, amountRefunded: 0 })).toBe('succeeded');
      expect(chargeStatusWithDispute('won', { amount: 10_000, amountRefunded: 2_500 })).toBe(
        'partially_refunded',
      );
      expect(chargeStatusWithDispute('won', { amount: 10_000, amountRefunded: 10_000 })).toBe('refunded');
    });

    it.each([
      [true, false, ['billing.dispute.created']],
      [true, true, ['billing.dispute.created', 'billing.dispute.closed']],
      [false, false, ['billing.dispute.updated']],
      [false, true, ['billing.dispute.closed']],
    ])('new %s, closing %s announces %j', (isNew, closing, events) => {
      expect(disputeEvents({ isNew, closing })).toEqual(events);
    });

    it('a lost dispute becomes a signal keyed by the dispute', () => {
      expect(
        disputeLostSignal(SETTINGS, {
          stripeDisputeId: 'dp_1',
          reason: 'fraudulent',
          amount: 4_900,
          currency: 'USD',
        }),
      ).toEqual({
        source: 'stripe_dispute',
        rule: 'dispute_lost',
        weight: { severity: 'critical', score: 42 },
        evidence: { disputeId: 'dp_1', reason: 'fraudulent', amount: 4_900, currency: 'USD' },
        dedupeKey: 'dispute_lost:dp_1',
      });
    });
  });
});

describe('fraud rules for an invoice payment (a renewal: no checkout session, so no client or profile country)', () => {
  const renewal = (card: Partial<NonNullable<PaymentFacts['card']>>): PaymentFacts => ({
    ...withCard(card),
    countries: { card: 'US', client: null, profile: null },
  });

  it('raises the shared-card signal when the card has more users than the limit', () => {
    expect(rulesRaised(renewal({ distinctUsers: 3 }))).toEqual(['shared_card']);
  });

  it('raises nothing for a card within the limits, and no country mismatch without countries to compare', () => {
    expect(rulesRaised(renewal({ distinctUsers: 2 }))).toEqual([]);
  });
});

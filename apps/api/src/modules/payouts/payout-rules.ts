import type {
  AccountStatus,
  CustomerFraudStatus,
  PayoutIneligibilityReason,
  PayoutSplitView,
} from '@astrix/contracts';
import { computePayoutSplit, type CurrencyCode, max, money, subtract, zero } from '@astrix/pricing';

/** Payout terms of an account product; amounts in minor units of the account's currency. */
export interface PayoutRules {
  /** Trader share by cumulative amount paid to the trader, ascending; the first tier starts at 0. */
  splitTiers: { fromCumulative: number; traderSharePercent: string }[];
  minimumPayout: number;
  /** Most the trader may receive per cycle; null for no cap. */
  capPerCycle: number | null;
  /** Days of trading after funding before the first payout. */
  minTradingDays: number;
  /** Days between payouts; also the window the cap applies to. */
  cycleDays: number;
  /** Payouts above this need two distinct finance approvers; at or below it they approve themselves. */
  fourEyesAbove: number;
}

/** 80/20, 90/10 once $10,000 has been paid; $100 minimum, $10,000 per 14-day cycle. */
export const DEFAULT_PAYOUT_RULES: PayoutRules = {
  splitTiers: [
    { fromCumulative: 0, traderSharePercent: '80' },
    { fromCumulative: 1_000_000, traderSharePercent: '90' },
  ],
  minimumPayout: 10_000,
  capPerCycle: 1_000_000,
  minTradingDays: 5,
  cycleDays: 14,
  fourEyesAbove: 250_000,
};

export const DAY_MS = 24 * 3600 * 1000;

/** What a payout decision needs to know about an account now; gathered by PayoutEligibility. */
export interface PayoutFacts {
  now: Date;
  currency: CurrencyCode;
  accountStatus: AccountStatus;
  startingBalance: number;
  /** The balance the trading platform last reported; null before its first report. */
  reportedBalance: number | null;
  /** When the account last became funded; null when it never was. */
  fundedAt: Date | null;
  kycStatus: string | null;
  fraudStatus: CustomerFraudStatus;
  /** Payouts still holding profit (LIVE_PAYOUT_STATUSES), newest first. */
  livePayouts: ReadonlyArray<{ requestedAt: Date; amount: number; profitConsumed: number }>;
  /** Paid to the trader so far, from the payouts ledger. */
  paidOutTotal: number;
}

export interface PayoutDecision {
  eligible: boolean;
  /** Every rule that refuses a payout now, in a stable order; empty when eligible. */
  reasons: PayoutIneligibilityReason[];
  /** What may be requested now (0 when not eligible). */
  amountAvailable: number;
  /** Unpaid profit and the trader's full share of it (before the cap): a partial payout uses profit pro rata. */
  profit: number;
  traderAmount: number;
  split: PayoutSplitView;
  /** When the timing rules next allow a payout; null when they allow one now. */
  nextEligibleAt: Date | null;
  isFirstPayout: boolean;
}

/** A product's own rules over the defaults; a field it does not set keeps the default. */
export const payoutRulesFor = (custom: Partial<PayoutRules> | null | undefined): PayoutRules => ({
  ...DEFAULT_PAYOUT_RULES,
  ...custom,
});

/** The last time the account became funded, from its status history (oldest first). */
export function lastFundedAt(history: ReadonlyArray<{ to: string; occurredAt: string }>): Date | null {
  const funded = [...history].reverse().find((change) => change.to === 'funded');
  return funded ? new Date(Date.parse(funded.occurredAt)) : null;
}

/**
 * Trading days after funding, then a cycle after the last payout, whichever is later; null before
 * the account is funded (the funding rule refuses it then).
 */
export function nextPayoutAllowedAt(
  rules: PayoutRules,
  fundedAt: Date | null,
  lastPayoutRequestedAt: Date | null,
): Date | null {
  if (!fundedAt) return null;
  const afterFunding = new Date(fundedAt.getTime() + rules.minTradingDays * DAY_MS);
  if (!lastPayoutRequestedAt) return afterFunding;
  const afterLastPayout = new Date(lastPayoutRequestedAt.getTime() + rules.cycleDays * DAY_MS);
  return afterLastPayout > afterFunding ? afterLastPayout : afterFunding;
}

/** Above the four-eyes amount a payout needs two distinct approvers; at or below it, it approves itself. */
export const requiresSecondApproval = (rules: PayoutRules, amount: number): boolean =>
  amount > rules.fourEyesAbove;

/**
 * Whether and how much an account may pay out now: funded (not suspended), KYC verified, no fraud
 * review, a balance reported, past the trading days and the cycle, and a split of the unpaid profit
 * that is payable under the minimum and the cycle cap.
 */
export function decidePayout(rules: PayoutRules, facts: PayoutFacts): PayoutDecision {
  const { currency, livePayouts } = facts;
  const reasons: PayoutIneligibilityReason[] = [];
  if (facts.accountStatus === 'suspended') reasons.push('account_suspended');
  else if (facts.accountStatus !== 'funded') reasons.push('account_not_funded');
  if (facts.kycStatus !== 'verified') reasons.push('kyc_required');
  if (facts.fraudStatus !== 'clear') reasons.push('fraud_review');
  const balanceReported = facts.reportedBalance !== null;
  if (!balanceReported) reasons.push('no_balance_reported');

  const nextAllowed = nextPayoutAllowedAt(rules, facts.fundedAt, livePayouts[0]?.requestedAt ?? null);
  const tooEarly = nextAllowed !== null && nextAllowed > facts.now;
  if (tooEarly) reasons.push('too_early');

  const cycleStart = new Date(facts.now.getTime() - rules.cycleDays * DAY_MS);
  const reportedProfit = subtract(
    money(facts.reportedBalance ?? facts.startingBalance, currency),
    money(facts.startingBalance, currency),
  );
  const consumed = money(
    livePayouts.reduce((total, payout) => total + payout.profitConsumed, 0),
    currency,
  );
  const profit = max(subtract(reportedProfit, consumed), zero(currency));
  const isFirstPayout = livePayouts.length === 0;
  const split = computePayoutSplit({
    profit,
    splitTiers: rules.splitTiers.map((tier) => ({
      fromCumulative: money(tier.fromCumulative, currency),
      traderSharePercent: tier.traderSharePercent,
    })),
    cumulativePaidToTrader: money(facts.paidOutTotal, currency),
    minimumPayout: money(rules.minimumPayout, currency),
    capPerCycle: rules.capPerCycle === null ? null : money(rules.capPerCycle, currency),
    paidThisCycle: money(
      livePayouts
        .filter((payout) => payout.requestedAt >= cycleStart)
        .reduce((total, payout) => total + payout.amount, 0),
      currency,
    ),
    isFirstPayout,
  });
  // Without a reported balance the split says nothing new: no_balance_reported already explains it.
  if (split.status !== 'payable' && balanceReported) reasons.push(split.status);
  const eligible = reasons.length === 0;
  const { segments } = split;
  return {
    eligible,
    reasons,
    amountAvailable: eligible ? split.payableToTrader.amountMinor : 0,
    profit: profit.amountMinor,
    traderAmount: split.traderAmount.amountMinor,
    split: {
      profit: profit.amountMinor,
      traderSharePercent:
        segments[segments.length - 1]?.traderSharePercent ?? rules.splitTiers[0].traderSharePercent,
      traderAmount: split.traderAmount.amountMinor,
      firmAmount: split.firmAmount.amountMinor,
      withheldByCap: split.withheldByCap.amountMinor,
    },
    nextEligibleAt: tooEarly ? nextAllowed : null,
    isFirstPayout,
  };
}

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

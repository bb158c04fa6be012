import type { AccountKind, AccountStatus } from '../events/accounts';
import type { PriceBreakdown } from './billing';

export interface AccountRules {
  /** Percent of the starting balance per phase, decimal strings (e.g. "8"). */
  profitTargetPercent: string[];
  maxDailyLossPercent: string;
  maxTotalLossPercent: string;
  minTradingDays: number;
}

export interface AccountStatusChangeView {
  from: AccountStatus | null;
  to: AccountStatus;
  reason: string;
  actor: string;
  occurredAt: string;
}

export interface AccountView {
  id: string;
  userId: string;
  kind: AccountKind;
  status: AccountStatus;
  /** Whole currency units, e.g. 50000. */
  size: number;
  currency: string;
  phase: number;
  phases: number;
  /** Minor units. */
  startingBalance: number;
  rules: AccountRules;
  productId: string;
  chargeId: string;
  resetCount: number;
  firstTradeAt: string | null;
  createdAt: string;
  updatedAt: string;
  history?: AccountStatusChangeView[];
}

export type TradingOutcomeType = 'passed' | 'failed' | 'breached' | 'funded' | 'closed';

/** What the trading platform reports (`POST /v1/accounts/:id/events`, scope accounts:write). */
export interface TradingOutcomeRequest {
  /** The platform's own event id: a repeat is answered with the first result and changes nothing. */
  eventId: string;
  type: TradingOutcomeType;
  occurredAt: string;
  reason: string;
  metrics?: Record<string, number | string | boolean | null>;
}

export type ResetOffer =
  | { eligible: true; accountId: string; productId: string; breakdown: PriceBreakdown }
  | { eligible: false; accountId: string; reason: string };

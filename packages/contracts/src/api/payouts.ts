import type { PayoutMethod, PayoutStatus, PayoutTaskKind, PayoutTaskStatus } from '../events/payouts';

/** Why an account cannot pay out now; several may apply at once. */
export type PayoutIneligibilityReason =
  | 'account_not_funded'
  | 'account_suspended'
  | 'kyc_required'
  | 'fraud_review'
  | 'no_balance_reported'
  | 'too_early'
  | 'no_profit'
  | 'below_minimum'
  | 'cap_reached';

export interface PayoutSplitView {
  /** Profit not yet paid out, minor units. */
  profit: number;
  traderSharePercent: string;
  traderAmount: number;
  firmAmount: number;
  withheldByCap: number;
}

export interface PayoutEligibilityView {
  accountId: string;
  eligible: boolean;
  reasons: PayoutIneligibilityReason[];
  /** What may be requested now, minor units (0 when not eligible). */
  amountAvailable: number;
  currency: string;
  split: PayoutSplitView;
  /** When the timing rules next allow a payout; null when they allow one now. */
  nextEligibleAt: string | null;
  isFirstPayout: boolean;
  /** Paid to the trader so far, derived from the payouts ledger. */
  paidOutTotal: number;
}

export interface PayoutApprovalView {
  approvedBy: string;
  approvedAt: string;
}

export interface PayoutView {
  id: string;
  accountId: string;
  userId: string;
  method: PayoutMethod;
  status: PayoutStatus;
  amount: number;
  currency: string;
  /** Evaluation fee refunded with this payout (first payout only), minor units. */
  feeRefunded: number;
  requiresSecondApproval: boolean;
  approvals: PayoutApprovalView[];
  attempt: number;
  transferId: string | null;
  failureReason: string | null;
  rejectionReason: string | null;
  requestedAt: string;
  paidAt: string | null;
  updatedAt: string;
}

/** A task for finance beside a final payout (`GET /v1/admin/payout-tasks`). */
export interface PayoutTaskView {
  id: string;
  kind: PayoutTaskKind;
  status: PayoutTaskStatus;
  payoutId: string;
  accountId: string;
  userId: string;
  chargeId: string | null;
  failureCode: string | null;
  failureReason: string | null;
  attempts: number;
  resolution: 'refunded' | 'manual' | null;
  resolutionNote: string | null;
  resolvedBy: string | null;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
}

export interface PayoutRequest {
  accountId: string;
  /** Minor units; all that is available when absent. */
  amount?: number;
  method: PayoutMethod;
}

/** The trading platform's balance of an account (`POST /v1/payouts/balance-snapshots`, accounts:write). */
export interface BalanceSnapshotRequest {
  accountId: string;
  /** Minor units. */
  balance: number;
  reportedAt: string;
}

export type KycStatus = 'pending' | 'verified' | 'rejected';

/** The identity service's KYC verdict for a user (`POST /v1/payouts/kyc-statuses`, kyc:write). */
export interface KycStatusUpdate {
  userId: string;
  status: KycStatus;
  updatedAt: string;
}

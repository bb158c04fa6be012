/** Events produced by the payouts context. */
export type PayoutMethod = 'stripe_connect' | 'bank_transfer' | 'crypto';
export type PayoutStatus =
  'requested' | 'approved' | 'processing' | 'paid' | 'failed' | 'rejected' | 'canceled';

/** The payout as it stands after the change the event announces. */
export interface PayoutEventData {
  payoutId: string;
  accountId: string;
  userId: string;
  status: PayoutStatus;
  method: PayoutMethod;
  /** Minor units paid to the trader (the evaluation fee refund is separate). */
  amount: number;
  currency: string;
  /** Why it was rejected or failed; null otherwise. */
  reason: string | null;
  occurredAt: string;
}

export type PayoutTaskKind = 'fee_refund';
export type PayoutTaskStatus = 'open' | 'resolved';

/**
 * Work for finance beside a payout that is already final: today, a first-payout evaluation fee refund
 * that billing or the processor refused (a disputed charge, a rejected refund).
 */
export interface PayoutTaskEventData {
  taskId: string;
  kind: PayoutTaskKind;
  status: PayoutTaskStatus;
  payoutId: string;
  accountId: string;
  userId: string;
  /** The charge whose fee refund failed. */
  chargeId: string | null;
  /** The refusal's error code (e.g. CHARGE_DISPUTED) and message; null once resolved by a refund. */
  failureCode: string | null;
  failureReason: string | null;
  attempts: number;
  /** How it was resolved: `refunded` by a retry, or `manual` with finance's note. */
  resolution: 'refunded' | 'manual' | null;
  occurredAt: string;
}

export interface PayoutsEventDataByType {
  /** A fee refund failed after its payout was paid; the payout stays paid and a task is open. */
  'payouts.fee_refund.failed': PayoutTaskEventData;
  /** Finance resolved a payout task (a retry refunded the fee, or by hand with a note). */
  'payouts.payout_task.resolved': PayoutTaskEventData;
  'payouts.payout.requested': PayoutEventData;
  'payouts.payout.approved': PayoutEventData;
  'payouts.payout.rejected': PayoutEventData;
  'payouts.payout.paid': PayoutEventData;
  'payouts.payout.failed': PayoutEventData;
}

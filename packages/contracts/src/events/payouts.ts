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

export interface PayoutsEventDataByType {
  'payouts.payout.requested': PayoutEventData;
  'payouts.payout.approved': PayoutEventData;
  'payouts.payout.rejected': PayoutEventData;
  'payouts.payout.paid': PayoutEventData;
  'payouts.payout.failed': PayoutEventData;
}

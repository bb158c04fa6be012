import type { PayoutEventData, PayoutView } from '@astrix/contracts';
import type { Payout } from './payout.entity';

export function toPayoutView(payout: Payout): PayoutView {
  return {
    id: payout.id,
    accountId: payout.accountId,
    userId: payout.userId,
    method: payout.method,
    status: payout.status,
    amount: payout.amount,
    currency: payout.currency,
    feeRefunded: payout.feeRefunded,
    requiresSecondApproval: payout.requiresSecondApproval,
    approvals: payout.approvals,
    attempt: payout.attempt,
    transferId: payout.transferId,
    failureReason: payout.failureReason,
    rejectionReason: payout.rejectionReason,
    requestedAt: payout.requestedAt.toISOString(),
    paidAt: payout.paidAt?.toISOString() ?? null,
    updatedAt: payout.updatedAt.toISOString(),
  };
}

export function payoutEventData(payout: Payout, reason: string | null = null): PayoutEventData {
  return {
    payoutId: payout.id,
    accountId: payout.accountId,
    userId: payout.userId,
    status: payout.status,
    method: payout.method,
    amount: payout.amount,
    currency: payout.currency,
    reason,
    occurredAt: payout.updatedAt.toISOString(),
  };
}

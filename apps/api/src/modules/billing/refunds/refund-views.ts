import type { RefundView } from '@astrix/contracts';
import type { RefundReason } from '@astrix/stripe-client';
import { Refund } from './refund.entity';

export function toRefundView(refund: Refund): RefundView {
  return {
    id: refund.id,
    chargeId: refund.chargeId,
    amount: { amount: refund.amount, currency: refund.currency },
    reason: refund.reason,
    status: refund.status,
    creditNoteId: refund.creditNoteId,
    createdAt: refund.createdAt.toISOString(),
  };
}

/** The processor's reason code for a refund's free-text reason. */
export function processorReasonFor(reason: string): RefundReason {
  const normalized = reason.toLowerCase();
  if (normalized.includes('duplicate')) return 'duplicate';
  if (normalized.includes('fraud')) return 'fraudulent';
  return 'requested_by_customer';
}

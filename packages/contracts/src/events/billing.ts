/** Events produced by the billing context. Amounts are integer minor units of `currency`. */
export type ProductKind = 'evaluation' | 'instant_funded' | 'reset' | 'subscription' | 'add_on';

export interface PaymentCompletedData {
  chargeId: string;
  userId: string;
  customerId: string;
  checkoutSessionId: string;
  productId: string;
  productKind: ProductKind;
  /** Account size in whole currency units (e.g. 50000 for a 50k evaluation), when the product has one. */
  accountSize: number | null;
  /** The account a reset (or add-on) applies to. */
  accountId: string | null;
  amount: number;
  currency: string;
  discountAmount: number;
  couponCode: string | null;
  invoiceId: string;
  paidAt: string;
}

export interface PaymentFailedData {
  checkoutSessionId: string;
  userId: string;
  productId: string;
  amount: number;
  currency: string;
  reason: string;
  declineCode: string | null;
}

export interface RefundProcessedData {
  refundId: string;
  chargeId: string;
  userId: string;
  amount: number;
  currency: string;
  reason: string;
  creditNoteId: string | null;
  /** True when the charge has nothing left to refund. */
  fullyRefunded: boolean;
}

export interface SubscriptionUpdatedData {
  subscriptionId: string;
  userId: string;
  productId: string;
  from: string | null;
  to: string;
  currentPeriodEnd: string | null;
}

export interface FraudFlaggedData {
  customerId: string;
  userId: string;
  severity: 'low' | 'medium' | 'high' | 'critical' | 'blocked';
  signalIds: string[];
  reason: string;
}

export type DisputeStatus = 'needs_response' | 'under_review' | 'won' | 'lost' | 'warning' | 'other';

export interface DisputeData {
  disputeId: string;
  chargeId: string;
  userId: string;
  amount: number;
  currency: string;
  reason: string;
  status: DisputeStatus;
  evidenceDueBy: string | null;
  /** What the dispute cost us beyond the disputed amount (processor fee), minor units. */
  feeAmount: number;
  /** The disputed amount we lost (0 unless lost). */
  lostAmount: number;
}

export interface BillingEventDataByType {
  'billing.payment.completed': PaymentCompletedData;
  'billing.payment.failed': PaymentFailedData;
  'billing.refund.processed': RefundProcessedData;
  'billing.subscription.updated': SubscriptionUpdatedData;
  'billing.fraud.flagged': FraudFlaggedData;
  'billing.dispute.created': DisputeData;
  'billing.dispute.updated': DisputeData;
  'billing.dispute.closed': DisputeData;
}

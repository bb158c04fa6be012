import type { CurrencyCode, ProcessorPage } from './types';

/**
 * What moved our processor balance, in our vocabulary: the reconciliation's view of the
 * processor. Money is signed integer minor units (positive credits our balance), times are
 * `Date`s, processor ids are plain strings.
 */

/**
 * Kinds of balance movement (the names Stripe reports them under). Anything else the processor
 * reports arrives as `other`, with the processor's own name in `processorType`.
 */
export type BalanceTransactionType =
  | 'charge'
  | 'payment'
  | 'refund'
  | 'payment_refund'
  | 'refund_failure'
  | 'payment_failure_refund'
  | 'adjustment'
  | 'stripe_fee'
  | 'application_fee'
  | 'application_fee_refund'
  | 'payout'
  | 'payout_cancel'
  | 'payout_failure'
  | 'transfer'
  | 'transfer_cancel'
  | 'transfer_failure'
  | 'transfer_refund'
  | 'reserve_transaction'
  | 'topup'
  | 'topup_reversal'
  | 'other';

/** Types a listing can be narrowed to (`other` is not a processor type). */
export type BalanceTransactionFilterType = Exclude<BalanceTransactionType, 'other'>;

/**
 * Why an `adjustment` happened: funds withdrawn when a dispute opens, reinstated when it is won,
 * or something else (null for other types).
 */
export type AdjustmentReason = 'dispute_withdrawal' | 'dispute_reinstatement' | 'other';

/** `pending` until `availableOn`, then `available` (and eligible for a payout). */
export type BalanceTransactionStatus = 'pending' | 'available';

/** What the transaction's source id points at. */
export type BalanceTransactionSourceKind = 'charge' | 'refund' | 'dispute' | 'payout' | 'transfer' | 'other';

export interface ProcessorFeeDetail {
  /** e.g. stripe_fee, application_fee, tax. */
  type: string;
  amountMinor: number;
  currency: CurrencyCode;
  description: string | null;
}

export interface ProcessorBalanceTransaction {
  /** txn_… */
  id: string;
  type: BalanceTransactionType;
  /** The processor's own type name (differs from `type` only when `type` is `other`). */
  processorType: string;
  /** Set for `adjustment`s, null otherwise. */
  adjustmentReason: AdjustmentReason | null;
  /** Signed: positive credits the balance (a charge), negative debits it (a refund, a payout). */
  amountMinor: number;
  /** What the processor kept (positive), or gave back (negative, e.g. a dispute fee returned). */
  feeMinor: number;
  /** amountMinor − feeMinor: what the balance moved by. */
  netMinor: number;
  /** The balance's (settlement) currency: amount, fee and net are in it. */
  currency: CurrencyCode;
  /**
   * Set when the movement was presented in another currency and converted into the settlement
   * currency: 1 unit of the presentment currency = this many units of `currency` (an exact decimal
   * string of the processor's rate). Null when no conversion happened.
   */
  exchangeRate: string | null;
  status: BalanceTransactionStatus;
  availableOn: Date;
  createdAt: Date;
  description: string | null;
  /** ch_…, re_…, dp_…/du_…, po_…, tr_… (null for processor fees without a source). */
  sourceId: string | null;
  sourceKind: BalanceTransactionSourceKind | null;
  /** The charge behind a charge, refund or dispute movement: match these to our payment rows. */
  chargeId: string | null;
  paymentIntentId: string | null;
  refundId: string | null;
  disputeId: string | null;
  /** For `payout` and `payout_failure`: the payout itself. */
  payoutId: string | null;
  transferId: string | null;
  feeDetails: ProcessorFeeDetail[];
}

export interface ListBalanceTransactionsQuery {
  /** Created at or after (whole seconds, rounded down: Stripe's `created[gte]`). */
  createdFrom?: Date;
  /** Created before (Stripe's `created[lt]`, rounded up to the next whole second). */
  createdTo?: Date;
  /** Only the transactions an automatic payout swept (the payout's own transaction included). */
  payoutId?: string;
  type?: BalanceTransactionFilterType;
  currency?: CurrencyCode;
  /** The last id of the previous page (`nextCursor`). */
  startingAfter?: string;
  /**
   * Page size, default 100, the processor's maximum. Stripe refuses more; the fake accepts more
   * only when its `maxListLimit` setting allows it (bench use).
   */
  limit?: number;
}

/** Newest first, like every processor list. */
export type BalanceTransactionPage = ProcessorPage<ProcessorBalanceTransaction>;

export type PayoutStatus = 'pending' | 'in_transit' | 'paid' | 'failed' | 'canceled';

/** Money sent from the processor balance to our bank account. */
export interface ProcessorPayout {
  /** po_… */
  id: string;
  /** Positive: what leaves the balance for the bank. */
  amountMinor: number;
  currency: CurrencyCode;
  status: PayoutStatus;
  /** When the bank should receive it (the day, at 00:00 UTC). */
  arrivalDate: Date;
  createdAt: Date;
  /** Made by the processor's payout schedule (true) or requested by us (false). */
  automatic: boolean;
  /** The payout's own balance transaction (type `payout`). */
  balanceTransactionId: string | null;
  /** Set when the payout failed: the `payout_failure` transaction returning the funds. */
  failureBalanceTransactionId: string | null;
  /** e.g. account_closed, no_account, insufficient_funds. */
  failureCode: string | null;
  failureMessage: string | null;
  description: string | null;
}

export interface ListPayoutsQuery {
  arrivalFrom?: Date;
  arrivalTo?: Date;
  createdFrom?: Date;
  createdTo?: Date;
  status?: PayoutStatus;
  startingAfter?: string;
  /** 1..100, default 100. */
  limit?: number;
}

/** The processor balance in one currency. */
export interface ProcessorBalance {
  currency: CurrencyCode;
  /** Can be paid out now. */
  availableMinor: number;
  /** Received but not yet available (charges wait a few days). */
  pendingMinor: number;
}

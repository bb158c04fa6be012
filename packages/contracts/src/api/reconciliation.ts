/** Reconciliation of a UTC day of processor balance transactions against our books (admin API). */

export type ReconciliationStatus = 'running' | 'completed' | 'failed';

export type ReconciliationExceptionKind =
  'unmatched_in_stripe' | 'unmatched_in_books' | 'amount_mismatch' | 'fee_mismatch' | 'payout_mismatch';

export interface ReconciliationCountsView {
  /** Balance transactions of the day reconciled (each once). */
  balanceTransactions: number;
  matched: number;
  /** Rows of ours without a balance transaction by the end of the day. */
  unmatchedInStripe: number;
  /** Balance transactions no row of ours explains (posted to suspense). */
  unmatchedInBooks: number;
  amountMismatch: number;
  feeMismatch: number;
  /** Stripe payouts to the bank created or arriving that day. */
  payouts: number;
  payoutMismatch: number;
}

export interface ReconciliationExceptionView {
  id: string;
  reconciliationId: string;
  date: string;
  kind: ReconciliationExceptionKind;
  /** The record it is about: a balance transaction (txn_…), a row of ours or a payout (po_…). */
  subject: string;
  balanceTransactionId: string | null;
  ourSourceType: string | null;
  ourSourceId: string | null;
  currency: string;
  /** Minor units as the processor reports them (signed; null when it has nothing). */
  processorAmount: number | null;
  /** Minor units as our books hold them (null when we have no row). */
  ourAmount: number | null;
  message: string;
  status: 'open' | 'resolved';
  resolvedBy: string | null;
  resolution: string | null;
  createdAt: string;
  resolvedAt: string | null;
}

export interface ReconciliationView {
  id: string;
  /** The UTC day, YYYY-MM-DD. */
  date: string;
  account: string;
  status: ReconciliationStatus;
  /** Pages of balance transactions committed by the current walk. */
  pages: number;
  /** Set once completed. */
  counts: ReconciliationCountsView | null;
  clean: boolean | null;
  error: string | null;
  requestedBy: string;
  startedAt: string;
  completedAt: string | null;
  /** The run's exceptions, oldest first (paged: `exceptionsCursor`, `limit`). */
  exceptions: { data: ReconciliationExceptionView[]; nextCursor: string | null };
}

export interface ReconciliationRequest {
  /** The UTC day to reconcile, YYYY-MM-DD. */
  date: string;
}

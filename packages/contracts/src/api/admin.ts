import type { DunningView } from './subscriptions';
import type { AccountView } from './accounts';
import type {
  ChargeView,
  CustomerFraudStatus,
  FraudSignalView,
  InvoiceView,
  MoneyView,
  RefundView,
} from './billing';
import type { Page } from './common';
import type { PayoutView } from './payouts';
import type { SubscriptionView } from './subscriptions';
import type { ProductKind } from '../events/billing';

/** How a customer search found the customer. */
export type CustomerSearchMatch =
  | 'customer_id'
  | 'user_id'
  | 'email'
  | 'stripe_customer_id'
  | 'charge_id'
  | 'stripe_charge_id'
  | 'payment_intent_id'
  | 'invoice_id'
  | 'invoice_number'
  | 'card';

export interface CustomerSummaryView {
  id: string;
  userId: string;
  email: string | null;
  stripeCustomerId: string | null;
  fraudStatus: CustomerFraudStatus;
  createdAt: string;
  matchedBy: CustomerSearchMatch;
}

/** The customer's own record plus lifetime figures per currency (minor units). */
export interface CustomerProfileView {
  id: string;
  userId: string;
  email: string | null;
  stripeCustomerId: string | null;
  fraudStatus: CustomerFraudStatus;
  createdAt: string;
  totals: Array<{ currency: string; charges: number; paid: number; refunded: number }>;
}

export interface CouponRedemptionView {
  id: string;
  couponId: string;
  couponCode: string | null;
  /** The checkout payment that redeemed it, or null when a subscription did. */
  chargeId: string | null;
  subscriptionId: string | null;
  discount: MoneyView;
  redeemedAt: string;
}

export interface AuditEntryView {
  id: string;
  actorType: string;
  actorId: string;
  action: string;
  resourceType: string;
  resourceId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  requestId: string | null;
  occurredAt: string;
}

/** Sections of the customer view; each pages on with `GET /v1/admin/customers/:id/<section>`. */
export const CUSTOMER_SECTIONS = [
  'accounts',
  'charges',
  'refunds',
  'invoices',
  'subscriptions',
  'coupons',
  'fraud-signals',
  'payouts',
  'dunning',
  'audit',
] as const;
export type CustomerSection = (typeof CUSTOMER_SECTIONS)[number];

/** Everything support needs about one customer, each list the first page of its section. */
export interface Customer360View {
  profile: CustomerProfileView;
  accounts: Page<AccountView>;
  charges: Page<ChargeView>;
  refunds: Page<RefundView>;
  invoices: Page<InvoiceView>;
  subscriptions: Page<SubscriptionView>;
  coupons: Page<CouponRedemptionView>;
  fraudSignals: Page<FraudSignalView>;
  payouts: Page<PayoutView>;
  /** Unpaid subscription invoices still being collected (active or paused dunning). */
  dunning: Page<DunningView>;
  audit: Page<AuditEntryView>;
}

export interface CreateCreditNoteRequest {
  /** Minor units of the invoice's currency; at most what is still creditable. */
  amount: number;
  reason: string;
}

/** A staff action that takes only a reason (kept in the audit row): regenerate, pause, resume. */
export interface StaffReasonRequest {
  reason: string;
}

/** Regenerate a voided invoice: the reason, and optionally corrected quantities per line position. */
export interface RegenerateInvoiceRequest extends StaffReasonRequest {
  lines?: Array<{ position: number; quantity: number }>;
}

export interface CreditNoteView {
  id: string;
  number: string;
  invoiceId: string;
  refundId: string | null;
  amount: MoneyView;
  /** The tax inside `amount` (given back with it). */
  tax?: MoneyView;
  reason: string;
  issuedAt: string;
  /** Its share of each invoice line, with the tax in it (the customer's list carries them). */
  lines?: CreditNoteLineView[];
}

export interface CreditNoteLineView {
  invoiceLinePosition: number;
  description: string;
  amount: MoneyView;
  tax: MoneyView;
  taxRate: { percentage: string; inclusive: boolean } | null;
}

export type ReportGroupBy = 'day' | 'week' | 'month';

/** One period, currency and product kind of revenue; amounts are minor units of `currency`. */
export interface RevenueRow {
  /** First day of the period (UTC), YYYY-MM-DD; weeks start on Monday. */
  period: string;
  currency: string;
  productKind: RevenueProductKind;
  /**
   * Sales: invoices finalized in the period billing this kind (checkout receipts, renewals, usage and
   * change invoices, however they were settled), less those voided in it.
   */
  charges: number;
  /** List price of what was sold (the ledger's revenue accounts): paid plus discounts. */
  gross: number;
  discounts: number;
  /** Credit notes issued (with or without a refund) and credits granted in the period, by kind. */
  refunds: number;
  /** Disputed amounts lost (when closed) and dispute fees (when opened). */
  disputes: number;
  /** gross − discounts − refunds − disputes. */
  net: number;
}

export interface RevenueTotals {
  currency: string;
  charges: number;
  gross: number;
  discounts: number;
  refunds: number;
  disputes: number;
  net: number;
}

export interface PayoutsPaidRow {
  period: string;
  currency: string;
  payouts: number;
  amount: number;
}

export interface SubscriptionMetricsRow {
  currency: string;
  /**
   * Monthly recurring revenue at the end of the range (or now, if earlier), minor units: what the
   * subscriptions were billed for that instant (plan and proration lines, net of discounts) per month.
   */
  mrr: number;
  activeAtStart: number;
  canceledInPeriod: number;
  /** canceledInPeriod ÷ activeAtStart as a decimal string (4 places), null when none were active. */
  churnRate: string | null;
}

export interface RevenueReport {
  from: string;
  to: string;
  groupBy: ReportGroupBy;
  rows: RevenueRow[];
  totals: RevenueTotals[];
  payoutsPaid: PayoutsPaidRow[];
  subscriptions: SubscriptionMetricsRow[];
}

/**
 * The product kind of a revenue row: a product kind, `usage` (metered usage lines), or
 * `unassigned` (a discount, refund or dispute line of the ledger posted without a product kind).
 */
export type RevenueProductKind = ProductKind | 'usage' | 'unassigned';

/** One account in one currency of the trial balance; amounts are minor units of `currency`. */
export interface TrialBalanceRow {
  account: string;
  name: string;
  type: string;
  normalSide: 'debit' | 'credit';
  currency: string;
  /** Sum of the account's debits and credits up to the instant. */
  debits: number;
  credits: number;
  /** Signed balance on the account's normal side (negative: the account is on its other side). */
  balance: number;
  /** The net balance in the trial balance's two columns: one of them is zero. */
  debitBalance: number;
  creditBalance: number;
}

export interface TrialBalanceTotals {
  currency: string;
  debits: number;
  credits: number;
  debitBalance: number;
  creditBalance: number;
  /** Debits equal credits (and so the debit column equals the credit column). */
  balanced: boolean;
}

export interface TrialBalanceView {
  /** Entries that occurred before this instant count. */
  at: string;
  /** Every currency balanced. */
  balanced: boolean;
  rows: TrialBalanceRow[];
  totals: TrialBalanceTotals[];
}

export interface AccountBalanceRow {
  currency: string;
  debits: number;
  credits: number;
  balance: number;
}

export interface AccountBalanceView {
  account: string;
  name: string;
  type: string;
  normalSide: 'debit' | 'credit';
  at: string;
  customerId: string | null;
  balances: AccountBalanceRow[];
}

/** What a statement line did to the customer's account with us. */
export type StatementLineKind =
  | 'billed'
  | 'voided'
  | 'paid'
  | 'credited'
  | 'credit_applied'
  | 'credit_restored'
  | 'refunded'
  | 'written_off'
  | 'disputed'
  | 'reversed'
  | 'adjustment';

/**
 * One journal entry as it touched the customer's receivable and credit balance in one currency.
 * `debit` raises what the customer owes (billed, credit spent, refund paid out), `credit` lowers it
 * (paid, credited); `balance` is the running balance after the line: positive, the customer owes
 * us; negative, we hold their money (credit or a refund due).
 */
export interface CustomerStatementLine {
  entryId: string;
  occurredAt: string;
  kind: StatementLineKind;
  sourceType: string;
  sourceId: string;
  event: string;
  memo: string | null;
  currency: string;
  debit: number;
  credit: number;
  /** The line's effect on accounts receivable and on the customer's credit balance. */
  receivable: number;
  customerCredit: number;
  balance: number;
}

export interface CustomerStatementCurrency {
  currency: string;
  /** Balance before `from` (receivable − credit held). */
  openingBalance: number;
  debits: number;
  credits: number;
  /** Balance before `to`. */
  closingBalance: number;
  /** Split of the closing balance: open receivable and credit held. */
  closingReceivable: number;
  closingCredit: number;
}

export interface CustomerStatementView extends Page<CustomerStatementLine> {
  customerId: string;
  from: string;
  to: string;
  currencies: CustomerStatementCurrency[];
}

export type QueueJobState = 'failed' | 'waiting' | 'delayed' | 'active' | 'completed';

export interface QueueCountsView {
  name: string;
  counts: Record<QueueJobState | 'paused', number>;
}

export interface QueueJobView {
  id: string;
  queue: string;
  name: string;
  state: string;
  attemptsMade: number;
  failedReason: string | null;
  data: unknown;
  createdAt: string;
  finishedAt: string | null;
}

export interface OutboxBacklogView {
  unpublished: number;
  oldestUnpublishedAt: string | null;
  /** Unpublished events whose publishing failed at least once, oldest first. */
  failing: Array<{
    eventId: string;
    type: string;
    attempts: number;
    lastError: string | null;
    occurredAt: string;
  }>;
  byType: Array<{ type: string; count: number }>;
}

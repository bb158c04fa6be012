import type { ProductKind } from '../events/billing';
import type { CreditNoteView } from './admin';

/** Money on the wire: integer minor units plus an ISO 4217 code (e.g. 29900 + "USD" = $299.00). */
export interface MoneyView {
  amount: number;
  currency: string;
}

export interface ProductAttributes {
  /** Account size in whole currency units, e.g. 50000. */
  accountSize?: number;
  phases?: number;
  /** Profit target per phase, in percent of the starting balance (decimal strings, e.g. "8"). */
  profitTargetPercent?: string[];
  maxDailyLossPercent?: string;
  maxTotalLossPercent?: string;
  minTradingDays?: number;
  platform?: string;
  /** Subscriptions: days of free trial before the first invoice (a trader cannot ask for more). */
  trialDays?: number;
  /**
   * Subscriptions: the plan family its trial counts in (plans of one product line share a key, e.g.
   * `pro`); default: the plan's own product id.
   */
  trialFamily?: string;
  /** Subscriptions: one trial per customer and plan family (default true); false = a trial every time. */
  trialOncePerCustomer?: boolean;
  /** Subscriptions: a default payment method is needed before the trial starts (default false). */
  trialRequiresPaymentMethod?: boolean;
  /**
   * Subscriptions: usage beyond a metered allowance during the trial is `refuse`d (default) or
   * `bill`ed on the first invoice, never free.
   */
  trialOverage?: 'refuse' | 'bill';
  /** Subscriptions: this plan's dunning, overriding the global schedule. */
  dunning?: { retryDays: number[]; finalAction: 'pause' | 'cancel'; pastDueAfterAttempts?: number };
}

export interface PriceView {
  id: string;
  currency: string;
  unitAmount: number;
  recurring: { interval: 'month' | 'year'; intervalCount: number } | null;
}

export interface ProductView {
  id: string;
  kind: ProductKind;
  name: string;
  description: string | null;
  attributes: ProductAttributes;
  status: 'active' | 'archived';
  prices: PriceView[];
}

export interface CreateCheckoutSessionRequest {
  productId: string;
  currency: string;
  couponCode?: string;
  /** Required for resets: the account to reset. */
  accountId?: string;
  successUrl?: string;
  cancelUrl?: string;
}

export interface PriceBreakdown {
  subtotal: MoneyView;
  discount: MoneyView;
  tax: MoneyView;
  total: MoneyView;
  couponCode: string | null;
  lines: Array<{ description: string; amount: MoneyView; discount: MoneyView }>;
  /** How the purchase is taxed (absent on breakdowns made before tax): docs/finance.md "Tax model". */
  taxDetails?: InvoiceTaxDetails & { rateId: string | null; percentage: string | null; inclusive: boolean };
}

export interface CheckoutSessionView {
  id: string;
  status: 'open' | 'completed' | 'expired' | 'failed';
  url: string;
  productId: string;
  accountId: string | null;
  breakdown: PriceBreakdown;
  createdAt: string;
}

export type CouponRejectionReason =
  | 'not_found'
  | 'expired'
  | 'not_for_product'
  | 'below_minimum'
  | 'wrong_currency'
  | 'redemption_limit_reached'
  | 'customer_limit_reached'
  | 'first_purchase_only'
  | 'duration_ended'
  | 'archived';

export type CouponValidation =
  | { valid: true; couponCode: string; breakdown: PriceBreakdown }
  | { valid: false; couponCode: string; reason: CouponRejectionReason; message: string };

export interface ChargeView {
  id: string;
  userId: string;
  productId: string;
  amount: MoneyView;
  amountRefunded: MoneyView;
  status: 'succeeded' | 'partially_refunded' | 'refunded' | 'disputed';
  card: { brand: string | null; last4: string | null; country: string | null } | null;
  riskLevel: string | null;
  couponCode: string | null;
  invoiceId: string | null;
  paidAt: string;
}

export interface RefundView {
  id: string;
  chargeId: string;
  amount: MoneyView;
  reason: string;
  status: 'pending' | 'succeeded' | 'failed' | 'canceled';
  creditNoteId: string | null;
  createdAt: string;
}

export interface CreateRefundRequest {
  /** Minor units; omitted = everything still refundable. */
  amount?: number;
  reason: string;
}

export interface InvoiceLineView {
  description: string;
  quantity: number;
  unitAmount: MoneyView;
  amount: MoneyView;
  discount: MoneyView;
  tax: MoneyView;
  /** purchase, plan, proration_credit, proration_charge or usage. */
  kind: 'purchase' | 'plan' | 'proration_credit' | 'proration_charge' | 'usage';
  periodStart: string | null;
  periodEnd: string | null;
  /** The rate taxed ("20" = 20 %); inclusive: the tax is inside `amount`. Null when untaxed. */
  taxRate: { percentage: string; inclusive: boolean } | null;
}

/** How an invoice was taxed: docs/finance.md "Tax model". */
export interface InvoiceTaxDetails {
  treatment: 'standard' | 'reverse_charge' | 'not_registered' | 'no_tax_details';
  /** The jurisdiction taxed (the customer's country and region). */
  country: string | null;
  region: string | null;
  customerVatId: string | null;
  /** A legend the document must carry (reverse charge), or null. */
  note: string | null;
}

/**
 * A signed, expiring link to an invoice's hosted page (HTML with its PDF), for an email: it opens
 * without a bearer token, for that one invoice, until `expiresAt`.
 */
export interface HostedInvoiceLinkView {
  url: string;
  expiresAt: string;
}

export interface InvoiceView {
  id: string;
  number: string;
  status: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
  userId: string;
  chargeId: string | null;
  currency: string;
  subtotal: number;
  discount: number;
  tax: number;
  total: number;
  amountPaid: number;
  lines: InvoiceLineView[];
  seller: { name: string; address: string; taxId: string | null };
  customer: { userId: string; email: string | null };
  issuedAt: string;
  paidAt: string | null;
  billingReason: 'purchase' | 'subscription_create' | 'subscription_cycle' | 'subscription_update' | 'manual';
  subscriptionId: string | null;
  /** The service period of a subscription invoice's plan lines. */
  periodStart: string | null;
  periodEnd: string | null;
  /** Customer balance spent on this invoice. */
  creditApplied: number;
  /** Left to pay: total − credit applied − paid. */
  amountDue: number;
  /** When the bank asked for 3-D Secure: where the customer confirms the payment. */
  actionUrl: string | null;
  /** On a regenerated invoice, the voided invoice it replaces (one replacement per voided invoice). */
  regeneratedFromInvoiceId: string | null;
  /** Null on invoices issued before tax was computed. */
  taxDetails: InvoiceTaxDetails | null;
  /**
   * The invoice in the reporting currency at the FX snapshot of its finalization day (never
   * today's rate); null when no rate was known that day.
   */
  /** The credit notes issued against it, with their lines and tax (the customer's own view). */
  creditNotes?: CreditNoteView[];
  reporting: {
    currency: string;
    total: number;
    tax: number;
    rate: string;
    source: string;
    asOf: string;
  } | null;
}

export type FraudSeverity = 'low' | 'medium' | 'high' | 'critical';
export type FraudSignalSource =
  'rule' | 'stripe_radar' | 'stripe_early_fraud_warning' | 'stripe_review' | 'stripe_dispute';

export interface FraudSignalView {
  id: string;
  customerId: string;
  userId: string;
  source: FraudSignalSource;
  rule: string;
  severity: FraudSeverity;
  score: number;
  evidence: Record<string, unknown>;
  chargeId: string | null;
  status: 'open' | 'confirmed' | 'dismissed';
  reviewer: string | null;
  notes: string | null;
  createdAt: string;
  reviewedAt: string | null;
}

export type CustomerFraudStatus = 'clear' | 'flagged' | 'blocked';

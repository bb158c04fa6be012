import type { ProductKind } from '@astrix/contracts';

/**
 * The chart of accounts, in code (postings name these codes, the compiler checks them) and in data
 * (`billing.ledger_accounts`, which journal lines reference; a test keeps the two equal).
 *
 * Clearing accounts must return to zero once both sides of a flow are known: recording a charge
 * debits processor clearing, Stripe's balance transaction for it credits it. A clearing balance
 * that stays non-zero past its settlement time is a named exception, not a mystery.
 */
export type LedgerAccountType = 'asset' | 'liability' | 'income' | 'contra_income' | 'expense' | 'equity';

export interface LedgerAccountDefinition {
  readonly code: string;
  readonly name: string;
  readonly type: LedgerAccountType;
  /** The side that increases the account. */
  readonly normalSide: 'debit' | 'credit';
  /** Clearing accounts return to zero when a flow completes. */
  readonly clearing: boolean;
  readonly description: string;
}

const REVENUE_KINDS = ['evaluation', 'instant_funded', 'reset', 'subscription', 'add_on', 'usage'] as const;
export type RevenueKind = (typeof REVENUE_KINDS)[number];

const NORMAL_SIDE: Record<LedgerAccountType, 'debit' | 'credit'> = {
  asset: 'debit',
  expense: 'debit',
  contra_income: 'debit',
  liability: 'credit',
  income: 'credit',
  equity: 'credit',
};

function account(
  code: string,
  name: string,
  type: LedgerAccountType,
  description: string,
  clearing = false,
): LedgerAccountDefinition {
  return { code, name, type, normalSide: NORMAL_SIDE[type], clearing, description };
}

export const CHART_OF_ACCOUNTS = [
  account(
    'processor_clearing',
    'Processor clearing',
    'asset',
    'Charges recorded by us and not yet matched to a Stripe balance transaction (refunds and disputes the other way).',
    true,
  ),
  account('stripe_balance_pending', 'Stripe balance, pending', 'asset', 'Funds at Stripe not yet available.'),
  account(
    'stripe_balance_available',
    'Stripe balance, available',
    'asset',
    'Funds at Stripe available for payout.',
  ),
  account(
    'bank_in_transit',
    'Bank, payouts in transit',
    'asset',
    'Stripe payouts to the bank not yet arrived.',
    true,
  ),
  account('bank', 'Bank', 'asset', 'Stripe payouts that arrived at the bank.'),
  account('accounts_receivable', 'Accounts receivable', 'asset', 'Finalized invoices not yet paid.'),
  account('dispute_held', 'Funds held in disputes', 'asset', 'Amounts Stripe withdrew for open disputes.'),
  account(
    'customer_credit',
    'Customer credit balances',
    'liability',
    'Credit customers hold and can spend on invoices.',
  ),
  account('deferred_revenue', 'Deferred revenue', 'liability', 'Billed and not yet earned.'),
  account('tax_payable', 'Tax payable', 'liability', 'Tax collected on invoices, owed to authorities.'),
  account(
    'trader_payouts_payable',
    'Trader payouts payable',
    'liability',
    'Payouts reserved for traders and not yet paid.',
  ),
  account(
    'trader_payouts_clearing',
    'Trader payouts clearing',
    'asset',
    'Trader payouts sent and not yet matched to the processor transfer.',
    true,
  ),
  ...REVENUE_KINDS.map((kind) =>
    account(
      `revenue_${kind}`,
      `Revenue, ${kind.replace('_', ' ')}`,
      'income',
      `Revenue from ${kind.replace('_', ' ')} sales.`,
    ),
  ),
  account('discounts', 'Discounts', 'contra_income', 'Coupon discounts given on invoices.'),
  account(
    'refunds',
    'Refunds and credits',
    'contra_income',
    'Refunds and credit notes given back to customers.',
  ),
  account('processor_fees', 'Processor fees', 'expense', 'Stripe fees on charges.'),
  account('dispute_losses', 'Dispute losses', 'expense', 'Disputed amounts lost.'),
  account('dispute_fees', 'Dispute fees', 'expense', 'Stripe fees on disputes.'),
  account('trader_payouts_expense', 'Trader profit share', 'expense', 'Profit share owed to funded traders.'),
  account(
    'bad_debt',
    'Bad debt',
    'expense',
    'Invoices written off as uncollectible; a late payment of one recovers it.',
  ),
  account(
    'fx_gains_losses',
    'FX gains and losses',
    'expense',
    'Differences from currency conversion (a gain is a credit).',
  ),
  account(
    'currency_conversion',
    'Currency conversion',
    'asset',
    'Movements booked in one currency and settled by the processor in another, at our snapshot rate (nets to zero in the reporting currency).',
  ),
  account(
    'suspense',
    'Suspense',
    'asset',
    'Processor movements not explained by our rows, until resolved.',
    true,
  ),
] as const satisfies readonly LedgerAccountDefinition[];

export type LedgerAccountCode = (typeof CHART_OF_ACCOUNTS)[number]['code'];

const BY_CODE = new Map<string, LedgerAccountDefinition>(
  CHART_OF_ACCOUNTS.map((entry) => [entry.code, entry]),
);

export function ledgerAccount(code: LedgerAccountCode): LedgerAccountDefinition {
  const found = BY_CODE.get(code);
  if (found === undefined) throw new Error(`unknown ledger account ${code}`);
  return found;
}

export function isLedgerAccountCode(code: string): code is LedgerAccountCode {
  return BY_CODE.has(code);
}

/** Where a sale of a product kind earns its revenue. */
export function revenueAccount(kind: ProductKind | 'usage'): LedgerAccountCode {
  switch (kind) {
    case 'evaluation':
      return 'revenue_evaluation';
    case 'instant_funded':
      return 'revenue_instant_funded';
    case 'reset':
      return 'revenue_reset';
    case 'subscription':
      return 'revenue_subscription';
    case 'add_on':
      return 'revenue_add_on';
    case 'usage':
      return 'revenue_usage';
  }
}

import type Stripe from 'stripe';
import type {
  AdjustmentReason,
  BalanceTransactionSourceKind,
  BalanceTransactionStatus,
  BalanceTransactionType,
  PayoutStatus,
  ProcessorBalance,
  ProcessorBalanceTransaction,
  ProcessorFeeDetail,
  ProcessorPayout,
} from '../port/balance-types';
import { fromUnixSeconds, idOf } from '../stripe-fields';
import { minorOf, toCurrencyCode } from './stripe-mappers';

// Stripe balance transactions, payouts and balance → our vocabulary.

const BALANCE_TRANSACTION_TYPES: readonly BalanceTransactionType[] = [
  'charge',
  'payment',
  'refund',
  'payment_refund',
  'refund_failure',
  'payment_failure_refund',
  'adjustment',
  'stripe_fee',
  'application_fee',
  'application_fee_refund',
  'payout',
  'payout_cancel',
  'payout_failure',
  'transfer',
  'transfer_cancel',
  'transfer_failure',
  'transfer_refund',
  'reserve_transaction',
  'topup',
  'topup_reversal',
];

const PAYOUT_STATUSES: readonly PayoutStatus[] = ['pending', 'in_transit', 'paid', 'failed', 'canceled'];

/** What a source id points at, by Stripe's id prefixes (py_/pyr_ are non-card payments and refunds). */
export function sourceKindOf(sourceId: string): BalanceTransactionSourceKind {
  if (sourceId.startsWith('ch_') || sourceId.startsWith('py_')) return 'charge';
  if (sourceId.startsWith('re_') || sourceId.startsWith('pyr_')) return 'refund';
  if (sourceId.startsWith('dp_') || sourceId.startsWith('du_')) return 'dispute';
  if (sourceId.startsWith('po_')) return 'payout';
  if (sourceId.startsWith('tr_')) return 'transfer';
  return 'other';
}

interface SourceLinks {
  chargeId: string | null;
  paymentIntentId: string | null;
  refundId: string | null;
  disputeId: string | null;
  payoutId: string | null;
  transferId: string | null;
}

type ExpandedSource = { id?: string; object?: string } & Record<string, unknown>;

function stringField(source: ExpandedSource, field: string): string | null {
  const value = source[field];
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'id' in value && typeof value.id === 'string') {
    return value.id;
  }
  return null;
}

/**
 * The ids a transaction can be matched on. With the source expanded (`expand[]=data.source`), a
 * refund or dispute also names its charge and payment intent, and a charge its payment intent.
 */
function linksOf(
  kind: BalanceTransactionSourceKind | null,
  sourceId: string | null,
  expanded: ExpandedSource | null,
): SourceLinks {
  const links: SourceLinks = {
    chargeId: null,
    paymentIntentId: null,
    refundId: null,
    disputeId: null,
    payoutId: null,
    transferId: null,
  };
  if (sourceId === null) return links;
  const field = (name: string): string | null => (expanded === null ? null : stringField(expanded, name));
  switch (kind) {
    case 'charge':
      return { ...links, chargeId: sourceId, paymentIntentId: field('payment_intent') };
    case 'refund':
      return {
        ...links,
        refundId: sourceId,
        chargeId: field('charge'),
        paymentIntentId: field('payment_intent'),
      };
    case 'dispute':
      return {
        ...links,
        disputeId: sourceId,
        chargeId: field('charge'),
        paymentIntentId: field('payment_intent'),
      };
    case 'payout':
      return { ...links, payoutId: sourceId };
    case 'transfer':
      return { ...links, transferId: sourceId };
    case 'other':
    case null:
      return links;
  }
}

function adjustmentReasonOf(transaction: Stripe.BalanceTransaction): AdjustmentReason | null {
  if (transaction.type !== 'adjustment') return null;
  switch (transaction.reporting_category) {
    case 'dispute':
      return 'dispute_withdrawal';
    case 'dispute_reversal':
      return 'dispute_reinstatement';
    default:
      return 'other';
  }
}

function toFeeDetail(detail: Stripe.BalanceTransaction.FeeDetail): ProcessorFeeDetail {
  return {
    type: detail.type,
    amountMinor: minorOf(detail.amount, detail.currency),
    currency: toCurrencyCode(detail.currency),
    description: detail.description,
  };
}

/** Stripe's `exchange_rate` (a JSON number) as an exact decimal string, never in exponent notation. */
export function decimalOf(rate: number): string {
  const plain = String(rate);
  if (!/e/i.test(plain)) return plain;
  return rate.toFixed(20).replace(/\.?0+$/, '');
}

export function toBalanceTransaction(transaction: Stripe.BalanceTransaction): ProcessorBalanceTransaction {
  const source = transaction.source;
  const sourceId = idOf(source);
  const expanded =
    typeof source === 'object' && source !== null ? (source as unknown as ExpandedSource) : null;
  const kind = sourceId === null ? null : sourceKindOf(sourceId);
  const type = BALANCE_TRANSACTION_TYPES.find((candidate) => candidate === transaction.type) ?? 'other';
  const status: BalanceTransactionStatus = transaction.status === 'available' ? 'available' : 'pending';
  return {
    id: transaction.id,
    type,
    processorType: transaction.type,
    adjustmentReason: adjustmentReasonOf(transaction),
    amountMinor: minorOf(transaction.amount, transaction.currency),
    feeMinor: minorOf(transaction.fee, transaction.currency),
    netMinor: minorOf(transaction.net, transaction.currency),
    currency: toCurrencyCode(transaction.currency),
    exchangeRate: transaction.exchange_rate === null ? null : decimalOf(transaction.exchange_rate),
    status,
    availableOn: fromUnixSeconds(transaction.available_on),
    createdAt: fromUnixSeconds(transaction.created),
    description: transaction.description,
    sourceId,
    sourceKind: kind,
    ...linksOf(kind, sourceId, expanded),
    feeDetails: transaction.fee_details.map(toFeeDetail),
  };
}

export function toPayout(payout: Stripe.Payout): ProcessorPayout {
  return {
    id: payout.id,
    amountMinor: minorOf(payout.amount, payout.currency, 'payout'),
    currency: toCurrencyCode(payout.currency),
    status: PAYOUT_STATUSES.find((candidate) => candidate === payout.status) ?? 'pending',
    arrivalDate: fromUnixSeconds(payout.arrival_date),
    createdAt: fromUnixSeconds(payout.created),
    automatic: payout.automatic,
    balanceTransactionId: idOf(payout.balance_transaction),
    failureBalanceTransactionId: idOf(payout.failure_balance_transaction),
    failureCode: payout.failure_code,
    failureMessage: payout.failure_message,
    description: payout.description,
  };
}

/** One entry per currency present in either the available or the pending list. */
export function toBalances(balance: Stripe.Balance): ProcessorBalance[] {
  const byCurrency = new Map<string, ProcessorBalance>();
  const entry = (currency: string): ProcessorBalance => {
    const code = toCurrencyCode(currency);
    let current = byCurrency.get(code);
    if (current === undefined) {
      current = { currency: code, availableMinor: 0, pendingMinor: 0 };
      byCurrency.set(code, current);
    }
    return current;
  };
  for (const available of balance.available)
    entry(available.currency).availableMinor += minorOf(available.amount, available.currency);
  for (const pending of balance.pending)
    entry(pending.currency).pendingMinor += minorOf(pending.amount, pending.currency);
  return [...byCurrency.values()];
}

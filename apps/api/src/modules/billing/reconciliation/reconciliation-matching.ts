import {
  add,
  convert,
  currencyExponent,
  type ExchangeRateSnapshot,
  negate,
  percentageOf,
  realisedFx,
  subtract,
  toDecimalString,
  type Money,
} from '@astrix/pricing';
import { storedMoney } from '../money';
import type { ProcessorBalanceTransaction } from '@astrix/stripe-client';
import type { LedgerAccountCode } from '../ledger/chart-of-accounts';
import type { JournalLineDraft } from '../ledger/journal.service';
import type { FxSnapshot } from '../fx/fx-snapshot';
import type { ReconciliationExceptionKind, ReconciliationOutcome } from './reconciliation.entity';

/**
 * The pure half of reconciliation: what kind of movement a processor balance transaction is, which
 * of our rows it should match, how it compares, and the journal lines it posts. No I/O.
 */

/** What moved the processor balance, in our terms. */
export type MovementKind =
  | 'charge'
  | 'refund'
  | 'refund_failure'
  | 'dispute_withdrawal'
  | 'dispute_reinstatement'
  | 'transfer'
  | 'payout'
  | 'payout_return'
  | 'processor_fee'
  | 'other';

export function movementKind(
  txn: Pick<ProcessorBalanceTransaction, 'type' | 'adjustmentReason'>,
): MovementKind {
  switch (txn.type) {
    case 'charge':
    case 'payment':
      return 'charge';
    case 'refund':
    case 'payment_refund':
      return 'refund';
    case 'refund_failure':
    case 'payment_failure_refund':
      return 'refund_failure';
    case 'adjustment':
      if (txn.adjustmentReason === 'dispute_withdrawal') return 'dispute_withdrawal';
      if (txn.adjustmentReason === 'dispute_reinstatement') return 'dispute_reinstatement';
      return 'other';
    case 'transfer':
      return 'transfer';
    case 'payout':
      return 'payout';
    case 'payout_cancel':
    case 'payout_failure':
      return 'payout_return';
    case 'stripe_fee':
      return 'processor_fee';
    case 'application_fee':
    case 'application_fee_refund':
    case 'transfer_cancel':
    case 'transfer_failure':
    case 'transfer_refund':
    case 'reserve_transaction':
    case 'topup':
    case 'topup_reversal':
    case 'other':
      return 'other';
  }
}

/** The kind of our row a movement is matched to, by the processor id it carries. */
export type OurRowType = 'charge' | 'refund' | 'dispute' | 'trader_payout';

/** Which of our tables, and which processor id, a movement of this kind is looked up by. */
export function lookupOf(
  txn: ProcessorBalanceTransaction,
): { type: OurRowType; key: string; fallbackKey: string | null } | null {
  switch (movementKind(txn)) {
    case 'charge':
      return (txn.chargeId ?? txn.sourceId)
        ? { type: 'charge', key: (txn.chargeId ?? txn.sourceId) as string, fallbackKey: txn.paymentIntentId }
        : null;
    case 'refund':
    case 'refund_failure':
      return txn.refundId ? { type: 'refund', key: txn.refundId, fallbackKey: null } : null;
    case 'dispute_withdrawal':
    case 'dispute_reinstatement':
      return txn.disputeId ? { type: 'dispute', key: txn.disputeId, fallbackKey: null } : null;
    case 'transfer':
      return txn.transferId ? { type: 'trader_payout', key: txn.transferId, fallbackKey: null } : null;
    case 'payout':
    case 'payout_return':
    case 'processor_fee':
    case 'other':
      return null;
  }
}

/** A row of ours a movement matched. `amount` is positive, as our tables hold it. */
export interface OurRow {
  readonly type: OurRowType;
  readonly id: string;
  readonly amount: number;
  readonly currency: string;
  /** A dispute's fee our `dispute.opened` already expensed (0 for everything else). */
  readonly feeBooked: number;
  /** When our books recorded it (its entry's instant): the day of the FX snapshot it was valued at. */
  readonly bookedAt: Date | null;
}

/** How a fee is expected: the processor's published schedule, per currency's decimals. */
export interface FeeScheduleLine {
  /** e.g. '2.9' */
  readonly percent: string;
  readonly fixedMinor: number;
}
export interface FeeSchedule {
  /** Lines per currency (upper case); a currency without one uses `byExponent` of its decimals. */
  readonly byCurrency: Readonly<Record<string, FeeScheduleLine>>;
  readonly byExponent: Readonly<Record<number, FeeScheduleLine>>;
}

/** Stripe's standard card pricing: 2.9 % + 30 (two decimals), 3.6 % (none), 2.9 % + 300 (three). */
export const STANDARD_FEE_SCHEDULE: FeeSchedule = {
  byCurrency: {},
  byExponent: {
    0: { percent: '3.6', fixedMinor: 0 },
    2: { percent: '2.9', fixedMinor: 30 },
    3: { percent: '2.9', fixedMinor: 300 },
  },
};

/** The fee the schedule expects on a charge of `amount` (half-up, as processors round); null when none applies. */
export function scheduledFee(schedule: FeeSchedule, amount: Money): Money | null {
  const line = schedule.byCurrency[amount.currency] ?? schedule.byExponent[currencyExponent(amount.currency)];
  if (!line) return null;
  return add(percentageOf(amount, line.percent, 'half_up'), storedMoney(line.fixedMinor, amount.currency));
}

export interface ExceptionDraft {
  readonly kind: ReconciliationExceptionKind;
  readonly subject: string;
  readonly balanceTransactionId: string | null;
  readonly ourSourceType: string | null;
  readonly ourSourceId: string | null;
  readonly currency: string;
  readonly processorAmount: number | null;
  readonly ourAmount: number | null;
  readonly message: string;
}

export interface ReconciledMovement {
  readonly outcome: ReconciliationOutcome;
  readonly ourSourceType: string | null;
  readonly ourSourceId: string | null;
  /** Our row's amount signed as the processor's movement (null when nothing matched). */
  readonly ourAmount: number | null;
  /** Signed amounts per account (positive debits): summed per page into one entry. */
  readonly postings: readonly Posting[];
  readonly exceptions: readonly ExceptionDraft[];
}

/** A signed amount on an account; `fx` when it is valued at another rate than the entry's day's. */
export interface Posting {
  readonly account: LedgerAccountCode;
  readonly amount: Money;
  readonly fx?: FxSnapshot;
}

/**
 * Our snapshot rate from a row's currency to the settlement currency on the row's day, with the
 * row currency's snapshot to the reporting currency that day: the rate the row was booked at, which
 * the row-currency half of the conversion is valued at (so it nets to zero in the reporting currency
 * whatever day the reconciliation entry falls on).
 */
export interface BookedRate extends ExchangeRateSnapshot {
  readonly rowSnapshot?: FxSnapshot;
}

const show = (m: Money): string => `${toDecimalString(m)} ${m.currency}`;

/** The account our side booked a movement of this kind against (what the processor's side clears). */
function clearingAccount(kind: MovementKind): LedgerAccountCode {
  switch (kind) {
    case 'transfer':
      return 'trader_payouts_clearing';
    case 'payout':
    case 'payout_return':
      return 'bank_in_transit';
    case 'processor_fee':
      return 'processor_fees';
    case 'other':
      return 'suspense';
    case 'charge':
    case 'refund':
    case 'refund_failure':
    case 'dispute_withdrawal':
    case 'dispute_reinstatement':
      return 'processor_clearing';
  }
}

/** Our row's amount with the sign the processor gives the movement (money in positive). */
function signedOurAmount(kind: MovementKind, row: OurRow): number {
  switch (kind) {
    case 'charge':
    case 'refund_failure':
    case 'dispute_reinstatement':
      return row.amount;
    case 'refund':
    case 'dispute_withdrawal':
    case 'transfer':
      return -row.amount;
    case 'payout':
    case 'payout_return':
    case 'processor_fee':
    case 'other':
      return 0;
  }
}

/** Kinds that explain themselves: the processor's own payouts and fees need no row of ours. */
const SELF_EXPLAINED: ReadonlySet<MovementKind> = new Set(['payout', 'payout_return', 'processor_fee']);

/**
 * Compares one balance transaction with the row of ours it matched (or none) and says what it
 * posts. Every movement posts its net to `stripe_balance_pending` (funds become available later,
 * by `processor.available`) and its fee to the fee account; the other side clears what our own
 * entry booked (`processor_clearing` for charges, refunds and disputes, `trader_payouts_clearing`
 * for transfers, `bank_in_transit` for payouts to the bank); what our row does not explain goes to
 * `suspense`. The postings always balance: net + fee = amount.
 */
export function reconcileMovement(
  txn: ProcessorBalanceTransaction,
  row: OurRow | null,
  schedule: FeeSchedule,
  /**
   * When the processor settled our row's currency into another (its `exchangeRate` set): our
   * snapshot rate from the row's currency to the settlement currency on the row's day (null when our
   * rate table has none: then it is an amount mismatch, as before).
   */
  bookedRate: BookedRate | null = null,
): ReconciledMovement {
  const kind = movementKind(txn);
  const currency = txn.currency;
  const amount = storedMoney(txn.amountMinor, currency);
  const fee = storedMoney(txn.feeMinor, currency);
  const net = storedMoney(txn.netMinor, currency);
  const feeAccount: LedgerAccountCode =
    kind === 'dispute_withdrawal' || kind === 'dispute_reinstatement' ? 'dispute_fees' : 'processor_fees';
  const source = txn.sourceId ?? txn.id;
  const exceptions: ExceptionDraft[] = [];

  if (SELF_EXPLAINED.has(kind)) {
    const ourSourceType = kind === 'processor_fee' ? null : 'processor_payout';
    return {
      outcome: 'matched',
      ourSourceType,
      ourSourceId: ourSourceType ? (txn.payoutId ?? txn.sourceId) : null,
      ourAmount: txn.amountMinor,
      postings: [
        { account: 'stripe_balance_pending', amount: net },
        { account: feeAccount, amount: fee },
        { account: clearingAccount(kind), amount: negate(amount) },
      ],
      exceptions,
    };
  }

  if (row === null) {
    exceptions.push({
      kind: 'unmatched_in_books',
      subject: txn.id,
      balanceTransactionId: txn.id,
      ourSourceType: null,
      ourSourceId: null,
      currency,
      processorAmount: txn.amountMinor,
      ourAmount: null,
      message: `${txn.type} ${source} of ${show(amount)} (balance transaction ${txn.id}) has no row in our books; posted to suspense`,
    });
    return {
      outcome: 'unmatched_in_books',
      ourSourceType: null,
      ourSourceId: null,
      ourAmount: null,
      postings: [
        { account: 'stripe_balance_pending', amount: net },
        { account: feeAccount, amount: fee },
        { account: 'suspense', amount: negate(amount) },
      ],
      exceptions,
    };
  }

  if (
    row.currency !== currency &&
    txn.exchangeRate !== null &&
    bookedRate !== null &&
    bookedRate.from === row.currency &&
    bookedRate.to === currency
  ) {
    return reconcileConverted(txn, row, schedule, bookedRate, kind, feeAccount);
  }

  const sameCurrency = row.currency === currency;
  const ours = sameCurrency ? storedMoney(signedOurAmount(kind, row), currency) : storedMoney(0, currency);
  // Only a withdrawal's fee was booked by our side (`dispute.opened`); a won dispute books none.
  const feeBooked = storedMoney(sameCurrency && kind === 'dispute_withdrawal' ? row.feeBooked : 0, currency);
  const difference = subtract(amount, ours);
  const mismatched = !sameCurrency || difference.amountMinor !== 0;
  if (mismatched) {
    const oursShown = `${toDecimalString(storedMoney(signedOurAmount(kind, row), row.currency))} ${row.currency}`;
    exceptions.push({
      kind: 'amount_mismatch',
      subject: txn.id,
      balanceTransactionId: txn.id,
      ourSourceType: row.type,
      ourSourceId: row.id,
      currency,
      processorAmount: txn.amountMinor,
      ourAmount: sameCurrency ? ours.amountMinor : signedOurAmount(kind, row),
      message: sameCurrency
        ? `${txn.type} ${source}: Stripe ${show(amount)}, our ${row.type} ${row.id} ${oursShown}; difference ${show(difference)} posted to suspense`
        : `${txn.type} ${source}: Stripe ${show(amount)}, our ${row.type} ${row.id} ${oursShown} (another currency); Stripe's amount posted to suspense`,
    });
  }

  const feeException = feeMismatch(txn, row, kind, schedule, amount, fee, feeBooked);
  if (feeException) exceptions.push(feeException);

  return {
    outcome: mismatched ? 'amount_mismatch' : 'matched',
    ourSourceType: row.type,
    ourSourceId: row.id,
    ourAmount: sameCurrency ? ours.amountMinor : signedOurAmount(kind, row),
    postings: [
      { account: 'stripe_balance_pending', amount: net },
      // A dispute's fee was expensed when it opened: only the difference is booked here.
      { account: feeAccount, amount: subtract(fee, feeBooked) },
      // Clear what our entry booked: the movement's amount, and a withdrawn dispute's fee with it.
      { account: clearingAccount(kind), amount: negate(subtract(ours, feeBooked)) },
      { account: 'suspense', amount: negate(difference) },
    ],
    exceptions,
  };
}

/**
 * A movement our books hold in one currency (a EUR charge in `processor_clearing`) that the processor
 * settled into another (USD, at its own `exchangeRate`). Our side is cleared in its own currency and
 * passes through `currency_conversion` at our snapshot rate into the settlement currency; what the
 * processor's settlement differs from that is realised FX, to `fx_gains_losses` (a gain a credit).
 * In the row's currency: Dr currency_conversion, Cr clearing. In the settlement currency: Dr
 * pending (net), Dr fees, Cr currency_conversion (ours at our rate), and the difference to FX.
 */
function reconcileConverted(
  txn: ProcessorBalanceTransaction,
  row: OurRow,
  schedule: FeeSchedule,
  bookedRate: BookedRate,
  kind: MovementKind,
  feeAccount: LedgerAccountCode,
): ReconciledMovement {
  const currency = txn.currency;
  const amount = storedMoney(txn.amountMinor, currency);
  const fee = storedMoney(txn.feeMinor, currency);
  const net = storedMoney(txn.netMinor, currency);
  const oursOriginal = storedMoney(signedOurAmount(kind, row), row.currency);
  const feeBookedOriginal = storedMoney(kind === 'dispute_withdrawal' ? row.feeBooked : 0, row.currency);
  const fx = realisedFx(oursOriginal, bookedRate, amount);
  const feeBooked = convert(feeBookedOriginal, bookedRate).amount;
  const clearedOriginal = subtract(oursOriginal, feeBookedOriginal);
  const clearedSettled = subtract(fx.booked, feeBooked);
  const exceptions: ExceptionDraft[] = [];
  const feeException = feeMismatch(txn, row, kind, schedule, amount, fee, feeBooked);
  if (feeException) exceptions.push(feeException);
  return {
    outcome: 'matched',
    ourSourceType: row.type,
    ourSourceId: row.id,
    ourAmount: fx.booked.amountMinor,
    postings: [
      // Our side, in the row's currency, valued at the rate it was booked at (the row's day).
      { account: clearingAccount(kind), amount: negate(clearedOriginal), fx: bookedRate.rowSnapshot },
      { account: 'currency_conversion', amount: clearedOriginal, fx: bookedRate.rowSnapshot },
      // The processor's side, in the settlement currency.
      { account: 'stripe_balance_pending', amount: net },
      { account: feeAccount, amount: subtract(fee, feeBooked) },
      { account: 'currency_conversion', amount: negate(clearedSettled) },
      { account: 'fx_gains_losses', amount: negate(fx.difference) },
    ],
    exceptions,
  };
}

/**
 * The fee Stripe kept against the one we expect (a charge's from the schedule, a withdrawn dispute's
 * as booked when it opened, none on other movements; a reinstatement's is not checked), in the
 * settlement currency: an exception when they differ. The fee is booked as charged either way.
 */
function feeMismatch(
  txn: ProcessorBalanceTransaction,
  row: OurRow,
  kind: MovementKind,
  schedule: FeeSchedule,
  amount: Money,
  fee: Money,
  feeBooked: Money,
): ExceptionDraft | null {
  const expectedFee =
    kind === 'charge'
      ? scheduledFee(schedule, amount)
      : kind === 'dispute_withdrawal'
        ? feeBooked
        : kind === 'dispute_reinstatement'
          ? null
          : storedMoney(0, txn.currency);
  if (expectedFee === null || expectedFee.amountMinor === fee.amountMinor) return null;
  return {
    kind: 'fee_mismatch',
    subject: txn.id,
    balanceTransactionId: txn.id,
    ourSourceType: row.type,
    ourSourceId: row.id,
    currency: txn.currency,
    processorAmount: fee.amountMinor,
    ourAmount: expectedFee.amountMinor,
    message: `${txn.type} ${txn.sourceId ?? txn.id}: Stripe kept a fee of ${show(fee)}, ${kind === 'charge' ? 'its schedule says' : 'we expected'} ${show(expectedFee)}; the fee is booked as charged`,
  };
}

/**
 * Sums signed postings per account, currency and FX snapshot (if one is given) into journal lines
 * (positive debits, negative credits), dropping zeros: one entry for a whole page of movements.
 */
export function postingLines(postings: Iterable<Posting>): JournalLineDraft[] {
  const totals = new Map<string, Posting>();
  for (const posting of postings) {
    const fx = posting.fx;
    const key = `${posting.account}|${posting.amount.currency}|${fx ? `${fx.reportingCurrency}|${fx.rate}|${fx.source}|${fx.asOf.toISOString()}` : ''}`;
    const current = totals.get(key);
    totals.set(key, {
      account: posting.account,
      amount: current ? add(current.amount, posting.amount) : posting.amount,
      ...(fx ? { fx } : {}),
    });
  }
  const lines: JournalLineDraft[] = [];
  for (const { account, amount, fx } of totals.values()) {
    const valued = fx ? { fx } : {};
    if (amount.amountMinor > 0)
      lines.push({ account, currency: amount.currency, debit: amount.amountMinor, ...valued });
    else if (amount.amountMinor < 0)
      lines.push({ account, currency: amount.currency, credit: -amount.amountMinor, ...valued });
  }
  return lines;
}

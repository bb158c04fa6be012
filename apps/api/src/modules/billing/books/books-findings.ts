import { abs, compare, isPositive, subtract, sum, toDecimalString, type Money } from '@astrix/pricing';
import { storedMoney } from '../money';

/**
 * What `books check` reports. The kinds are stable: finance's runbook (docs/runbooks/books-check.md),
 * scripts reading `--json` and alert rules key on them.
 */
export const BOOKS_FINDING_KINDS = [
  /** An invoice kept more than one payment (the extras are not refunded). */
  'invoice_paid_more_than_once',
  /** A charge whose receipt or invoice does not exist. */
  'charge_without_invoice',
  /** A refund still pending past the bound: money promised back, reserved, not settled. */
  'refund_pending_too_long',
  /** Refunds (succeeded and pending) of a charge add up to more than the charge. */
  'refunded_more_than_charged',
  /** Credit notes of an invoice add up to more than the invoice. */
  'credited_more_than_invoiced',
  /** A payout neither final nor waiting on an open task, past the bound. */
  'payout_stuck',
  /** The processor took money from one of our customers that our books do not hold. */
  'processor_payment_not_in_books',
  /** Our books hold a charge the processor has no succeeded payment for. */
  'charge_not_at_processor',
  /** The processor and our books disagree about how much of a charge was refunded. */
  'refund_totals_disagree',
  /** A charge kept a coupon's discount without a redemption of the coupon (refused or absent), unrefunded. */
  'discount_without_redemption',
  /** A coupon has more redemptions than its limit, overall or for one customer. */
  'coupon_over_limit',
  /** Usage in a stretch of a subscription closed early (cancel, pause, plan change now) that no invoice line covers. */
  'usage_period_not_invoiced',
  /** A subscription's trial runs longer than its plan's trial and no staff member granted it (a free-service leak). */
  'trial_longer_than_plan',
  /** Revenue recognition disagrees with the journal: a schedule's recognized amount, or deferred revenue against the schedules' remainders. */
  'revenue_schedule_disagrees',
  /** A journal entry (or the whole ledger) whose debits and credits differ in a currency, or an entry without lines. */
  'ledger_unbalanced',
  /** A money row (invoice, charge, credit note, balance movement, …) without the journal entry its event posts. */
  'money_row_without_entry',
  /** A journal entry whose source row does not exist, or is not in the state the entry records. */
  'entry_without_source',
  /** Payouts' own ledger and the journal's trader payout accounts disagree (reserved, paid or owed). */
  'payout_ledger_disagrees',
  /** A clearing account left non-zero past its settlement window: a row of a reconciled day Stripe never moved, a payout that never arrived. */
  'clearing_not_cleared',
  /** A reconciliation exception nobody has resolved yet (a finance task). */
  'reconciliation_exception_open',
] as const;

export type BooksFindingKind = (typeof BOOKS_FINDING_KINDS)[number];

export interface BooksFinding {
  kind: BooksFindingKind;
  /** The record the finding is about: our invoice, charge, refund or payout id, or the processor's charge id. */
  subject: string;
  /** Every id involved, ours and the processor's. */
  ids: string[];
  /** The money at stake, in minor units of `currency`. */
  amount: number;
  currency: string;
  /** One line for a person. */
  message: string;
}

export interface BooksReport {
  checkedAt: string;
  /** Processor records created since then were compared with ours; null when not compared. */
  processorComparedSince: string | null;
  clean: boolean;
  findings: BooksFinding[];
}

/** A payment as the processor holds it (a charge, with its payment intent's invoice reference). */
export interface ProcessorPaymentRecord {
  chargeId: string;
  paymentIntentId: string | null;
  succeeded: boolean;
  amount: number;
  amountRefunded: number;
  currency: string;
  /** Our invoice the payment was for (the payment intent's metadata), if any. */
  invoiceId: string | null;
}

/** A charge in our books, with what the comparison needs. */
export interface BookedCharge {
  id: string;
  stripeChargeId: string | null;
  stripePaymentIntentId: string | null;
  amount: number;
  amountRefunded: number;
  currency: string;
  invoiceId: string | null;
  /** A refund of it is pending: the totals may legitimately differ until it settles (a finding of its own past the bound). */
  hasPendingRefund: boolean;
}

export interface ProcessorComparison {
  /** Every processor payment of our customers created in the window, and those our window's charges point to. */
  processorPayments: ProcessorPaymentRecord[];
  /** Our charges matching any of those, and every charge of ours paid in the window. */
  bookedCharges: BookedCharge[];
  /** Our charges that must exist at the processor (paid in the window, with processor ids). */
  chargesToVerify: string[];
}

const kept = (amount: number, refunded: number, currency: string): Money =>
  subtract(storedMoney(amount, currency), storedMoney(refunded, currency));

/**
 * Our rows against the processor's own records: every succeeded processor payment of our customers is
 * a charge of ours (unless it was refunded in full), every charge of ours is a succeeded processor
 * payment, refund totals agree, and no invoice keeps two payments at the processor.
 */
export function compareWithProcessor(input: ProcessorComparison): BooksFinding[] {
  const findings: BooksFinding[] = [];
  const byChargeId = new Map<string, BookedCharge>();
  const byIntentId = new Map<string, BookedCharge>();
  for (const charge of input.bookedCharges) {
    if (charge.stripeChargeId) byChargeId.set(charge.stripeChargeId, charge);
    if (charge.stripePaymentIntentId) byIntentId.set(charge.stripePaymentIntentId, charge);
  }
  const bookedOf = (payment: ProcessorPaymentRecord): BookedCharge | undefined =>
    byChargeId.get(payment.chargeId) ??
    (payment.paymentIntentId ? byIntentId.get(payment.paymentIntentId) : undefined);

  const matched = new Set<string>();
  const keptByInvoice = new Map<string, Array<{ ids: string[]; kept: Money }>>();
  for (const payment of input.processorPayments) {
    const booked = bookedOf(payment);
    if (!payment.succeeded) continue;
    if (booked) matched.add(booked.id);
    const left = kept(payment.amount, payment.amountRefunded, payment.currency);
    const ids = [payment.chargeId, ...(payment.paymentIntentId ? [payment.paymentIntentId] : [])];
    if (!booked) {
      if (isPositive(left)) {
        findings.push({
          kind: 'processor_payment_not_in_books',
          subject: payment.chargeId,
          ids: payment.invoiceId ? [...ids, payment.invoiceId] : ids,
          amount: left.amountMinor,
          currency: left.currency,
          message: `the processor took ${moneyText(left)} (charge ${payment.chargeId}) that no charge of ours records`,
        });
      }
    } else if (booked.amountRefunded !== payment.amountRefunded && !booked.hasPendingRefund) {
      const gap = abs(
        subtract(
          storedMoney(payment.amountRefunded, payment.currency),
          storedMoney(booked.amountRefunded, payment.currency),
        ),
      );
      findings.push({
        kind: 'refund_totals_disagree',
        subject: booked.id,
        ids: [booked.id, ...ids],
        amount: gap.amountMinor,
        currency: gap.currency,
        message: `charge ${booked.id}: the processor refunded ${moneyText(storedMoney(payment.amountRefunded, payment.currency))}, our books ${moneyText(storedMoney(booked.amountRefunded, payment.currency))}`,
      });
    }
    if (payment.invoiceId && isPositive(left)) {
      const payments = keptByInvoice.get(payment.invoiceId) ?? [];
      payments.push({ ids: booked ? [booked.id, ...ids] : ids, kept: left });
      keptByInvoice.set(payment.invoiceId, payments);
    }
  }

  for (const [invoiceId, payments] of keptByInvoice) {
    if (payments.length < 2) continue;
    findings.push(paidMoreThanOnce(invoiceId, payments));
  }

  const verify = new Set(input.chargesToVerify);
  for (const charge of input.bookedCharges) {
    if (!verify.has(charge.id) || matched.has(charge.id)) continue;
    findings.push({
      kind: 'charge_not_at_processor',
      subject: charge.id,
      ids: [charge.id, ...[charge.stripeChargeId, charge.stripePaymentIntentId].filter(isString)],
      amount: charge.amount,
      currency: charge.currency,
      message: `charge ${charge.id} of ${moneyText(storedMoney(charge.amount, charge.currency))} has no succeeded payment at the processor`,
    });
  }
  return findings;
}

/** An invoice keeping two or more payments: the money at stake is all but the largest. */
export function paidMoreThanOnce(
  invoiceId: string,
  payments: ReadonlyArray<{ ids: string[]; kept: Money }>,
): BooksFinding {
  const currency = payments[0].kept.currency;
  const largest = payments.reduce(
    (best, payment) => (compare(payment.kept, best) > 0 ? payment.kept : best),
    payments[0].kept,
  );
  const extra = subtract(
    sum(
      payments.map((payment) => payment.kept),
      currency,
    ),
    largest,
  );
  return {
    kind: 'invoice_paid_more_than_once',
    subject: invoiceId,
    ids: [invoiceId, ...new Set(payments.flatMap((payment) => payment.ids))],
    amount: extra.amountMinor,
    currency,
    message: `invoice ${invoiceId} kept ${payments.length} payments; ${moneyText(extra)} beyond one is not refunded`,
  };
}

/** Findings in a stable order: by kind (as listed), then subject. */
export function sortFindings(findings: BooksFinding[]): BooksFinding[] {
  const rank = (kind: BooksFindingKind) => BOOKS_FINDING_KINDS.indexOf(kind);
  return [...findings].sort((a, b) => rank(a.kind) - rank(b.kind) || a.subject.localeCompare(b.subject));
}

/** "USD 299.00", for the one-line explanations. */
export function moneyText(amount: Money): string {
  return `${amount.currency} ${toDecimalString(amount)}`;
}

function isString(value: string | null): value is string {
  return value !== null;
}

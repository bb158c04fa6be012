import { computeInvoiceTotals, money, parseCurrencyCode } from '@astrix/pricing';
import type { TaxDecision } from './tax-decision';

/** A line as drafted (minor units of the invoice currency), before tax. */
export interface UntaxedLine {
  amount: number;
  discount: number;
}

/** What tax adds to a line. */
export interface LineTax {
  /** The line's tax (inclusive: the part of amount − discount that is tax; exclusive: on top). */
  tax: number;
  taxInclusive: boolean;
  taxRateId: string | null;
  taxPercentage: string | null;
}

export interface TaxableDraft<L extends UntaxedLine> {
  currency: string;
  lines: readonly L[];
  subtotal: number;
  discount: number;
  total: number;
  creditApplied: number;
  amountDue: number;
  creditToBalance: number;
}

export type TaxedDraft<L extends UntaxedLine, D extends TaxableDraft<L>> = Omit<D, 'lines'> & {
  lines: Array<L & LineTax>;
  tax: number;
  decision: TaxDecision;
};

/**
 * Applies a tax decision to a drafted invoice through @astrix/pricing: every line carries the
 * decision's rate (or none), tax is rounded per line, totals are the sums of the lines. Inclusive
 * tax leaves the total as drafted; exclusive tax raises it (the credit applied stays what the draft
 * spent, never more than the new total).
 */
export function taxDraft<L extends UntaxedLine, D extends TaxableDraft<L>>(
  draft: D,
  decision: TaxDecision,
): TaxedDraft<L, D> {
  const currency = parseCurrencyCode(draft.currency);
  const rate = decision.rate;
  const totals = computeInvoiceTotals(
    draft.lines.map((line, index) => ({
      id: String(index),
      amount: money(line.amount, currency),
      discount: money(line.discount, currency),
      taxRates:
        rate === null ? [] : [{ id: rate.id, percentage: rate.percentage, inclusive: rate.inclusive }],
    })),
    { currency, credits: money(draft.creditApplied, currency) },
  );
  return {
    ...draft,
    lines: draft.lines.map((line, index) => ({
      ...line,
      tax: totals.lines[index].tax.amountMinor,
      taxInclusive: rate?.inclusive ?? false,
      taxRateId: rate?.id ?? null,
      taxPercentage: rate?.percentage ?? null,
    })),
    subtotal: totals.subtotal.amountMinor,
    discount: totals.discount.amountMinor,
    tax: totals.tax.amountMinor,
    total: totals.total.amountMinor,
    creditApplied: totals.creditsApplied.amountMinor,
    amountDue: totals.amountDue.amountMinor,
    creditToBalance: totals.creditToBalance.amountMinor,
    decision,
  };
}

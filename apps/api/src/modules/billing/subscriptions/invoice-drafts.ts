import { type Proration, computeInvoiceTotals, money, multiply, parseCurrencyCode } from '@astrix/pricing';
import type { UsageInvoiceLine } from './usage-charges.port';
import type { InvoiceLineKind } from '../invoices/invoice-line.entity';

/** A line before it is written: amounts are minor units of the invoice currency. */
export interface DraftLine {
  kind: InvoiceLineKind;
  description: string;
  productId: string | null;
  featureId: string | null;
  quantity: number;
  unitAmount: number;
  amount: number;
  periodStart: Date | null;
  periodEnd: Date | null;
}

export interface DraftInvoice {
  currency: string;
  lines: DraftLine[];
  subtotal: number;
  total: number;
  /** Customer balance this invoice spends. */
  creditApplied: number;
  amountDue: number;
  /** A negative total (a prorated downgrade) goes back to the customer's balance. */
  creditToBalance: number;
}

/** Seats × price for one period of the plan, as an invoice line. */
export function planLine(input: {
  productId: string;
  planName: string;
  currency: string;
  unitAmount: number;
  quantity: number;
  periodStart: Date;
  periodEnd: Date;
}): DraftLine {
  const currency = parseCurrencyCode(input.currency);
  const amount = multiply(money(input.unitAmount, currency), input.quantity);
  return {
    kind: 'plan',
    description: `${input.planName} × ${input.quantity} (${input.periodStart.toISOString().slice(0, 10)} – ${input.periodEnd
      .toISOString()
      .slice(0, 10)})`,
    productId: input.productId,
    featureId: null,
    quantity: input.quantity,
    unitAmount: input.unitAmount,
    amount: amount.amountMinor,
    periodStart: input.periodStart,
    periodEnd: input.periodEnd,
  };
}

/** A plan and seat count on one side of a change. */
export interface PlanSide {
  productId: string;
  planName: string;
  quantity: number;
}

/** The credit for the unused old plan and the charge for the new one, as invoice lines. */
export function prorationLines(proration: Proration, from: PlanSide, to: PlanSide): DraftLine[] {
  return proration.lines.map((line) => {
    const side = line.kind === 'proration_credit' ? from : to;
    return {
      kind: line.kind,
      description: `${line.kind === 'proration_credit' ? 'Unused' : 'Remaining'} time on ${side.planName} × ${side.quantity}`,
      productId: side.productId,
      featureId: null,
      quantity: side.quantity,
      unitAmount: line.amount.amountMinor,
      amount: line.amount.amountMinor,
      periodStart: line.start,
      periodEnd: line.end,
    };
  });
}

/** A usage line from the usage capability, as an invoice line of the plan. */
export function usageLine(productId: string, usage: UsageInvoiceLine): DraftLine {
  return { kind: 'usage', productId, ...usage };
}

/** Totals through @astrix/pricing; `availableCredit` is the customer balance that may be spent. */
export function draftInvoice(currency: string, lines: DraftLine[], availableCredit: number): DraftInvoice {
  const code = parseCurrencyCode(currency);
  const totals = computeInvoiceTotals(
    lines.map((line, index) => ({ id: String(index), amount: money(line.amount, code) })),
    { currency: code, credits: money(availableCredit, code) },
  );
  return {
    currency: code,
    lines,
    subtotal: totals.subtotal.amountMinor,
    total: totals.total.amountMinor,
    creditApplied: totals.creditsApplied.amountMinor,
    amountDue: totals.amountDue.amountMinor,
    creditToBalance: totals.creditToBalance.amountMinor,
  };
}

import type { MoneyView, PriceBreakdown } from '@astrix/contracts';
import { computeInvoiceTotals, money, parseCurrencyCode } from '@astrix/pricing';
import type { TaxDecision } from './tax-decision';

const view = (amount: number, currency: string): MoneyView => ({ amount, currency });

/**
 * A checkout's price breakdown taxed with `decision`, through @astrix/pricing: inclusive tax leaves
 * the total as quoted (the tax is inside it), exclusive tax is added to it. The decision travels in
 * the breakdown so the receipt states what the customer was charged, even if rates change meanwhile.
 */
export function taxBreakdown(breakdown: PriceBreakdown, decision: TaxDecision): PriceBreakdown {
  const currency = parseCurrencyCode(breakdown.subtotal.currency);
  const rate = decision.rate;
  const lines =
    breakdown.lines.length > 0
      ? breakdown.lines
      : [{ description: '', amount: breakdown.subtotal, discount: breakdown.discount }];
  const totals = computeInvoiceTotals(
    lines.map((line, index) => ({
      id: String(index),
      amount: money(line.amount.amount, currency),
      discount: money(line.discount.amount, currency),
      taxRates:
        rate === null ? [] : [{ id: rate.id, percentage: rate.percentage, inclusive: rate.inclusive }],
    })),
    { currency },
  );
  return {
    ...breakdown,
    tax: view(totals.tax.amountMinor, currency),
    total: view(totals.total.amountMinor, currency),
    taxDetails: {
      treatment: decision.treatment,
      country: decision.country,
      region: decision.region,
      customerVatId: decision.customerVatId,
      note: decision.note,
      rateId: rate?.id ?? null,
      percentage: rate?.percentage ?? null,
      inclusive: rate?.inclusive ?? false,
    },
  };
}

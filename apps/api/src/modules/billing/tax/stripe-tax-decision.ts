import { sumDecimals } from '@astrix/pricing';
import type { TaxBreakdownEntry } from '@astrix/stripe-client';
import { REVERSE_CHARGE_NOTE, type TaxDecision } from './tax-decision';

/** A Stripe Tax answer we cannot turn into a decision (never taxed as zero instead). */
export class UnusableTaxAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnusableTaxAnswerError';
  }
}

/** Taxabilities that charge the percentage Stripe gives (zero-rated is a 0 % standard rate). */
const RATED = new Set(['standard_rated', 'reduced_rated', 'zero_rated']);
/** Taxabilities where nothing is charged although the seller collects there. */
const UNTAXED = new Set(['customer_exempt', 'product_exempt', 'not_subject_to_tax']);

/**
 * The decision (treatment, jurisdiction, rate) from a Stripe Tax calculation's breakdown for one
 * customer, so invoices, PDF, ledger and tax report stay as they are:
 * - any `reverse_charge` entry: reverse charge, no tax, with the legend;
 * - only `not_collecting`: the seller is not registered there, no tax;
 * - rated entries: standard at the sum of their percentages (state + local), inclusive as asked;
 *   exempt entries: standard at 0 %;
 * - anything else (an empty breakdown, a reason we do not know): refused, never a silent zero.
 * The rate id is stable per (jurisdiction, percentage, behaviour), `stripe_tax:GB:20:incl`, so the tax
 * report groups Stripe-taxed documents like rate-table ones.
 */
export function decisionFromStripeTax(
  breakdown: readonly TaxBreakdownEntry[],
  customer: { country: string; region: string | null; vatId: string | null },
  inclusive: boolean,
): TaxDecision {
  const base = { country: customer.country, region: customer.region, rate: null, customerVatId: null };
  if (breakdown.length === 0) throw new UnusableTaxAnswerError('Stripe Tax answered without a tax breakdown');
  const unknown = breakdown.find(
    (entry) =>
      !RATED.has(entry.taxability) &&
      !UNTAXED.has(entry.taxability) &&
      entry.taxability !== 'reverse_charge' &&
      entry.taxability !== 'not_collecting',
  );
  if (unknown !== undefined) {
    throw new UnusableTaxAnswerError(
      `Stripe Tax answered a taxability we do not handle: ${unknown.processorTaxability}`,
    );
  }
  if (breakdown.some((entry) => entry.taxability === 'reverse_charge')) {
    return { ...base, customerVatId: customer.vatId, treatment: 'reverse_charge', note: REVERSE_CHARGE_NOTE };
  }
  if (breakdown.every((entry) => entry.taxability === 'not_collecting')) {
    return { ...base, treatment: 'not_registered', note: null };
  }
  const rated = breakdown.filter((entry) => RATED.has(entry.taxability));
  const percentage = sumDecimals(
    rated.map((entry) => entry.percentage),
    'Stripe Tax percentage',
  );
  const state = rated.find((entry) => entry.state !== null)?.state ?? null;
  const jurisdiction = state === null ? customer.country : `${customer.country}-${state}`;
  return {
    ...base,
    customerVatId: customer.vatId,
    treatment: 'standard',
    rate: {
      id: `stripe_tax:${jurisdiction}:${percentage}:${inclusive ? 'incl' : 'excl'}`,
      name: `Stripe Tax ${jurisdiction} ${percentage}%`,
      percentage,
      inclusive,
    },
    note: null,
  };
}

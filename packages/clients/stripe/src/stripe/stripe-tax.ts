import type Stripe from 'stripe';
import type {
  ProcessorTaxCalculation,
  TaxBreakdownEntry,
  Taxability,
  TaxCalculationInput,
} from '../port/tax-types';
import { fromUnixSeconds, toUnixSeconds } from '../stripe-fields';
import { minorOf, stripeAmountOf, toCurrencyCode, toStripeCurrency } from './stripe-mappers';

const TAXABILITIES: readonly Taxability[] = [
  'standard_rated',
  'reduced_rated',
  'zero_rated',
  'reverse_charge',
  'not_collecting',
  'customer_exempt',
  'product_exempt',
  'not_subject_to_tax',
];

/** Stripe's tax id types the adapter passes on; others are refused before the call. */
const TAX_ID_TYPES = new Set<string>(['eu_vat', 'gb_vat', 'ch_vat', 'no_vat', 'au_abn', 'ca_bn', 'us_ein']);

/** The create parameters of a Stripe Tax calculation for `input` (amounts in Stripe's units). */
export function taxCalculationParams(input: TaxCalculationInput): Stripe.Tax.CalculationCreateParams {
  const taxIds = (input.customer.taxIds ?? []).map((id) => {
    if (!TAX_ID_TYPES.has(id.type)) throw new TypeError(`tax id type ${id.type} is not supported`);
    return {
      type: id.type as Stripe.Tax.CalculationCreateParams.CustomerDetails.TaxId.Type,
      value: id.value,
    };
  });
  return {
    currency: toStripeCurrency(input.currency),
    line_items: input.lines.map((line) => ({
      reference: line.reference,
      amount: stripeAmountOf(line.amountMinor, input.currency),
      tax_behavior: line.taxBehavior,
      ...(line.taxCode ? { tax_code: line.taxCode } : {}),
    })),
    customer_details: {
      address: {
        country: input.customer.country,
        ...(input.customer.postalCode ? { postal_code: input.customer.postalCode } : {}),
        ...(input.customer.state ? { state: input.customer.state } : {}),
      },
      address_source: 'billing',
      ...(taxIds.length > 0 ? { tax_ids: taxIds } : {}),
    },
    ...(input.taxDate ? { tax_date: toUnixSeconds(input.taxDate) } : {}),
    expand: ['line_items'],
  };
}

function toBreakdown(entry: Stripe.Tax.Calculation.TaxBreakdown, currency: string): TaxBreakdownEntry {
  const taxability = TAXABILITIES.find((candidate) => candidate === entry.taxability_reason) ?? 'other';
  return {
    amountMinor: minorOf(entry.amount, currency),
    taxableAmountMinor: minorOf(entry.taxable_amount, currency),
    inclusive: entry.inclusive,
    taxability,
    processorTaxability: entry.taxability_reason,
    country: entry.tax_rate_details.country,
    state: entry.tax_rate_details.state,
    percentage: entry.tax_rate_details.percentage_decimal,
    taxType: entry.tax_rate_details.tax_type,
  };
}

export function toTaxCalculation(calculation: Stripe.Tax.Calculation): ProcessorTaxCalculation {
  const currency = calculation.currency;
  return {
    id: calculation.id,
    currency: toCurrencyCode(currency),
    amountTotalMinor: minorOf(calculation.amount_total, currency),
    taxExclusiveMinor: minorOf(calculation.tax_amount_exclusive, currency),
    taxInclusiveMinor: minorOf(calculation.tax_amount_inclusive, currency),
    lines: (calculation.line_items?.data ?? []).map((line) => ({
      reference: line.reference,
      amountMinor: minorOf(line.amount, currency),
      taxMinor: minorOf(line.amount_tax, currency),
      taxBehavior: line.tax_behavior === 'inclusive' ? 'inclusive' : 'exclusive',
    })),
    breakdown: calculation.tax_breakdown.map((entry) => toBreakdown(entry, currency)),
    taxDate: fromUnixSeconds(calculation.tax_date),
  };
}

import type Stripe from 'stripe';
import { invalidRequest } from './api-error';
import type { FormReader } from './form';
import { newStripeId } from './ids';
import { stripeAmountProblem } from '../stripe-currencies';

/**
 * Stripe Tax calculations (`POST /v1/tax/calculations`), computed from a rate table: where the
 * account is registered to collect (country, optionally a state) and at which percentage. Answers
 * in Stripe's shape (`Stripe.Tax.Calculation`, amounts in Stripe units):
 * - no registration for the customer's country (and state): `not_collecting`, no tax;
 * - a business tax id of the kind that reverse-charges (EU, UK VAT) in another country than the
 *   head office, or `taxability_override=reverse_charge`: `reverse_charge`, no tax;
 * - `taxability_override=customer_exempt`: `customer_exempt`, no tax;
 * - otherwise `standard_rated` at the registration's percentage, per line: exclusive tax is
 *   amount × rate, inclusive tax is amount − amount / (1 + rate), each rounded half up once.
 */

export interface FakeTaxRegistration {
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  /** A state or region (US states); null for the whole country. */
  state?: string | null;
  /** Exact decimal, e.g. "20" or "8.875". */
  percentage: string;
  taxType?: 'vat' | 'gst' | 'sales_tax';
}

export interface FakeTaxSettings {
  /** The country the account is established in (domestic B2B is not reverse-charged). Default GB. */
  headOffice: string;
  registrations: FakeTaxRegistration[];
}

export const DEFAULT_TAX_SETTINGS: FakeTaxSettings = { headOffice: 'GB', registrations: [] };

const REVERSE_CHARGE_IDS = new Set(['eu_vat', 'gb_vat']);
const PERCENTAGE = /^\d{1,3}(\.\d{1,6})?$/;

export function assertTaxSettings(settings: FakeTaxSettings): void {
  if (!/^[A-Z]{2}$/.test(settings.headOffice))
    throw invalidRequest('headOffice must be a country code', 'headOffice');
  for (const registration of settings.registrations) {
    if (!/^[A-Z]{2}$/.test(registration.country))
      throw invalidRequest(`Invalid registration country ${registration.country}`, 'registrations');
    if (!PERCENTAGE.test(registration.percentage))
      throw invalidRequest(`Invalid percentage ${registration.percentage}`, 'registrations');
  }
}

interface LineRequest {
  amount: number;
  reference: string;
  taxBehavior: 'inclusive' | 'exclusive';
  taxCode: string;
  quantity: number;
}

/** (percentage as fraction numerator over 10^6 × 100). */
function perMillionths(percentage: string): bigint {
  const [whole, decimals = ''] = percentage.split('.');
  return BigInt(whole + decimals.padEnd(6, '0'));
}

/** Half-up division of non-negative integers. */
function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/** The tax of one line at `percentage`: on top (exclusive) or inside (inclusive). */
export function lineTax(amount: number, percentage: string, inclusive: boolean): number {
  const rate = perMillionths(percentage); // percentage × 10^6
  const scale = 100_000_000n; // 100 % × 10^6
  const value = BigInt(amount);
  if (!inclusive) return Number(roundHalfUp(value * rate, scale));
  const net = roundHalfUp(value * scale, scale + rate);
  return Number(value - net);
}

function readLines(body: FormReader): LineRequest[] {
  const lines = body.children('line_items').map((item, index): LineRequest => {
    const amount = item.requiredInteger('amount');
    if (amount < 0)
      throw invalidRequest('This value must be greater than or equal to 0.', `line_items[${index}][amount]`);
    const quantity = item.optionalInteger('quantity') ?? 1;
    return {
      amount,
      reference: item.optionalNonEmptyString('reference') ?? `line_${index + 1}`,
      taxBehavior: item.optionalEnum('tax_behavior', ['inclusive', 'exclusive'] as const) ?? 'exclusive',
      taxCode: item.optionalNonEmptyString('tax_code') ?? 'txcd_10000000',
      quantity,
    };
  });
  if (lines.length === 0)
    throw invalidRequest('Missing required param: line_items.', 'line_items', 'parameter_missing');
  const references = new Set(lines.map((line) => line.reference));
  if (references.size !== lines.length)
    throw invalidRequest('Line item references must be unique.', 'line_items');
  return lines;
}

export function createTaxCalculation(
  body: FormReader,
  settings: FakeTaxSettings,
  now: Date,
): Stripe.Tax.Calculation {
  const currency = body.requiredString('currency').toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) throw invalidRequest(`Invalid currency: ${currency}`, 'currency');
  const lines = readLines(body);
  for (const [index, line] of lines.entries()) {
    const problem = stripeAmountProblem(line.amount, currency);
    if (problem !== null) throw invalidRequest(problem.message, `line_items[${index}][amount]`, problem.code);
  }
  const details = body.child('customer_details');
  const address = details?.child('address');
  if (body.optionalNonEmptyString('customer') !== undefined)
    throw invalidRequest('The fake computes from customer_details only, not a saved customer', 'customer');
  if (details === undefined || address === undefined)
    throw invalidRequest(
      'Missing customer_details: a calculation needs the customer address.',
      'customer_details',
      'customer_tax_location_invalid',
    );
  const country = address.requiredString('country').toUpperCase();
  const state = address.optionalNonEmptyString('state')?.toUpperCase() ?? null;
  const postalCode = address.optionalNonEmptyString('postal_code') ?? null;
  const city = address.optionalNonEmptyString('city') ?? null;
  const line1 = address.optionalNonEmptyString('line1') ?? null;
  const line2 = address.optionalNonEmptyString('line2') ?? null;
  const addressSource = details.optionalEnum('address_source', ['billing', 'shipping'] as const) ?? 'billing';
  const override =
    details.optionalEnum('taxability_override', ['none', 'reverse_charge', 'customer_exempt'] as const) ??
    'none';
  const taxIds = details.children('tax_ids').map((id) => ({
    type: id.requiredString('type') as Stripe.Tax.Calculation.CustomerDetails.TaxId.Type,
    value: id.requiredString('value'),
  }));
  const taxDate = body.optionalInteger('tax_date') ?? Math.floor(now.getTime() / 1000);
  body.stringList('expand');
  body.rejectUnknown();
  if (!/^[A-Z]{2}$/.test(country))
    throw invalidRequest(
      'Invalid country in customer_details.address',
      'customer_details[address][country]',
      'customer_tax_location_invalid',
    );

  const registration =
    settings.registrations.find(
      (candidate) => candidate.country === country && (candidate.state ?? null) === state,
    ) ??
    settings.registrations.find(
      (candidate) => candidate.country === country && (candidate.state ?? null) === null,
    ) ??
    null;
  const reverseCharge =
    override === 'reverse_charge' ||
    (taxIds.some((id) => REVERSE_CHARGE_IDS.has(id.type)) && country !== settings.headOffice);
  const reason: Stripe.Tax.Calculation.TaxBreakdown.TaxabilityReason =
    override === 'customer_exempt'
      ? 'customer_exempt'
      : registration === null
        ? 'not_collecting'
        : reverseCharge
          ? 'reverse_charge'
          : 'standard_rated';
  const percentage = reason === 'standard_rated' && registration !== null ? registration.percentage : '0';
  const id = newStripeId('taxcalc');
  const items = lines.map((line) => ({
    line,
    tax: lineTax(line.amount, percentage, line.taxBehavior === 'inclusive'),
  }));
  const exclusive = items.filter(({ line }) => line.taxBehavior === 'exclusive');
  const inclusive = items.filter(({ line }) => line.taxBehavior === 'inclusive');
  const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
  const rateDetails = {
    country,
    flat_amount: null,
    percentage_decimal: percentage,
    rate_type: 'percentage' as const,
    state: registration?.state ?? null,
    tax_type: registration?.taxType ?? (registration?.state ? 'sales_tax' : 'vat'),
  };
  const breakdown = (group: typeof items, isInclusive: boolean): Stripe.Tax.Calculation.TaxBreakdown[] =>
    group.length === 0
      ? []
      : [
          {
            amount: sum(group.map(({ tax }) => tax)),
            inclusive: isInclusive,
            tax_rate_details: rateDetails,
            taxability_reason: reason,
            taxable_amount: sum(
              group.map(({ line, tax }) => (isInclusive ? line.amount - tax : line.amount)),
            ),
          },
        ];
  const lineItems: Stripe.Tax.CalculationLineItem[] = items.map(({ line, tax }) => ({
    id: newStripeId('tax_li'),
    object: 'tax.calculation_line_item',
    amount: line.amount,
    amount_tax: tax,
    livemode: false,
    metadata: null,
    performance_location: null,
    product: null,
    quantity: line.quantity,
    reference: line.reference,
    tax_behavior: line.taxBehavior,
    tax_breakdown: null,
    tax_code: line.taxCode,
  }));
  const taxExclusive = sum(exclusive.map(({ tax }) => tax));
  return {
    id,
    object: 'tax.calculation',
    amount_total: sum(lines.map((line) => line.amount)) + taxExclusive,
    currency,
    customer: null,
    customer_details: {
      address: { city, country, line1, line2, postal_code: postalCode, state },
      address_source: addressSource,
      ip_address: null,
      tax_ids: taxIds,
      taxability_override: override,
    },
    expires_at: Math.floor(now.getTime() / 1000) + 90 * 86_400,
    line_items: {
      object: 'list',
      data: lineItems,
      has_more: false,
      url: `/v1/tax/calculations/${id}/line_items`,
    },
    livemode: false,
    ship_from_details: null,
    shipping_cost: null,
    tax_amount_exclusive: taxExclusive,
    tax_amount_inclusive: sum(inclusive.map(({ tax }) => tax)),
    tax_breakdown: [...breakdown(exclusive, false), ...breakdown(inclusive, true)],
    tax_date: taxDate,
  };
}

/** The fake account's Stripe Tax setup, changed through the controls; back to the start on reset. */
export class TaxDesk {
  private settings: FakeTaxSettings;

  constructor(private readonly initial: FakeTaxSettings) {
    assertTaxSettings(initial);
    this.settings = structuredClone(initial);
  }

  current(): FakeTaxSettings {
    return structuredClone(this.settings);
  }

  update(changes: Partial<FakeTaxSettings>): FakeTaxSettings {
    const next = { ...this.settings, ...changes };
    next.headOffice = next.headOffice.toUpperCase();
    next.registrations = next.registrations.map((registration) => ({
      ...registration,
      country: registration.country.toUpperCase(),
      state: registration.state?.toUpperCase() ?? null,
    }));
    assertTaxSettings(next);
    this.settings = next;
    return this.current();
  }

  reset(): void {
    this.settings = structuredClone(this.initial);
  }
}

import type { TaxRate } from '@astrix/pricing';
import type { SellerTaxSetup } from './seller-registrations';
import { EU_MEMBER_STATES, checkVatId } from './vat-id';

/**
 * How an invoice is taxed:
 * - `standard`: the jurisdiction's rate applies (inclusive or exclusive, as the rate says);
 * - `reverse_charge`: a business customer with a valid VAT id in another EU member state or the UK
 *   than the seller's: no tax charged, the customer accounts for it;
 * - `not_registered`: the seller is not registered in the customer's jurisdiction: no tax;
 * - `no_tax_details`: the customer gave no country: no tax (docs/finance.md says why).
 */
export type TaxTreatment = 'standard' | 'reverse_charge' | 'not_registered' | 'no_tax_details';

export interface CustomerTaxDetails {
  country: string | null;
  region: string | null;
  vatId: string | null;
}

/** A row of the rate table as the decision needs it. */
export interface JurisdictionRate {
  id: string;
  country: string;
  region: string | null;
  name: string;
  percentage: string;
  inclusive: boolean;
  validFrom: Date;
  validTo: Date | null;
}

export interface TaxDecision {
  treatment: TaxTreatment;
  /** The jurisdiction the sale is taxed in (the customer's country), when known. */
  country: string | null;
  region: string | null;
  /** The rate to apply to every line; null when no tax is charged. */
  rate: (TaxRate & { name: string }) | null;
  customerVatId: string | null;
  /** The legend a document must carry (reverse charge), or null. */
  note: string | null;
}

/** The seller is registered in a jurisdiction that has no rate in force: never a silent zero. */
export class TaxConfigurationError extends Error {
  constructor(
    message: string,
    readonly country: string,
    readonly region: string | null,
    readonly at: Date,
  ) {
    super(message);
    this.name = 'TaxConfigurationError';
  }
}

export const REVERSE_CHARGE_NOTE =
  'Reverse charge: no VAT charged; the customer accounts for the VAT (Art. 196 Directive 2006/112/EC; UK VAT Act 1994 s.8).';

/** B2B reverse charge applies in the EU and the UK. */
const REVERSE_CHARGE_COUNTRIES = new Set([...EU_MEMBER_STATES, 'GB']);

/** The rate in force at `at` for (country, region): a region's own rate first, else the country's. */
export function rateInForce(
  rates: readonly JurisdictionRate[],
  country: string,
  region: string | null,
  at: Date,
): JurisdictionRate | null {
  const inForce = rates.filter(
    (rate) =>
      rate.country === country &&
      rate.validFrom.getTime() <= at.getTime() &&
      (rate.validTo === null || at.getTime() < rate.validTo.getTime()),
  );
  const regional = region === null ? undefined : inForce.find((rate) => rate.region === region);
  return regional ?? inForce.find((rate) => rate.region === null) ?? null;
}

/** The tax treatment of a sale at `at` to a customer with `details`, from the seller's setup and the rate table. */
export function decideTax(
  details: CustomerTaxDetails | null,
  seller: SellerTaxSetup,
  rates: readonly JurisdictionRate[],
  at: Date,
): TaxDecision {
  const country = details?.country ?? null;
  const region = details?.region ?? null;
  if (country === null) {
    return {
      treatment: 'no_tax_details',
      country: null,
      region: null,
      rate: null,
      customerVatId: null,
      note: null,
    };
  }
  const vat = details?.vatId ? checkVatId(country, details.vatId) : null;
  const customerVatId = vat?.valid ? vat.vatId : null;
  const none = { country, region, rate: null, customerVatId };
  if (customerVatId !== null && REVERSE_CHARGE_COUNTRIES.has(country) && country !== seller.establishedIn) {
    return { ...none, treatment: 'reverse_charge', note: REVERSE_CHARGE_NOTE };
  }
  if (!seller.registrations.some((registration) => registration.countries.includes(country))) {
    return { ...none, treatment: 'not_registered', note: null };
  }
  const rate = rateInForce(rates, country, region, at);
  if (rate === null) {
    throw new TaxConfigurationError(
      `the seller is registered in ${country} but billing.tax_rates has no rate for ${country}${region ? `/${region}` : ''} in force at ${at.toISOString()}`,
      country,
      region,
      at,
    );
  }
  return {
    ...none,
    treatment: 'standard',
    rate: { id: rate.id, name: rate.name, percentage: rate.percentage, inclusive: rate.inclusive },
    note: null,
  };
}

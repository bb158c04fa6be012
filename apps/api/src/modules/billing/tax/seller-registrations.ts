import { EU_MEMBER_STATES } from './vat-id';

/** Where the seller is registered to charge tax, and under which number. */
export interface SellerRegistration {
  scheme: string;
  /** The jurisdictions (countries) the registration covers. */
  countries: readonly string[];
  number: string;
}

export interface SellerTaxSetup {
  /** The country the seller is established in (a domestic B2B sale is not reverse-charged). */
  establishedIn: string;
  registrations: readonly SellerRegistration[];
}

/**
 * Astrix Trading Ltd. (invoicing/seller.ts) is established in the UK and VAT-registered there; it
 * sells digital services to EU consumers under the non-Union One-Stop-Shop scheme, which covers every
 * member state. Elsewhere it is not registered and charges no tax. Configuration in code, reviewed
 * like code: a new registration is a change here plus the jurisdiction's rates in billing.tax_rates.
 */
export const SELLER_TAX_SETUP: Readonly<SellerTaxSetup> = Object.freeze({
  establishedIn: 'GB',
  registrations: [
    { scheme: 'UK VAT', countries: ['GB'], number: 'GB394127560' },
    { scheme: 'EU VAT non-Union OSS', countries: EU_MEMBER_STATES, number: 'EU826000031' },
  ],
});

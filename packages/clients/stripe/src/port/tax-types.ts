import type { CurrencyCode } from './types';

/**
 * Tax as the processor's tax engine (Stripe Tax) computes it, in our vocabulary: money in our
 * minor units (ISO 4217), countries ISO 3166 alpha-2, percentages exact decimal strings.
 */

export type TaxBehavior = 'inclusive' | 'exclusive';

export interface TaxCalculationLineInput {
  /** Unique within the calculation; comes back on the line. */
  reference: string;
  /** Minor units, zero or more: the tax is inside it (inclusive) or on top (exclusive). */
  amountMinor: number;
  taxBehavior: TaxBehavior;
  /** The product tax code; the processor's default (general electronically supplied services) when omitted. */
  taxCode?: string;
}

export interface TaxCalculationInput {
  currency: CurrencyCode;
  customer: {
    /** ISO 3166 alpha-2. */
    country: string;
    postalCode?: string | null;
    /** A state or region. */
    state?: string | null;
    /** A business tax id, e.g. { type: 'eu_vat', value: 'DE123456789' }. */
    taxIds?: ReadonlyArray<{ type: string; value: string }>;
  };
  lines: readonly TaxCalculationLineInput[];
  /** The instant the tax is computed for; now when omitted. */
  taxDate?: Date;
}

/** Why a line is (not) taxed, in Stripe Tax's words. */
export type Taxability =
  | 'standard_rated'
  | 'reduced_rated'
  | 'zero_rated'
  | 'reverse_charge'
  | 'not_collecting'
  | 'customer_exempt'
  | 'product_exempt'
  | 'not_subject_to_tax'
  | 'other';

export interface TaxBreakdownEntry {
  amountMinor: number;
  taxableAmountMinor: number;
  inclusive: boolean;
  taxability: Taxability;
  /** The processor's own reason when `taxability` is `other`. */
  processorTaxability: string;
  country: string | null;
  state: string | null;
  /** e.g. "20" or "8.875". */
  percentage: string;
  /** vat, gst, sales_tax… (null when the processor does not say). */
  taxType: string | null;
}

export interface ProcessorTaxCalculation {
  /** taxcalc_… (null when the processor does not keep it). */
  id: string | null;
  currency: CurrencyCode;
  amountTotalMinor: number;
  taxExclusiveMinor: number;
  taxInclusiveMinor: number;
  lines: Array<{ reference: string; amountMinor: number; taxMinor: number; taxBehavior: TaxBehavior }>;
  breakdown: TaxBreakdownEntry[];
  taxDate: Date;
}

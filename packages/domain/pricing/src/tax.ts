import { roundToTotal } from './allocate';
import { type CurrencyCode, getCurrency } from './currency';
import { type Fraction, type Percentage, percentageToFraction } from './decimal';
import { lcm, overCommonDenominator } from './fraction';
import { CurrencyMismatchError, InvalidAmountError, InvalidTaxRateError } from './errors';
import { bigintToSafeNumber, checkedAdd, checkedSubtract, describe } from './integers';
import { type Money, assertMoney, unsafeMoney } from './money';
import { DEFAULT_ROUNDING, type RoundingMode, assertRoundingMode, divideRounded } from './rounding';

export interface TaxRate {
  readonly id: string;
  /** "20" is 20 %, "8.875" is 8.875 %; zero or more. */
  readonly percentage: Percentage;
  /** true: the line amount already contains the tax (VAT-style prices); false: tax is added on top. */
  readonly inclusive: boolean;
}

export interface InvoiceLineInput {
  readonly id: string;
  /** The line amount before discounts (tax included when its rates are inclusive). */
  readonly amount: Money;
  /** Discount on this line, e.g. from applyCoupon; taxes apply to amount − discount. */
  readonly discount?: Money;
  /** Rates applying to this line: all inclusive or all exclusive. */
  readonly taxRates?: readonly TaxRate[];
}

/** Round each line's tax on its own, or round each rate's total once and spread it over the lines. */
export type TaxRounding = 'per_line' | 'per_invoice';

export interface InvoiceTotalsOptions {
  readonly currency: CurrencyCode;
  /** Default 'per_line'. */
  readonly taxRounding?: TaxRounding;
  /** Default half-even. */
  readonly rounding?: RoundingMode;
  /** Customer credit balance available to pay this invoice (zero or more). */
  readonly credits?: Money;
}

export interface LineTax {
  readonly rateId: string;
  readonly percentage: Percentage;
  readonly inclusive: boolean;
  readonly amount: Money;
}

export interface InvoiceLineTotals {
  readonly id: string;
  readonly amount: Money;
  readonly discount: Money;
  /** amount − discount. */
  readonly taxableAmount: Money;
  readonly taxes: readonly LineTax[];
  /** Sum of this line's taxes, inclusive and exclusive. */
  readonly tax: Money;
  /** taxableAmount plus exclusive tax: what the line adds to the invoice total. */
  readonly total: Money;
}

export interface TaxSummary {
  readonly rateId: string;
  readonly percentage: Percentage;
  readonly inclusive: boolean;
  /** Sum of the taxable amounts of the lines carrying this rate. */
  readonly taxableAmount: Money;
  readonly amount: Money;
}

export interface InvoiceTotals {
  readonly currency: CurrencyCode;
  readonly lines: readonly InvoiceLineTotals[];
  /** Sum of line amounts before discounts. */
  readonly subtotal: Money;
  readonly discount: Money;
  /** All tax: inclusive (already inside the amounts) plus exclusive (added on top). */
  readonly tax: Money;
  readonly inclusiveTax: Money;
  readonly exclusiveTax: Money;
  /** subtotal − discount − inclusive tax. */
  readonly totalExcludingTax: Money;
  /** subtotal − discount + exclusive tax = the sum of the line totals. */
  readonly total: Money;
  readonly taxes: readonly TaxSummary[];
  readonly creditsApplied: Money;
  /** total − creditsApplied, never below zero. */
  readonly amountDue: Money;
  /** When the total is negative (a credit invoice): what goes back to the customer's balance. */
  readonly creditToBalance: Money;
}

/** The exact (unrounded) tax of one rate on one line: numerator / denominator minor units. */
interface ExactTax {
  readonly rate: TaxRate;
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/**
 * Invoice totals with tax per line. Exclusive tax = taxable × rate; inclusive tax is the part of the
 * taxable amount that is tax: taxable × rate / (1 + sum of the line's inclusive rates). With 'per_line'
 * every line tax is rounded on its own; with 'per_invoice' each rate's exact total is rounded once and
 * spread over its lines by largest remainder. Either way the totals are exactly the sums of the lines.
 */
export function computeInvoiceTotals(
  lines: readonly InvoiceLineInput[],
  options: InvoiceTotalsOptions,
): InvoiceTotals {
  const currency = getCurrency(options.currency).code;
  const rounding = options.rounding ?? DEFAULT_ROUNDING;
  assertRoundingMode(rounding);
  const taxRounding = options.taxRounding ?? 'per_line';
  if (taxRounding !== 'per_line' && taxRounding !== 'per_invoice') {
    throw new InvalidTaxRateError(
      `tax rounding ${describe(taxRounding)} must be "per_line" or "per_invoice"`,
    );
  }
  if (!Array.isArray(lines)) throw new InvalidAmountError(`invoice lines ${describe(lines)} must be a list`);
  const prepared = lines.map((line) => prepareLine(line, currency));
  assertConsistentRates(prepared.flatMap((line) => line.exact.map((tax) => tax.rate)));
  const lineTaxes =
    taxRounding === 'per_line'
      ? prepared.map((line) => line.exact.map((tax) => roundExact(tax, rounding)))
      : roundPerInvoice(prepared, rounding);

  const money = (amount: number): Money => unsafeMoney(amount, currency);
  const totals = { subtotal: 0, discount: 0, inclusiveTax: 0, exclusiveTax: 0 };
  const summaries = new Map<string, { rate: TaxRate; taxable: number; amount: number }>();
  const lineTotals = prepared.map((line, lineIndex): InvoiceLineTotals => {
    let inclusive = 0;
    let exclusive = 0;
    const taxes = line.exact.map(({ rate }, rateIndex): LineTax => {
      const amount = lineTaxes[lineIndex][rateIndex];
      if (rate.inclusive) inclusive = checkedAdd(inclusive, amount, 'line tax');
      else exclusive = checkedAdd(exclusive, amount, 'line tax');
      const summary = summaries.get(rate.id) ?? { rate, taxable: 0, amount: 0 };
      summary.taxable = checkedAdd(summary.taxable, line.taxable, 'taxable amount');
      summary.amount = checkedAdd(summary.amount, amount, 'tax total');
      summaries.set(rate.id, summary);
      return {
        rateId: rate.id,
        percentage: rate.percentage,
        inclusive: rate.inclusive,
        amount: money(amount),
      };
    });
    totals.subtotal = checkedAdd(totals.subtotal, line.amount, 'subtotal');
    totals.discount = checkedAdd(totals.discount, line.discount, 'discount total');
    totals.inclusiveTax = checkedAdd(totals.inclusiveTax, inclusive, 'inclusive tax');
    totals.exclusiveTax = checkedAdd(totals.exclusiveTax, exclusive, 'exclusive tax');
    return {
      id: line.id,
      amount: money(line.amount),
      discount: money(line.discount),
      taxableAmount: money(line.taxable),
      taxes,
      tax: money(checkedAdd(inclusive, exclusive, 'line tax')),
      total: money(checkedAdd(line.taxable, exclusive, 'line total')),
    };
  });

  const total = checkedAdd(
    checkedSubtract(totals.subtotal, totals.discount, 'invoice total'),
    totals.exclusiveTax,
    'invoice total',
  );
  const credits = availableCredits(options.credits, currency);
  const creditsApplied = Math.min(credits, Math.max(total, 0));
  return {
    currency,
    lines: lineTotals,
    subtotal: money(totals.subtotal),
    discount: money(totals.discount),
    tax: money(checkedAdd(totals.inclusiveTax, totals.exclusiveTax, 'tax total')),
    inclusiveTax: money(totals.inclusiveTax),
    exclusiveTax: money(totals.exclusiveTax),
    totalExcludingTax: money(
      checkedSubtract(
        checkedSubtract(totals.subtotal, totals.discount, 'total'),
        totals.inclusiveTax,
        'total excluding tax',
      ),
    ),
    total: money(total),
    taxes: [...summaries.values()].map(({ rate, taxable, amount }) => ({
      rateId: rate.id,
      percentage: rate.percentage,
      inclusive: rate.inclusive,
      taxableAmount: money(taxable),
      amount: money(amount),
    })),
    creditsApplied: money(creditsApplied),
    amountDue: money(Math.max(total - creditsApplied, 0)),
    creditToBalance: money(Math.max(-total, 0)),
  };
}

interface PreparedLine {
  readonly id: string;
  readonly amount: number;
  readonly discount: number;
  readonly taxable: number;
  readonly exact: readonly ExactTax[];
}

function prepareLine(line: InvoiceLineInput, currency: CurrencyCode): PreparedLine {
  if (typeof line !== 'object' || line === null)
    throw new InvalidAmountError(`invoice line ${describe(line)} is not an object`);
  const amount = lineMoney(line.amount, `line ${line.id} amount`, currency);
  const discount =
    line.discount === undefined ? 0 : lineMoney(line.discount, `line ${line.id} discount`, currency);
  if (discount < 0 || (discount > 0 && discount > amount)) {
    throw new InvalidAmountError(
      `line ${line.id} discount ${discount} must be between 0 and the line amount ${amount}`,
    );
  }
  const taxable = amount - discount;
  const rates = line.taxRates ?? [];
  if (!Array.isArray(rates)) throw new InvalidTaxRateError(`line ${line.id} taxRates must be a list`);
  const fractions = rates.map((rate) => rateFraction(rate));
  const inclusiveCount = rates.filter((rate) => rate.inclusive).length;
  if (inclusiveCount > 0 && inclusiveCount < rates.length) {
    throw new InvalidTaxRateError(`line ${line.id} mixes inclusive and exclusive tax rates`);
  }
  return {
    id: line.id,
    amount,
    discount,
    taxable,
    exact: exactTaxes(rates, fractions, taxable, inclusiveCount > 0),
  };
}

function lineMoney(value: Money, what: string, currency: CurrencyCode): number {
  assertMoney(value, what);
  if (value.currency !== currency) throw new CurrencyMismatchError(currency, value.currency, what);
  return value.amountMinor;
}

function rateFraction(rate: TaxRate): Fraction {
  if (typeof rate !== 'object' || rate === null || typeof rate.id !== 'string' || rate.id === '') {
    throw new InvalidTaxRateError(`tax rate ${describe(rate)} needs a non-empty id`);
  }
  if (typeof rate.inclusive !== 'boolean') {
    throw new InvalidTaxRateError(
      `tax rate ${rate.id} inclusive ${describe(rate.inclusive)} must be a boolean`,
    );
  }
  const fraction = percentageToFraction(rate.percentage, `tax rate ${rate.id} percentage`);
  if (fraction.numerator < 0n)
    throw new InvalidTaxRateError(`tax rate ${rate.id} percentage ${rate.percentage} is negative`);
  return fraction;
}

/** Exact taxes of one line. Inclusive rates share the divisor 1 + (sum of the line's inclusive rates). */
function exactTaxes(
  rates: readonly TaxRate[],
  fractions: readonly Fraction[],
  taxable: number,
  inclusive: boolean,
): ExactTax[] {
  const base = BigInt(taxable);
  if (!inclusive) {
    return rates.map((rate, index) => ({
      rate,
      numerator: base * fractions[index].numerator,
      denominator: fractions[index].denominator,
    }));
  }
  const common = fractions.reduce((acc, fraction) => lcm(acc, fraction.denominator), 1n);
  const rateSum = fractions.reduce(
    (acc, fraction) => acc + (fraction.numerator * common) / fraction.denominator,
    0n,
  );
  // rate / (1 + rateSum / common) = rate × common / (common + rateSum)
  return rates.map((rate, index) => ({
    rate,
    numerator: base * fractions[index].numerator * common,
    denominator: fractions[index].denominator * (common + rateSum),
  }));
}

function roundExact(tax: ExactTax, rounding: RoundingMode): number {
  return bigintToSafeNumber(divideRounded(tax.numerator, tax.denominator, rounding), `tax ${tax.rate.id}`);
}

/** For each rate: the exact total over all lines, rounded once, then spread over the lines. */
function roundPerInvoice(lines: readonly PreparedLine[], rounding: RoundingMode): number[][] {
  const result = lines.map((line) => line.exact.map(() => 0));
  const rateIds = new Set(lines.flatMap((line) => line.exact.map((tax) => tax.rate.id)));
  for (const rateId of rateIds) {
    const positions: { line: number; tax: number; exact: ExactTax }[] = [];
    lines.forEach((line, lineIndex) =>
      line.exact.forEach((exact, taxIndex) => {
        if (exact.rate.id === rateId) positions.push({ line: lineIndex, tax: taxIndex, exact });
      }),
    );
    const { numerators, denominator } = overCommonDenominator(positions.map(({ exact }) => exact));
    const total = divideRounded(
      numerators.reduce((acc, numerator) => acc + numerator, 0n),
      denominator,
      rounding,
    );
    roundToTotal(numerators, denominator, total).forEach((amount, index) => {
      const { line, tax } = positions[index];
      result[line][tax] = bigintToSafeNumber(amount, `tax ${rateId}`);
    });
  }
  return result;
}

/** The same rate id must mean the same rate on every line. */
function assertConsistentRates(rates: readonly TaxRate[]): void {
  const seen = new Map<string, TaxRate>();
  for (const rate of rates) {
    const first = seen.get(rate.id);
    if (first === undefined) seen.set(rate.id, rate);
    else if (first.percentage !== rate.percentage || first.inclusive !== rate.inclusive) {
      throw new InvalidTaxRateError(
        `tax rate ${rate.id} is used with different percentages or inclusiveness`,
      );
    }
  }
}

function availableCredits(credits: Money | undefined, currency: CurrencyCode): number {
  if (credits === undefined) return 0;
  const amount = lineMoney(credits, 'credits', currency);
  if (amount < 0) throw new InvalidAmountError(`credits ${amount} ${currency} must be zero or more`);
  return amount;
}

import { allocate, type Money, money, multiplyByFactor, parseCurrencyCode, sum } from '@astrix/pricing';

/** An invoice line as a credit note splits over it. */
export interface CreditableLine {
  position: number;
  description: string;
  amount: number;
  discount: number;
  tax: number;
  taxInclusive: boolean;
  taxRateId: string | null;
  taxPercentage: string | null;
}

/** One line of a credit note: its share of the note (what the customer gets back) and the tax in it. */
export interface CreditNoteLineDraft {
  position: number;
  invoiceLinePosition: number;
  description: string;
  /** Gross: what this line gives back, tax included. */
  amount: number;
  /** The tax inside `amount` (given back to the customer, owed to the tax authority no more). */
  tax: number;
  taxRateId: string | null;
  taxPercentage: string | null;
  taxInclusive: boolean;
}

/** What a line charged the customer: amount − discount, plus its tax when added on top. */
const chargedBy = (line: CreditableLine): number =>
  line.amount - line.discount + (line.taxInclusive ? 0 : line.tax);

/**
 * Splits a credit note of `amount` over the invoice lines in proportion to what each charged (lines
 * that charged nothing or less take none), through @astrix/pricing's allocate; each share carries
 * the same fraction of its line's tax (rounded half-even). A note on an invoice of nothing positive
 * is one line without tax.
 */
export function creditNoteLines(
  amountMinor: number,
  currencyCode: string,
  lines: readonly CreditableLine[],
): { lines: CreditNoteLineDraft[]; tax: number } {
  const currency = parseCurrencyCode(currencyCode);
  const total = money(amountMinor, currency);
  const weights = lines.map((line) => Math.max(0, chargedBy(line)));
  if (weights.every((weight) => weight === 0)) {
    return {
      lines: [
        {
          position: 1,
          invoiceLinePosition: lines[0]?.position ?? 1,
          description: lines[0]?.description ?? 'Credit',
          amount: amountMinor,
          tax: 0,
          taxRateId: null,
          taxPercentage: null,
          taxInclusive: false,
        },
      ],
      tax: 0,
    };
  }
  const shares = allocate(total, weights);
  const drafts: CreditNoteLineDraft[] = [];
  const taxes: Money[] = [];
  lines.forEach((line, index) => {
    const share = shares[index];
    if (share.amountMinor === 0) return;
    const tax = multiplyByFactor(money(line.tax, currency), {
      numerator: share.amountMinor,
      denominator: weights[index],
    });
    taxes.push(tax);
    drafts.push({
      position: drafts.length + 1,
      invoiceLinePosition: line.position,
      description: line.description,
      amount: share.amountMinor,
      tax: tax.amountMinor,
      taxRateId: line.taxRateId,
      taxPercentage: line.taxPercentage,
      taxInclusive: line.taxInclusive,
    });
  });
  return { lines: drafts, tax: sum(taxes, currency).amountMinor };
}

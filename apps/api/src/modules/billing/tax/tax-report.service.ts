import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { convert, money, parseCurrencyCode } from '@astrix/pricing';
import { REPORTING_CURRENCY } from '../fx/fx-snapshot';

/** One jurisdiction, treatment, rate and currency over the period. */
export interface TaxReportRow {
  country: string | null;
  region: string | null;
  treatment: string;
  taxRateId: string | null;
  percentage: string | null;
  inclusive: boolean;
  currency: string;
  /** Documents counted: invoices and credit notes. */
  documents: number;
  /** Net of tax: what the tax was computed on (credit notes negative). */
  taxableAmount: number;
  tax: number;
}

export interface TaxReport {
  from: string;
  to: string;
  rows: TaxReportRow[];
  /** Per currency: the tax of every row, what the tax payable account should hold for the period. */
  totals: Array<{ currency: string; taxableAmount: number; tax: number }>;
  /**
   * Everything in the reporting currency, each document converted at its invoice's FX snapshot
   * (the rate of its finalization day); `unconverted` counts documents without a snapshot.
   */
  reporting: { currency: string; taxableAmount: number; tax: number; unconverted: number };
}

interface RawRow {
  country: string | null;
  region: string | null;
  treatment: string;
  tax_rate_id: string | null;
  percentage: string | null;
  inclusive: boolean;
  currency: string;
  documents: string;
  taxable: string;
  tax: string;
}

/** Invoice lines and (negative) credit note lines of the period, with their invoice's jurisdiction and FX snapshot. */
const TAXED_CTE = `WITH taxed AS (
         SELECT i.tax_country AS country, i.tax_region AS region, COALESCE(i.tax_treatment, 'untaxed') AS treatment,
                l.tax_rate_id, l.tax_percentage AS percentage, l.tax_inclusive AS inclusive, i.currency,
                i.id AS document, i.fx_rate, i.fx_source, i.fx_as_of,
                l.amount - l.discount - CASE WHEN l.tax_inclusive THEN l.tax ELSE 0 END AS taxable, l.tax
           FROM billing.invoices i
           JOIN billing.invoice_lines l ON l.invoice_id = i.id
          WHERE i.issued_at >= $1 AND i.issued_at < $2 AND i.status NOT IN ('draft', 'void')
         UNION ALL
         -- Credit notes give tax back: negative, in the jurisdiction and treatment of their invoice.
         SELECT i.tax_country, i.tax_region, COALESCE(i.tax_treatment, 'untaxed'),
                cl.tax_rate_id, cl.tax_percentage, cl.tax_inclusive, n.currency,
                n.id, i.fx_rate, i.fx_source, i.fx_as_of, -(cl.amount - cl.tax), -cl.tax
           FROM billing.credit_notes n
           JOIN billing.credit_note_lines cl ON cl.credit_note_id = n.id
           JOIN billing.invoices i ON i.id = n.invoice_id
          WHERE n.issued_at >= $1 AND n.issued_at < $2
       )`;

const toNumber = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new Error(`tax report amount ${value} is not a safe integer`);
  return parsed;
};

/**
 * Tax per jurisdiction and period: finalized invoices issued in [from, to) (void ones left out:
 * their posting was reversed) and, negative, the credit notes issued in it, grouped by the jurisdiction, treatment and rate each line was taxed
 * with, in the invoice currency. Sums are exact integer minor units done by Postgres.
 */
@Injectable()
export class TaxReports {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async report(range: { from: Date; to: Date }): Promise<TaxReport> {
    const raw = (await this.dataSource.query(
      `${TAXED_CTE}
       SELECT country, region, treatment, tax_rate_id, percentage, inclusive, currency,
              COUNT(DISTINCT document)::text AS documents, SUM(taxable)::text AS taxable, SUM(tax)::text AS tax
         FROM taxed
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        ORDER BY 7, 1 NULLS LAST, 2 NULLS FIRST, 3, 5`,
      [range.from, range.to],
    )) as RawRow[];
    const rows = raw.map((row): TaxReportRow => ({
      country: row.country,
      region: row.region,
      treatment: row.treatment,
      taxRateId: row.tax_rate_id,
      percentage: row.percentage,
      inclusive: row.inclusive,
      currency: row.currency,
      documents: toNumber(row.documents),
      taxableAmount: toNumber(row.taxable),
      tax: toNumber(row.tax),
    }));
    const converted = (await this.dataSource.query(
      `${TAXED_CTE}
       SELECT currency, fx_rate, fx_source, fx_as_of, COUNT(DISTINCT document)::text AS documents,
              SUM(taxable)::text AS taxable, SUM(tax)::text AS tax
         FROM taxed GROUP BY 1, 2, 3, 4`,
      [range.from, range.to],
    )) as Array<{
      currency: string;
      fx_rate: string | null;
      fx_source: string | null;
      fx_as_of: Date | null;
      documents: string;
      taxable: string;
      tax: string;
    }>;
    const reporting = { currency: REPORTING_CURRENCY, taxableAmount: 0, tax: 0, unconverted: 0 };
    for (const group of converted) {
      if (group.fx_rate === null || group.fx_as_of === null) {
        reporting.unconverted += toNumber(group.documents);
        continue;
      }
      const snapshot = {
        from: parseCurrencyCode(group.currency),
        to: parseCurrencyCode(REPORTING_CURRENCY),
        rate: group.fx_rate,
        source: group.fx_source ?? 'unknown',
        asOf: group.fx_as_of,
      };
      const inReporting = (amount: string): number =>
        convert(money(toNumber(amount), snapshot.from), snapshot).amount.amountMinor;
      reporting.taxableAmount += inReporting(group.taxable);
      reporting.tax += inReporting(group.tax);
    }
    const totals = new Map<string, { currency: string; taxableAmount: number; tax: number }>();
    for (const row of rows) {
      const total = totals.get(row.currency) ?? { currency: row.currency, taxableAmount: 0, tax: 0 };
      total.taxableAmount += row.taxableAmount;
      total.tax += row.tax;
      totals.set(row.currency, total);
    }
    return {
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      rows,
      totals: [...totals.values()],
      reporting,
    };
  }
}

const csvCell = (value: string | number | boolean | null): string => {
  const text = value === null ? '' : String(value);
  return /[",\n\r]/.test(text) || /^[=+\-@\t]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** The report's rows as CSV (amounts in minor units, as stored). */
export function taxReportCsv(report: TaxReport): string {
  const header = [
    'country',
    'region',
    'treatment',
    'tax_rate_id',
    'percentage',
    'inclusive',
    'currency',
    'documents',
    'taxable_amount_minor',
    'tax_minor',
  ];
  const lines = report.rows.map((row) =>
    [
      row.country,
      row.region,
      row.treatment,
      row.taxRateId,
      row.percentage,
      row.inclusive,
      row.currency,
      row.documents,
      row.taxableAmount,
      row.tax,
    ]
      .map(csvCell)
      .join(','),
  );
  return [header.join(','), ...lines].join('\r\n') + '\r\n';
}

import { stringify } from 'csv-stringify/sync';
import type { RevenueReport } from '@astrix/contracts';
import { money, parseCurrencyCode, toDecimalString } from '@astrix/pricing';

export const REVENUE_CSV_COLUMNS = [
  'period',
  'currency',
  'product_kind',
  'charges',
  'gross',
  'discounts',
  'refunds',
  'disputes',
  'net',
] as const;

const decimal = (amount: number, currency: string): string =>
  toDecimalString(money(amount, parseCurrencyCode(currency)));

/** One line per period, currency and product kind; amounts as decimals of their currency (e.g. 299.00). */
export function revenueCsv(report: RevenueReport): string {
  return stringify(
    report.rows.map((row) => [
      row.period,
      row.currency,
      row.productKind,
      row.charges,
      decimal(row.gross, row.currency),
      decimal(row.discounts, row.currency),
      decimal(row.refunds, row.currency),
      decimal(row.disputes, row.currency),
      decimal(row.net, row.currency),
    ]),
    { header: true, columns: [...REVENUE_CSV_COLUMNS], record_delimiter: 'windows' },
  );
}

import { stringify } from 'csv-stringify/sync';
import { money, parseCurrencyCode, toDecimalString } from '@astrix/pricing';

/** The currency the close export reports in (FX snapshots convert into it once they land). */
export const REPORTING_CURRENCY = 'USD';

/** One journal line as the month-end close export carries it to the ERP. */
export interface JournalExportLine {
  /** The business date (UTC, YYYY-MM-DD) and instant of the entry. */
  date: string;
  occurredAt: string;
  entryId: string;
  account: string;
  accountName: string;
  /** Minor units. */
  debit: number;
  credit: number;
  currency: string;
  reportingCurrency: string;
  /** The rate from the line's currency to the reporting currency, as a decimal string. */
  fxRate: string;
  /** Where the rate comes from: `none` until entries carry FX snapshots (then amounts equal the line's). */
  fxSource: string;
  reportingDebit: number;
  reportingCredit: number;
  sourceType: string;
  sourceId: string;
  event: string;
  customerId: string | null;
  productKind: string | null;
  memo: string | null;
}

/** A journal line as read from the database. */
export interface JournalLineRow {
  occurredAt: Date;
  entryId: string;
  account: string;
  accountName: string;
  debit: number;
  credit: number;
  currency: string;
  sourceType: string;
  sourceId: string;
  event: string;
  customerId: string | null;
  productKind: string | null;
  memo: string | null;
}

/**
 * The export line of a journal line. Without an FX snapshot the reporting amounts equal the line's
 * amounts at rate 1 and `fxSource` says `none`, so an ERP can tell them from converted ones.
 */
export function exportLine(row: JournalLineRow): JournalExportLine {
  return {
    date: row.occurredAt.toISOString().slice(0, 10),
    occurredAt: row.occurredAt.toISOString(),
    entryId: row.entryId,
    account: row.account,
    accountName: row.accountName,
    debit: row.debit,
    credit: row.credit,
    currency: row.currency,
    reportingCurrency: REPORTING_CURRENCY,
    fxRate: '1',
    fxSource: row.currency === REPORTING_CURRENCY ? 'same_currency' : 'none',
    reportingDebit: row.debit,
    reportingCredit: row.credit,
    sourceType: row.sourceType,
    sourceId: row.sourceId,
    event: row.event,
    customerId: row.customerId,
    productKind: row.productKind,
    memo: row.memo,
  };
}

/** The first instant of a month `YYYY-MM` and of the month after it (UTC). */
export function monthRange(month: string): { from: Date; to: Date } {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  const year = match ? Number(match[1]) : NaN;
  const index = match ? Number(match[2]) - 1 : NaN;
  if (!match || index < 0 || index > 11 || year < 1970)
    throw new Error(`month must be YYYY-MM, got ${month}`);
  return { from: new Date(Date.UTC(year, index, 1)), to: new Date(Date.UTC(year, index + 1, 1)) };
}

export const JOURNAL_EXPORT_CSV_COLUMNS = [
  'date',
  'occurred_at',
  'entry_id',
  'account',
  'account_name',
  'debit',
  'credit',
  'currency',
  'reporting_currency',
  'fx_rate',
  'fx_source',
  'reporting_debit',
  'reporting_credit',
  'source_type',
  'source_id',
  'event',
  'customer_id',
  'product_kind',
  'memo',
] as const;

const decimal = (amount: number, currency: string): string =>
  toDecimalString(money(amount, parseCurrencyCode(currency)));

/** The export as CSV: amounts as decimals of their currency (e.g. 299.00), one row per journal line. */
export function journalExportCsv(lines: readonly JournalExportLine[]): string {
  return stringify(
    lines.map((line) => [
      line.date,
      line.occurredAt,
      line.entryId,
      line.account,
      line.accountName,
      decimal(line.debit, line.currency),
      decimal(line.credit, line.currency),
      line.currency,
      line.reportingCurrency,
      line.fxRate,
      line.fxSource,
      decimal(line.reportingDebit, line.reportingCurrency),
      decimal(line.reportingCredit, line.reportingCurrency),
      line.sourceType,
      line.sourceId,
      line.event,
      line.customerId ?? '',
      line.productKind ?? '',
      line.memo ?? '',
    ]),
    { header: true, columns: [...JOURNAL_EXPORT_CSV_COLUMNS] },
  );
}

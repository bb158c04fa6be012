import { stringify } from 'csv-stringify/sync';
import { convert, money, parseCurrencyCode, toDecimalString } from '@astrix/pricing';
import { REPORTING_CURRENCY } from '../fx/fx-snapshot';

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
  /** The line's FX snapshot: 1 unit of its currency in the reporting currency; null when it has none. */
  fxRate: string | null;
  /** Where the rate comes from (`identity`, `ecb`, `admin`, …); `none` when the line has no snapshot. */
  fxSource: string;
  /** The day the rate is of (YYYY-MM-DD); null without a snapshot. */
  fxAsOf: string | null;
  /** Debit and credit converted with the snapshot (@astrix/pricing's convert); null without one. */
  reportingDebit: number | null;
  reportingCredit: number | null;
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
  /** The FX snapshot the journal took when the line was written; null when no rate was known. */
  snapshot: { reportingCurrency: string; rate: string; source: string; asOf: Date } | null;
}

/**
 * The export line of a journal line: its amounts in the reporting currency converted with the
 * line's own FX snapshot (the rate of its day, never today's). A line without one (no rate known
 * then) has no reporting amounts and `fxSource` `none`, so the ERP sees the gap instead of a guess.
 */
export function exportLine(row: JournalLineRow): JournalExportLine {
  const snapshot = row.snapshot;
  const fx =
    snapshot === null
      ? null
      : {
          from: parseCurrencyCode(row.currency),
          to: parseCurrencyCode(snapshot.reportingCurrency),
          rate: snapshot.rate,
          source: snapshot.source,
          asOf: snapshot.asOf,
        };
  const inReporting = (amount: number): number | null =>
    fx === null ? null : convert(money(amount, fx.from), fx).amount.amountMinor;
  return {
    date: row.occurredAt.toISOString().slice(0, 10),
    occurredAt: row.occurredAt.toISOString(),
    entryId: row.entryId,
    account: row.account,
    accountName: row.accountName,
    debit: row.debit,
    credit: row.credit,
    currency: row.currency,
    reportingCurrency: snapshot?.reportingCurrency ?? REPORTING_CURRENCY,
    fxRate: snapshot?.rate ?? null,
    fxSource: snapshot?.source ?? 'none',
    fxAsOf: snapshot ? snapshot.asOf.toISOString().slice(0, 10) : null,
    reportingDebit: inReporting(row.debit),
    reportingCredit: inReporting(row.credit),
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
  'fx_as_of',
  'reporting_debit',
  'reporting_credit',
  'source_type',
  'source_id',
  'event',
  'customer_id',
  'product_kind',
  'memo',
] as const;

const decimal = (amount: number | null, currency: string): string =>
  amount === null ? '' : toDecimalString(money(amount, parseCurrencyCode(currency)));

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
      line.fxRate ?? '',
      line.fxSource,
      line.fxAsOf ?? '',
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

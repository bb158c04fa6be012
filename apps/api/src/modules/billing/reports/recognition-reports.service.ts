import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { add, subtract } from '@astrix/pricing';
import { RevenueSchedule } from '../ledger/recognition.entity';
import { storedMoney } from '../money';
import { monthsBetween, outlookByMonth } from './deferred-waterfall';
import { exportLine, type JournalExportLine, monthRange } from './journal-export';

/** One month of deferred revenue in one currency: opening + billed − recognized − credited = closing. */
export interface DeferredMonth {
  month: string;
  opening: number;
  /** Deferred by invoices finalized in the month (net of proration credits and voids). */
  deferred: number;
  /** Moved to revenue by the recognition run. */
  recognized: number;
  /** Taken off by credit notes and refunds. */
  credited: number;
  closing: number;
}

export interface DeferredWaterfall {
  currency: string;
  months: DeferredMonth[];
  /** When what is deferred now will be recognized, by month (the schedules' remaining days). */
  outlook: Array<{ month: string; amount: number }>;
}

export interface RecognizedRevenueRow {
  currency: string;
  productKind: string;
  /** Earned over time: the recognition run's entries (net of voids). */
  overTime: number;
  /** Earned at once, on the invoice entry (net of voids). */
  pointInTime: number;
  total: number;
}

/**
 * Revenue recognition reports from the journal and the schedules (read-only): the deferred revenue
 * waterfall by month, recognized revenue by product kind and currency, and the month-end close
 * export of the journal.
 */
@Injectable()
export class RecognitionReports {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Months `from`..`to` (YYYY-MM): deferred revenue's movements per month and currency, and the outlook. */
  async deferredWaterfall(from: string, to: string): Promise<DeferredWaterfall[]> {
    const months = monthsBetween(from, to);
    const start = monthRange(from).from;
    const end = monthRange(to).to;
    const rows: Array<{ currency: string; month: string | null; movement: string; amount: string }> =
      await this.dataSource.query(
        `SELECT l.currency,
                CASE WHEN l.occurred_at < $1 THEN NULL ELSE to_char(l.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM') END AS month,
                CASE WHEN e.source_type = 'revenue_schedule' AND (e.event LIKE 'recognized.%' OR e.event = 'voided') THEN 'recognized'
                     WHEN e.source_type = 'revenue_schedule' THEN 'credited'
                     ELSE 'deferred' END AS movement,
                sum(l.credit - l.debit)::text AS amount
           FROM billing.journal_lines l JOIN billing.journal_entries e ON e.id = l.entry_id
          WHERE l.account = 'deferred_revenue' AND l.occurred_at < $2
          GROUP BY 1, 2, 3`,
        [start, end],
      );
    // Only schedules with something left to recognize shape the outlook.
    const schedules = await this.dataSource
      .getRepository(RevenueSchedule)
      .createQueryBuilder('s')
      .where('s.amount - s.recognized - s.reduced <> 0')
      .getMany();
    const outlook = outlookByMonth(schedules);
    const currencies = [...new Set([...rows.map((row) => row.currency), ...outlook.keys()])].sort();
    return currencies.map((currency) => {
      const zero = storedMoney(0, currency);
      const of = (month: string | null, movement: string) =>
        rows
          .filter((row) => row.currency === currency && row.month === month && row.movement === movement)
          .reduce((total, row) => add(total, storedMoney(row.amount, currency)), zero);
      let opening = ['deferred', 'recognized', 'credited'].reduce(
        (total, movement) => add(total, of(null, movement)),
        zero,
      );
      const waterfall = months.map((month): DeferredMonth => {
        const deferred = of(month, 'deferred');
        const recognized = of(month, 'recognized');
        const credited = of(month, 'credited');
        const closing = add(add(add(opening, deferred), recognized), credited);
        const row = {
          month,
          opening: opening.amountMinor,
          deferred: deferred.amountMinor,
          recognized: subtract(zero, recognized).amountMinor,
          credited: subtract(zero, credited).amountMinor,
          closing: closing.amountMinor,
        };
        opening = closing;
        return row;
      });
      return {
        currency,
        months: waterfall,
        outlook: [...(outlook.get(currency) ?? new Map<string, number>())]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([month, amount]) => ({ month, amount })),
      };
    });
  }

  /** Revenue earned in [from, to) per currency and product kind: over time (recognized) and at once. */
  async recognizedRevenue(from: Date, to: Date): Promise<RecognizedRevenueRow[]> {
    const rows: Array<{ currency: string; kind: string; over_time: string; point_in_time: string }> =
      await this.dataSource.query(
        `SELECT l.currency, substr(l.account, length('revenue_') + 1) AS kind,
                COALESCE(sum(l.credit - l.debit) FILTER (WHERE e.source_type = 'revenue_schedule'), 0)::text AS over_time,
                COALESCE(sum(l.credit - l.debit) FILTER (WHERE e.source_type <> 'revenue_schedule'), 0)::text AS point_in_time
           FROM billing.journal_lines l JOIN billing.journal_entries e ON e.id = l.entry_id
           JOIN billing.ledger_accounts a ON a.code = l.account AND a.type = 'income'
          WHERE l.occurred_at >= $1 AND l.occurred_at < $2
          GROUP BY 1, 2 ORDER BY 1, 2`,
        [from, to],
      );
    return rows.map((row) => {
      const overTime = storedMoney(row.over_time, row.currency);
      const pointInTime = storedMoney(row.point_in_time, row.currency);
      return {
        currency: row.currency,
        productKind: row.kind,
        overTime: overTime.amountMinor,
        pointInTime: pointInTime.amountMinor,
        total: add(overTime, pointInTime).amountMinor,
      };
    });
  }

  /** Every journal line of a month (YYYY-MM, UTC), oldest first: the month-end close export. */
  async journalExport(month: string): Promise<JournalExportLine[]> {
    const { from, to } = monthRange(month);
    const rows: Array<{
      occurred_at: Date;
      entry_id: string;
      account: string;
      account_name: string;
      debit: string;
      credit: string;
      currency: string;
      source_type: string;
      source_id: string;
      event: string;
      customer_id: string | null;
      product_kind: string | null;
      memo: string | null;
      reporting_currency: string | null;
      fx_rate: string | null;
      fx_source: string | null;
      fx_as_of: Date | null;
    }> = await this.dataSource.query(
      `SELECT l.occurred_at, l.entry_id, l.account, a.name AS account_name, l.debit::text, l.credit::text, l.currency,
              e.source_type, e.source_id, e.event, l.customer_id, l.product_kind, e.memo,
              l.reporting_currency, l.fx_rate, l.fx_source, l.fx_as_of
         FROM billing.journal_lines l
         JOIN billing.journal_entries e ON e.id = l.entry_id
         JOIN billing.ledger_accounts a ON a.code = l.account
        WHERE l.occurred_at >= $1 AND l.occurred_at < $2
        ORDER BY l.occurred_at, l.entry_id, l.id`,
      [from, to],
    );
    return rows.map((row) =>
      exportLine({
        occurredAt: row.occurred_at,
        entryId: row.entry_id,
        account: row.account,
        accountName: row.account_name,
        debit: Number(row.debit),
        credit: Number(row.credit),
        currency: row.currency,
        sourceType: row.source_type,
        sourceId: row.source_id,
        event: row.event,
        customerId: row.customer_id,
        productKind: row.product_kind,
        memo: row.memo,
        snapshot:
          row.reporting_currency === null || row.fx_rate === null || row.fx_as_of === null
            ? null
            : {
                reportingCurrency: row.reporting_currency,
                rate: row.fx_rate,
                source: row.fx_source ?? 'unknown',
                asOf: row.fx_as_of,
              },
      }),
    );
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { recognitionFindings } from '../ledger/recognition/recognition-checks';
import { addDays } from '../ledger/recognition/recognition-rules';
import { RevenueRecognition } from '../ledger/recognition/revenue-recognition.service';
import { LedgerReports } from './ledger-reports.service';
import { monthRange } from './journal-export';
import { closeCurrencies, isClosed, type MonthCloseReport } from './month-close';
import { RecognitionReports } from './recognition-reports.service';

/**
 * The month-end close: recognize through the month's last day, then check the trial balance at the
 * month end, that deferred + recognized = invoiced net of credits per currency, that no schedule is
 * behind and that the journal agrees with the schedules. `pnpm cli close --month M`.
 */
@Injectable()
export class MonthClose {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly recognition: RevenueRecognition,
    private readonly ledger: LedgerReports,
    private readonly reports: RecognitionReports,
  ) {}

  async close(month: string): Promise<MonthCloseReport> {
    const { to } = monthRange(month);
    const lastDay = addDays(to.toISOString().slice(0, 10), -1);
    await this.recognition.run(lastDay);
    const trialBalance = await this.ledger.trialBalance(to);
    const movements: Array<{
      currency: string;
      invoiced: string;
      credited: string;
      recognized: string;
      deferred: string;
    }> = await this.dataSource.query(
      `SELECT l.currency,
              COALESCE(sum(l.credit - l.debit) FILTER (WHERE e.source_type <> 'revenue_schedule'), 0)::text AS invoiced,
              COALESCE(sum(l.debit - l.credit) FILTER (WHERE e.source_type = 'revenue_schedule' AND e.event LIKE 'credited.%'), 0)::text AS credited,
              COALESCE(sum(l.debit - l.credit) FILTER (WHERE e.source_type = 'revenue_schedule'
                                                         AND (e.event LIKE 'recognized.%' OR e.event = 'voided')), 0)::text AS recognized,
              COALESCE(sum(l.credit - l.debit), 0)::text AS deferred
         FROM billing.journal_lines l JOIN billing.journal_entries e ON e.id = l.entry_id
        WHERE l.account = 'deferred_revenue' AND l.occurred_at < $1
        GROUP BY l.currency ORDER BY l.currency`,
      [to],
    );
    const [behind]: Array<{ count: number }> = await this.dataSource.query(
      `SELECT count(*)::int AS count FROM billing.revenue_schedules
        WHERE first_day <= $1::date AND (recognized_through IS NULL OR recognized_through < least($1::date, last_day))`,
      [lastDay],
    );
    const report = {
      month,
      at: to.toISOString(),
      trialBalanceBalanced: trialBalance.balanced,
      currencies: closeCurrencies(
        movements.map((row) => ({
          currency: row.currency,
          invoiced: Number(row.invoiced),
          credited: Number(row.credited),
          recognized: Number(row.recognized),
          deferred: Number(row.deferred),
        })),
      ),
      schedulesBehind: behind.count,
      findings: await recognitionFindings(this.dataSource),
      exportLines: (await this.reports.journalExport(month)).length,
    };
    return { ...report, closed: isClosed(report) };
  }
}

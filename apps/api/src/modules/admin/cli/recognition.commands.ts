import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { journalExportCsv, MonthClose, RecognitionReports, RevenueRecognition } from '../../billing';
import { CLI_APP_CONTEXT_FACTORY, type CliAppContextFactory } from '../../../platform/cli/cli-app-context';
import type { INestApplicationContext } from '@nestjs/common';
import { QUEUE_NAMES } from '../../../platform/queues/job-registry';
import { JobQueue } from '../../../platform/queues/job-queue.service';
import { parseCalendarDay } from '../../../platform/http/instant';
import { print } from './cli-support';

/** Runs `work` in a CLI app context, closing it (after the queues finish connecting) whatever happens. */
async function withApp<T>(
  startApp: CliAppContextFactory,
  work: (app: INestApplicationContext) => Promise<T>,
): Promise<T> {
  const app = await startApp();
  try {
    return await work(app);
  } finally {
    const jobs = app.get(JobQueue, { strict: false });
    await Promise.allSettled(QUEUE_NAMES.map((name) => jobs.queue(name).waitUntilReady()));
    await app.close();
  }
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * `recognize --through D`: the daily recognition run by hand — deferred revenue to revenue for every
 * schedule's days through D (default yesterday, UTC). Idempotent per schedule and day; catches up.
 */
@Command({
  name: 'recognize',
  description: 'Recognize deferred revenue through a day (default yesterday, UTC); idempotent',
})
export class RecognizeCommand extends CommandRunner {
  constructor(@Inject(CLI_APP_CONTEXT_FACTORY) private readonly startApp: CliAppContextFactory) {
    super();
  }

  async run(_: string[], options: { through?: string; json?: boolean }): Promise<void> {
    const result = await withApp(this.startApp, (app) =>
      app.get(RevenueRecognition, { strict: false }).run(options.through),
    );
    print(options.json, result, [{ ...result }], ['through', 'schedules', 'entries']);
    if (!options.json)
      process.stderr.write(`recognized through ${result.through}: ${result.entries} entries posted\n`);
  }

  @Option({
    flags: '--through <day>',
    description: 'Last day to recognize, YYYY-MM-DD (default: yesterday, UTC)',
  })
  parseThrough(value: string): string {
    if (parseCalendarDay(value) === null) throw new Error('--through must be a calendar day YYYY-MM-DD');
    return value;
  }

  @Option({ flags: '--json', description: 'Print the result as JSON' })
  parseJson(): boolean {
    return true;
  }
}

/**
 * `export journal --month M`: the month-end close export for an ERP — every journal line of the
 * month (UTC) with date, account, debit, credit, currency, reporting-currency amounts, source and
 * memo, as CSV (default) or JSON, to stdout or `--out`.
 */
@SubCommand({ name: 'journal', description: 'Export the journal lines of a month (CSV or JSON) for the ERP' })
export class ExportJournalCommand extends CommandRunner {
  constructor(@Inject(CLI_APP_CONTEXT_FACTORY) private readonly startApp: CliAppContextFactory) {
    super();
  }

  async run(_: string[], options: { month?: string; format?: 'csv' | 'json'; out?: string }): Promise<void> {
    if (options.month === undefined) throw new Error('--month YYYY-MM is required');
    const month = options.month;
    const lines = await withApp(this.startApp, (app) =>
      app.get(RecognitionReports, { strict: false }).journalExport(month),
    );
    const text =
      options.format === 'json' ? `${JSON.stringify({ month, lines }, null, 2)}\n` : journalExportCsv(lines);
    if (options.out) {
      writeFileSync(options.out, text);
      process.stderr.write(`journal ${month}: ${lines.length} lines written to ${options.out}\n`);
    } else {
      process.stdout.write(text);
    }
  }

  @Option({ flags: '--month <YYYY-MM>', description: 'The month to export (UTC)' })
  parseMonth(value: string): string {
    if (!MONTH.test(value)) throw new Error('--month must be YYYY-MM');
    return value;
  }

  @Option({ flags: '--format <csv|json>', description: 'csv (default) or json' })
  parseFormat(value: string): 'csv' | 'json' {
    if (value !== 'csv' && value !== 'json') throw new Error('--format must be csv or json');
    return value;
  }

  @Option({ flags: '--out <file>', description: 'Write to this file instead of stdout' })
  parseOut(value: string): string {
    return value;
  }
}

@Command({
  name: 'export',
  description: 'Exports for finance: the month-end journal',
  subCommands: [ExportJournalCommand],
})
export class ExportCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

/**
 * `close --month M`: the month-end close — recognizes through the month's last day, then checks the
 * trial balance at the month end, deferred + recognized = invoiced net of credits per currency, no
 * schedule behind and the journal agreeing with the schedules; with `--out-dir`, writes the close
 * export (journal CSV and JSON). Exit code 1 when the month does not close.
 */
@Command({
  name: 'close',
  description: 'Close a month: recognize, check the books add up, export the journal',
})
export class CloseMonthCommand extends CommandRunner {
  constructor(@Inject(CLI_APP_CONTEXT_FACTORY) private readonly startApp: CliAppContextFactory) {
    super();
  }

  async run(_: string[], options: { month?: string; json?: boolean; outDir?: string }): Promise<void> {
    if (options.month === undefined) throw new Error('--month YYYY-MM is required');
    const month = options.month;
    const { report, lines } = await withApp(this.startApp, async (app) => ({
      report: await app.get(MonthClose, { strict: false }).close(month),
      lines: options.outDir ? await app.get(RecognitionReports, { strict: false }).journalExport(month) : [],
    }));
    if (options.outDir) {
      mkdirSync(options.outDir, { recursive: true });
      writeFileSync(join(options.outDir, `journal-${month}.csv`), journalExportCsv(lines));
      writeFileSync(
        join(options.outDir, `journal-${month}.json`),
        `${JSON.stringify({ month, lines }, null, 2)}\n`,
      );
      writeFileSync(join(options.outDir, `close-${month}.json`), `${JSON.stringify(report, null, 2)}\n`);
    }
    print(
      options.json,
      report,
      report.currencies.map((currency) => ({ ...currency })),
      ['currency', 'invoicedNetOfCredits', 'recognized', 'deferred', 'balanced'],
    );
    if (!options.json) {
      process.stderr.write(
        `close ${month}: ${report.closed ? 'CLOSED' : 'NOT CLOSED'} (trial balance ${report.trialBalanceBalanced ? 'balanced' : 'NOT balanced'}, ${report.schedulesBehind} schedules behind, ${report.findings.length} findings, ${report.exportLines} journal lines)\n`,
      );
    }
    if (!report.closed) process.exitCode = 1;
  }

  @Option({ flags: '--month <YYYY-MM>', description: 'The month to close (UTC)' })
  parseMonth(value: string): string {
    if (!MONTH.test(value)) throw new Error('--month must be YYYY-MM');
    return value;
  }

  @Option({ flags: '--json', description: 'Print the close report as JSON' })
  parseJson(): boolean {
    return true;
  }

  @Option({
    flags: '--out-dir <dir>',
    description: 'Write journal-M.csv, journal-M.json and close-M.json here',
  })
  parseOutDir(value: string): string {
    return value;
  }
}

export const RECOGNITION_COMMANDS = [
  RecognizeCommand,
  ExportCommand,
  ExportJournalCommand,
  CloseMonthCommand,
];

import { Inject } from '@nestjs/common';
import { CommandRunner, Option, SubCommand } from 'nest-commander';
import { LedgerReports } from '../../billing';
import { CLI_APP_CONTEXT_FACTORY, type CliAppContextFactory } from '../../../platform/cli/cli-app-context';
import { parseInstant } from '../../../platform/http/instant';
import { JobQueue } from '../../../platform/queues/job-queue.service';
import { QUEUE_NAMES } from '../../../platform/queues/job-registry';
import { TRIAL_BALANCE_CSV_COLUMNS, trialBalanceLines } from '../ledger-csv';
import { print } from './cli-support';

interface TrialBalanceFlags {
  json?: boolean;
  at?: Date;
}

/**
 * `ledger trial-balance --at D`: every account's balance per currency from the entries that
 * occurred before D (default now), with the column totals; exit code 1 when a currency does not
 * balance. Read-only.
 */
@SubCommand({
  name: 'trial-balance',
  description: 'Trial balance at an instant: balances per account and currency, totals, balanced or not',
})
export class LedgerTrialBalanceCommand extends CommandRunner {
  constructor(@Inject(CLI_APP_CONTEXT_FACTORY) private readonly startApp: CliAppContextFactory) {
    super();
  }

  async run(_: string[], options: TrialBalanceFlags): Promise<void> {
    const app = await this.startApp();
    try {
      const view = await app.get(LedgerReports, { strict: false }).trialBalance(options.at ?? new Date());
      print(options.json, view, trialBalanceLines(view), [...TRIAL_BALANCE_CSV_COLUMNS]);
      if (!options.json) {
        process.stderr.write(`trial balance at ${view.at}: ${view.balanced ? 'balanced' : 'NOT BALANCED'}\n`);
      }
      if (!view.balanced) process.exitCode = 1;
    } finally {
      // As the books check: let the queues finish connecting before closing, or BullMQ errors late.
      const jobs = app.get(JobQueue, { strict: false });
      await Promise.allSettled(QUEUE_NAMES.map((name) => jobs.queue(name).waitUntilReady()));
      await app.close();
    }
  }

  @Option({ flags: '--json', description: 'Print the trial balance as JSON' })
  parseJson(): boolean {
    return true;
  }

  @Option({
    flags: '--at <iso>',
    description: 'Balances as they stood at this instant: entries before it count (default: now)',
  })
  parseAt(value: string): Date {
    const at = parseInstant(value);
    if (at === null) {
      throw new Error('--at must be an ISO 8601 date or time, e.g. 2026-05-01 or 2026-05-01T00:00:00Z');
    }
    return at;
  }
}

export const LEDGER_REPORT_COMMANDS = [LedgerTrialBalanceCommand];

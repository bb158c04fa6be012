import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { LedgerBackfill, type LedgerBackfillReport } from '../../billing';
import { PayoutJournalBackfill } from '../../payouts';
import { CLI_APP_CONTEXT_FACTORY, type CliAppContextFactory } from '../../../platform/cli/cli-app-context';
import { QUEUE_NAMES } from '../../../platform/queues/job-registry';
import { JobQueue } from '../../../platform/queues/job-queue.service';
import { print } from './cli-support';
import { LEDGER_REPORT_COMMANDS, LedgerTrialBalanceCommand } from './ledger-report.commands';

interface BackfillFlags {
  json?: boolean;
  batchSize?: number;
}

/**
 * `ledger backfill`: posts the journal entries existing rows lack (the same entries the live paths
 * post), oldest first, in batches. Idempotent: a second run posts nothing. `db migrate` runs it too.
 */
@SubCommand({
  name: 'backfill',
  description: 'Post the journal entries existing money rows lack (idempotent)',
})
export class LedgerBackfillCommand extends CommandRunner {
  constructor(@Inject(CLI_APP_CONTEXT_FACTORY) private readonly startApp: CliAppContextFactory) {
    super();
  }

  async run(_: string[], options: BackfillFlags): Promise<void> {
    const app = await this.startApp();
    let report: LedgerBackfillReport;
    try {
      report = await app.get(LedgerBackfill, { strict: false }).run({ batchSize: options.batchSize });
      // Trader payouts: payouts posts them from its own ledger, through the same journal.
      const payouts = await app
        .get(PayoutJournalBackfill, { strict: false })
        .run({ batchSize: options.batchSize });
      report = {
        posted: report.posted + payouts.posted,
        bySource: [
          ...report.bySource,
          { sourceType: 'trader_payout', event: 'payout.*', rows: payouts.payouts, posted: payouts.posted },
        ],
      };
    } finally {
      // As the books check: let the queues finish connecting before closing, or BullMQ errors late.
      const jobs = app.get(JobQueue, { strict: false });
      await Promise.allSettled(QUEUE_NAMES.map((name) => jobs.queue(name).waitUntilReady()));
      await app.close();
    }
    print(
      options.json,
      report,
      report.bySource.map((source) => ({ ...source })),
      ['sourceType', 'event', 'rows', 'posted'],
    );
    if (!options.json) process.stderr.write(`ledger backfill: ${report.posted} entries posted\n`);
  }

  @Option({ flags: '--json', description: 'Print the report as JSON' })
  parseJson(): boolean {
    return true;
  }

  @Option({ flags: '--batch-size <n>', description: 'Rows per transaction (default 500)' })
  parseBatchSize(value: string): number {
    const size = Number(value);
    if (!Number.isSafeInteger(size) || size < 1 || size > 10_000) {
      throw new Error('--batch-size must be a whole number from 1 to 10000');
    }
    return size;
  }
}

@Command({
  name: 'ledger',
  description: 'The ledger: backfill, trial balance',
  subCommands: [LedgerBackfillCommand, LedgerTrialBalanceCommand],
})
export class LedgerCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

export const LEDGER_COMMANDS = [LedgerCommand, LedgerBackfillCommand, ...LEDGER_REPORT_COMMANDS];

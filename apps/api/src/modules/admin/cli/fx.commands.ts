import { readFile } from 'node:fs/promises';
import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { FxRates } from '../../billing';
import { CLI_APP_CONTEXT_FACTORY, type CliAppContextFactory } from '../../../platform/cli/cli-app-context';
import { QUEUE_NAMES } from '../../../platform/queues/job-registry';
import { JobQueue } from '../../../platform/queues/job-queue.service';

interface FxImportFlags {
  file?: string;
}

const CLI_ACTOR = { actor: { kind: 'system' as const, name: 'cli-fx-import' }, requestId: null };

/**
 * `fx import --file F`: imports an ECB-style CSV of daily rates (Date, then one column per currency,
 * 1 EUR = x), all or nothing, audited as fx_rates.imported. A bad cell exits 1 naming it.
 */
@SubCommand({ name: 'import', description: 'Import an ECB-style CSV of daily FX rates (1 EUR = x)' })
export class FxImportCommand extends CommandRunner {
  constructor(@Inject(CLI_APP_CONTEXT_FACTORY) private readonly startApp: CliAppContextFactory) {
    super();
  }

  async run(_: string[], options: FxImportFlags): Promise<void> {
    if (!options.file) throw new Error('--file is required, e.g. --file eurofxref-hist.csv');
    const csv = await readFile(options.file, 'utf8');
    const app = await this.startApp();
    try {
      const imported = await app.get(FxRates, { strict: false }).importEcbCsv(csv, CLI_ACTOR);
      process.stdout.write(`fx rates imported: ${imported.rates} rates over ${imported.days} days\n`);
    } finally {
      const jobs = app.get(JobQueue, { strict: false });
      await Promise.allSettled(QUEUE_NAMES.map((name) => jobs.queue(name).waitUntilReady()));
      await app.close();
    }
  }

  @Option({ flags: '--file <path>', description: 'The CSV file' })
  parseFile(value: string): string {
    return value;
  }
}

@Command({ name: 'fx', description: 'FX rates', subCommands: [FxImportCommand] })
export class FxCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
    return Promise.resolve();
  }
}

export const FX_COMMANDS = [FxCommand, FxImportCommand];

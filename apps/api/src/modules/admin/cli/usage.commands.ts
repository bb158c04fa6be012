import { Inject } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { UsagePartitions } from '../../billing';
import { CLI_APP_CONTEXT_FACTORY, type CliAppContextFactory } from '../../../platform/cli/cli-app-context';
import { confirm } from '../../../platform/cli/cli-io';
import { print } from './cli-support';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

async function withPartitions<T>(
  startApp: CliAppContextFactory,
  work: (partitions: UsagePartitions) => Promise<T>,
): Promise<T> {
  const app: INestApplicationContext = await startApp();
  try {
    return await work(app.get(UsagePartitions, { strict: false }));
  } finally {
    await app.close();
  }
}

/** `usage partitions [--ensure]`: the usage events' month partitions, attached and archived. */
@SubCommand({
  name: 'partitions',
  description: "List the usage events' month partitions; --ensure creates the months ahead first",
})
export class UsagePartitionsCommand extends CommandRunner {
  constructor(@Inject(CLI_APP_CONTEXT_FACTORY) private readonly startApp: CliAppContextFactory) {
    super();
  }

  async run(_: string[], options: { ensure?: boolean; json?: boolean }): Promise<void> {
    const { created, partitions } = await withPartitions(this.startApp, async (usage) => ({
      created: options.ensure ? await usage.ensureAhead() : null,
      partitions: await usage.list(),
    }));
    print(
      options.json,
      { created, partitions },
      partitions.map((partition) => ({ ...partition })),
      ['month', 'state', 'table', 'estimatedRows'],
    );
    if (created && !options.json)
      process.stderr.write(`created ${created.created} partitions (through ${created.through})\n`);
  }

  @Option({ flags: '--ensure', description: 'Create the partitions ahead (what the workers job does)' })
  parseEnsure(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'Print as JSON' })
  parseJson(): boolean {
    return true;
  }
}

/**
 * `usage detach-month --month M --yes`: detaches a closed, invoiced month's usage events into
 * `billing_archive` for archiving. Nothing is deleted (docs/deploy.md "Retention").
 */
@SubCommand({
  name: 'detach-month',
  description: 'Detach a closed, invoiced month of usage events to billing_archive (not a delete)',
})
export class UsageDetachMonthCommand extends CommandRunner {
  constructor(@Inject(CLI_APP_CONTEXT_FACTORY) private readonly startApp: CliAppContextFactory) {
    super();
  }

  async run(_: string[], options: { month?: string; yes?: boolean; json?: boolean }): Promise<void> {
    if (options.month === undefined) throw new Error('--month YYYY-MM is required');
    const month = options.month;
    await confirm(
      `Detach the usage events of ${month} from billing.usage_events into billing_archive`,
      options.yes,
    );
    const detached = await withPartitions(this.startApp, (usage) => usage.detachMonth(month));
    print(options.json, detached, [{ ...detached }], ['month', 'rows', 'archivedAs']);
  }

  @Option({ flags: '--month <YYYY-MM>', description: 'The month to detach (UTC)' })
  parseMonth(value: string): string {
    if (!MONTH.test(value)) throw new Error('--month must be YYYY-MM');
    return value;
  }

  @Option({ flags: '--yes', description: 'Do not ask for confirmation' })
  parseYes(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'Print as JSON' })
  parseJson(): boolean {
    return true;
  }
}

@Command({
  name: 'usage',
  description: "Usage events' month partitions: list, create ahead, detach a closed month for archiving",
  subCommands: [UsagePartitionsCommand, UsageDetachMonthCommand],
})
export class UsageCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
    return Promise.resolve();
  }
}

export const USAGE_COMMANDS = [UsageCommand, UsagePartitionsCommand, UsageDetachMonthCommand];

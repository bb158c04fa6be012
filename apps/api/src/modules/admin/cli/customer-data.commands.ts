import { resolve } from 'node:path';
import { CommandRunner, Option, SubCommand } from 'nest-commander';
import { AppConfig } from '../../../platform/config/app-config';
import { confirm } from '../../../platform/cli/cli-io';
import { exportCustomer, restoreCustomer } from '../customer-data/customer-bundle-io';
import { eraseCustomer } from '../customer-data/customer-erasure';

const cliActor = (): string => `cli:${process.env.USER ?? 'unknown'}`;

interface ExportOptions {
  out?: string;
}

/** `customer export ID --out DIR`: every row of one customer across schemas, as a checksummed bundle. */
@SubCommand({
  name: 'export',
  arguments: '<customer>',
  description:
    "Write every row of a customer's (customer id or user id) to a bundle folder: JSON lines per table + manifest",
})
export class CustomerExportCommand extends CommandRunner {
  constructor(private readonly config: AppConfig) {
    super();
  }

  async run([customer]: string[], options: ExportOptions): Promise<void> {
    const directory = resolve(options.out ?? `customer-${customer}`);
    const manifest = await exportCustomer(this.config.databaseMigrationUrl, customer, directory);
    const rows = manifest.tables.reduce((sum, table) => sum + table.rows, 0);
    process.stdout.write(
      `exported customer ${manifest.customerId} (user ${manifest.userId}): ${rows} rows in ` +
        `${manifest.tables.filter((table) => table.rows > 0).length} tables to ${directory} (sha256 ${manifest.sha256})\n`,
    );
  }

  @Option({ flags: '--out <dir>', description: 'Bundle folder, new or empty (default ./customer-<id>)' })
  parseOut(value: string): string {
    return value;
  }
}

interface RestoreOptions {
  yes?: boolean;
  prune?: boolean;
}

/** `customer restore DIR`: puts a customer's rows back from a bundle; other customers' rows are not touched. */
@SubCommand({
  name: 'restore',
  arguments: '<bundle>',
  description: "Put a customer's rows back from an export bundle (missing rows inserted, changed rows reset)",
})
export class CustomerRestoreCommand extends CommandRunner {
  constructor(private readonly config: AppConfig) {
    super();
  }

  async run([bundle]: string[], options: RestoreOptions): Promise<void> {
    await confirm(`Restore the customer in ${bundle} into this database?`, options.yes);
    const { manifest, counts } = await restoreCustomer(
      this.config.databaseMigrationUrl,
      resolve(bundle),
      cliActor(),
      {
        prune: options.prune,
      },
    );
    for (const count of counts) {
      if (count.inserted + count.updated + count.deleted > 0) {
        process.stdout.write(
          `${count.table}: ${count.inserted} inserted, ${count.updated} reset` +
            `${options.prune ? `, ${count.deleted} deleted` : ''}\n`,
        );
      }
    }
    const inserted = counts.reduce((sum, count) => sum + count.inserted, 0);
    const updated = counts.reduce((sum, count) => sum + count.updated, 0);
    process.stdout.write(
      `restored customer ${manifest.customerId} from the export of ${manifest.createdAt}: ` +
        `${inserted} rows inserted, ${updated} reset\n`,
    );
  }

  @Option({ flags: '-y, --yes', description: 'Do not ask for confirmation' })
  parseYes(): boolean {
    return true;
  }

  @Option({
    flags: '--prune',
    description:
      "Also delete the customer's rows the bundle does not have (never financial or append-only records)",
  })
  parsePrune(): boolean {
    return true;
  }
}

interface EraseOptions {
  reason: string;
  yes?: boolean;
}

/** `customer erase ID --reason TEXT`: pseudonymizes a person (GDPR erasure) and keeps the financial records. */
@SubCommand({
  name: 'erase',
  arguments: '<customer>',
  description:
    "Pseudonymize a person's personal data (email, IP addresses → tokens), keeping financial records; audited",
})
export class CustomerEraseCommand extends CommandRunner {
  constructor(private readonly config: AppConfig) {
    super();
  }

  async run([customer]: string[], options: EraseOptions): Promise<void> {
    await confirm(`Erase the personal data of ${customer}? This cannot be undone`, options.yes);
    const report = await eraseCustomer(
      this.config.databaseMigrationUrl,
      customer,
      options.reason,
      cliActor(),
    );
    if (report.alreadyErased) {
      process.stdout.write(
        `customer ${report.customerId} was already erased (${report.pseudonym}); nothing changed\n`,
      );
      return;
    }
    for (const [table, rows] of Object.entries(report.changed))
      process.stdout.write(`${table}: ${rows} rows\n`);
    process.stdout.write(
      `erased customer ${report.customerId} (user ${report.userId}): now ${report.pseudonym}; financial records kept\n`,
    );
  }

  @Option({
    flags: '--reason <text>',
    description: 'Why (the request reference), kept in the audit log',
    required: true,
  })
  parseReason(value: string): string {
    if (value.trim() === '') throw new Error('--reason must say why');
    return value;
  }

  @Option({ flags: '-y, --yes', description: 'Do not ask for confirmation' })
  parseYes(): boolean {
    return true;
  }
}

export const CUSTOMER_DATA_COMMANDS = [CustomerExportCommand, CustomerRestoreCommand, CustomerEraseCommand];

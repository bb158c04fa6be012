import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { resolve } from 'node:path';
import { AppConfig } from '../config/app-config';
import { createBackup, restoreBackup } from '../backup/database-backup';

interface CreateOptions {
  out?: string;
}

/** `backup create --out FILE`: a checksummed pg_dump (custom format) of the whole database. */
@SubCommand({
  name: 'create',
  description: 'Dump the database (pg_dump custom format) to --out, with a checksummed manifest beside it',
})
export class BackupCreateCommand extends CommandRunner {
  constructor(private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], options: CreateOptions): Promise<void> {
    const path = resolve(options.out ?? `astrix-${new Date().toISOString().replace(/[:.]/g, '-')}.dump`);
    // The owner role sees every table (an app role may be refused some).
    const manifest = await createBackup(this.config.databaseMigrationUrl, path);
    process.stdout.write(
      `backup: ${path} (${manifest.size} bytes, sha256 ${manifest.sha256}, schema ${manifest.schemaVersion})\n` +
        `manifest: ${path}.manifest.json\n`,
    );
  }

  @Option({ flags: '--out <file>', description: 'Where to write the dump (default ./astrix-<time>.dump)' })
  parseOut(value: string): string {
    return value;
  }
}

interface RestoreOptions {
  target?: string;
}

/** `backup restore FILE [--target URL]`: verifies the checksum, then restores into a fresh database. */
@SubCommand({
  name: 'restore',
  arguments: '<file>',
  description:
    'Verify a backup against its manifest and restore it into a new or empty database (--target, default DATABASE_MIGRATION_URL)',
})
export class BackupRestoreCommand extends CommandRunner {
  constructor(private readonly config: AppConfig) {
    super();
  }

  async run([file]: string[], options: RestoreOptions): Promise<void> {
    const target = options.target ?? this.config.databaseMigrationUrl;
    const report = await restoreBackup(resolve(file), target);
    process.stdout.write(
      `${report.createdDatabase ? 'created database\n' : ''}` +
        `restored ${report.manifest.file} (taken ${report.manifest.createdAt}, schema ${report.schemaVersion})\n` +
        'next: pnpm cli db migrate (re-grants the app role, applies newer migrations), then pnpm cli books check\n',
    );
  }

  @Option({ flags: '--target <url>', description: 'The database to restore into (created when missing)' })
  parseTarget(value: string): string {
    if (!/^postgres(ql)?:\/\/\S+$/.test(value)) throw new Error('--target must be a postgres:// URL');
    return value;
  }
}

@Command({
  name: 'backup',
  description: 'Database backups: create and restore (pg_dump/pg_restore)',
  subCommands: [BackupCreateCommand, BackupRestoreCommand],
})
export class BackupCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

export const BACKUP_COMMANDS = [BackupCommand, BackupCreateCommand, BackupRestoreCommand];

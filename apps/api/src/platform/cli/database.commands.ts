import { InjectDataSource } from '@nestjs/typeorm';
import { Command, CommandRunner, SubCommand } from 'nest-commander';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { ensureDatabaseExists } from '../database/ensure-database';

@SubCommand({ name: 'migrate', description: 'Create the database if missing and apply pending migrations' })
export class MigrateCommand extends CommandRunner {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async run(): Promise<void> {
    const created = await ensureDatabaseExists(this.config.databaseUrl);
    if (created) process.stdout.write('created database\n');
    if (!this.dataSource.isInitialized) await this.dataSource.initialize();
    const applied = await this.dataSource.runMigrations({ transaction: 'each' });
    process.stdout.write(
      applied.length === 0
        ? 'migrations: up to date\n'
        : `migrations applied: ${applied.map((m) => m.name).join(', ')}\n`,
    );
  }
}

@Command({ name: 'db', description: 'Database tasks', subCommands: [MigrateCommand] })
export class DatabaseCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

import { DataSource } from 'typeorm';
import type { AppConfig } from '../platform/config/app-config';
import { appRoleOf, grantAppRole } from '../platform/database/app-role';
import { dataSourceOptions } from './data-source-options';

/**
 * The two-role setup (DATABASE_MIGRATION_URL names another user than DATABASE_URL): applies pending
 * migrations as the owner, then creates and grants the app role (grantAppRole), in one transaction.
 * With one role it does nothing: the caller migrates on DATABASE_URL as before.
 */
export async function migrateAsOwner(
  config: Pick<AppConfig, 'databaseUrl' | 'databaseMigrationUrl'>,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<void> {
  const appRole = appRoleOf(config.databaseUrl, config.databaseMigrationUrl);
  if (!appRole) return;
  const owner = new DataSource(dataSourceOptions(config.databaseMigrationUrl, 'astrix-migrate'));
  await owner.initialize();
  try {
    const applied = await owner.runMigrations({ transaction: 'each' });
    write(
      applied.length === 0
        ? 'migrations (as owner): up to date'
        : `migrations applied (as owner): ${applied.map((migration) => migration.name).join(', ')}`,
    );
    const appendOnly = await owner.transaction((manager) => grantAppRole(manager, appRole));
    write(`app role ${appRole.name}: granted; no UPDATE, DELETE or TRUNCATE on ${appendOnly.join(', ')}`);
  } finally {
    await owner.destroy();
  }
}

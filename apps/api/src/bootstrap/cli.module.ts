import { dataSourceOptions } from './data-source-options';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { CLI_APP_CONTEXT_FACTORY, type CliAppContextFactory } from '../platform/cli/cli-app-context';
import { ADMIN_COMMANDS } from '../modules/admin/cli/admin.commands';
import { SUBSCRIPTION_COMMANDS } from '../modules/admin/cli/subscription.commands';
import { CatalogModule } from '../modules/billing/catalog/catalog.module';
import { AuditModule } from '../platform/audit/audit.module';
import { ApiKeysService } from '../platform/auth/api-keys.service';
import { ConfigModule } from '../platform/config/config.module';
import { CoreModule } from '../platform/core.module';
import { DatabaseModule } from '../platform/database/database.module';
import { OutboxModule } from '../platform/events/outbox.module';
import {
  ApiKeyCommand,
  ApiKeyCreateCommand,
  ApiKeyListCommand,
  ApiKeyRevokeCommand,
} from '../platform/cli/api-key.commands';
import { DatabaseCommand, MigrateCommand, SeedCommand } from './database.commands';
import { DevTokenCommand } from '../platform/cli/dev-token.command';
import { BACKUP_COMMANDS } from '../platform/cli/backup.commands';

/** The operator CLI: no HTTP, no queues; connects to the database only for commands that need it. */
@Module({
  imports: [
    ConfigModule,
    CoreModule.forRoot({ workers: false }),
    DatabaseModule.forRoot({ dataSourceOptions, connectLater: true }),
    AuditModule,
    OutboxModule,
    CatalogModule,
  ],
  providers: [
    {
      provide: CLI_APP_CONTEXT_FACTORY,
      useValue: (() =>
        NestFactory.createApplicationContext(AppModule.forRoot({ workers: false }), {
          logger: false,
          abortOnError: false,
        })) satisfies CliAppContextFactory,
    },
    ApiKeysService,
    ApiKeyCommand,
    ApiKeyCreateCommand,
    ApiKeyListCommand,
    ApiKeyRevokeCommand,
    DatabaseCommand,
    MigrateCommand,
    SeedCommand,
    DevTokenCommand,
    ...BACKUP_COMMANDS,
    ...ADMIN_COMMANDS,
    ...SUBSCRIPTION_COMMANDS,
  ],
})
export class CliModule {}

import { Module } from '@nestjs/common';
import { ADMIN_COMMANDS } from '../../modules/admin/cli/admin.commands';
import { SUBSCRIPTION_COMMANDS } from '../../modules/admin/cli/subscription.commands';
import { CatalogModule } from '../../modules/billing/catalog/catalog.module';
import { AuditModule } from '../audit/audit.module';
import { ApiKeysService } from '../auth/api-keys.service';
import { ConfigModule } from '../config/config.module';
import { CoreModule } from '../core.module';
import { DatabaseModule } from '../database/database.module';
import { OutboxModule } from '../events/outbox.module';
import {
  ApiKeyCommand,
  ApiKeyCreateCommand,
  ApiKeyListCommand,
  ApiKeyRevokeCommand,
} from './api-key.commands';
import { DatabaseCommand, MigrateCommand, SeedCommand } from './database.commands';
import { DevTokenCommand } from './dev-token.command';

/** The operator CLI: no HTTP, no queues; connects to the database only for commands that need it. */
@Module({
  imports: [
    ConfigModule,
    CoreModule.forRoot({ workers: false }),
    DatabaseModule.forRoot({ connectLater: true }),
    AuditModule,
    OutboxModule,
    CatalogModule,
  ],
  providers: [
    ApiKeysService,
    ApiKeyCommand,
    ApiKeyCreateCommand,
    ApiKeyListCommand,
    ApiKeyRevokeCommand,
    DatabaseCommand,
    MigrateCommand,
    SeedCommand,
    DevTokenCommand,
    ...ADMIN_COMMANDS,
    ...SUBSCRIPTION_COMMANDS,
  ],
})
export class CliModule {}

import { dataSourceOptions } from './data-source-options';
import { DynamicModule, Module } from '@nestjs/common';
import { AccountsModule } from '../modules/accounts/accounts.module';
import { AdminModule } from '../modules/admin/admin.module';
import { BillingModule } from '../modules/billing/billing.module';
import { PayoutsModule } from '../modules/payouts/payouts.module';
import { AuditModule } from '../platform/audit/audit.module';
import { AuthModule } from '../platform/auth/auth.module';
import { ConfigModule } from '../platform/config/config.module';
import { CoreModule } from '../platform/core.module';
import { DatabaseModule } from '../platform/database/database.module';
import { EventsModule } from '../platform/events/events.module';
import { OutboxModule } from '../platform/events/outbox.module';
import { OutboundModule } from '../modules/notifications/outbound.module';
import { HealthModule } from '../platform/health/health.module';
import { IdempotencyModule } from '../platform/idempotency/idempotency.module';
import { LoggingModule } from '../platform/logging/logging.module';
import { MetricsModule } from '../platform/metrics/metrics.module';
import { TracingModule } from '../platform/tracing/tracing.module';
import { QueuesModule } from '../platform/queues/queues.module';
import { RedisModule } from '../platform/queues/redis.provider';
import { SandboxModule } from '../platform/sandbox/sandbox.module';

export interface AppModuleOptions {
  /** Run queue workers and the outbox relay in this process. */
  workers: boolean;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    const billing = BillingModule.forRoot(options);
    const accounts = AccountsModule.forRoot({ billing });
    const payouts = PayoutsModule.forRoot({ ...options, billing, accounts });
    return {
      module: AppModule,
      imports: [
        ConfigModule,
        CoreModule.forRoot(options),
        LoggingModule,
        MetricsModule,
        TracingModule,
        DatabaseModule.forRoot({ dataSourceOptions }),
        RedisModule,
        QueuesModule.forRoot(options),
        AuditModule,
        OutboxModule,
        EventsModule.forRoot(options),
        IdempotencyModule.forRoot(options),
        AuthModule,
        HealthModule,
        SandboxModule,
        OutboundModule.forRoot(options),
        billing,
        accounts,
        payouts,
        AdminModule.forRoot({ contexts: [billing, accounts, payouts] }),
      ],
    };
  }
}

import { DynamicModule, Module } from '@nestjs/common';
import { OutboxBacklog } from '../../platform/events/outbox-backlog.service';
import { AdminAuditController } from './admin-audit.controller';
import { AdminCustomersController } from './admin-customers.controller';
import { AdminLedgerController } from './admin-ledger.controller';
import { AdminRecognitionController } from './admin-recognition.controller';
import { AdminOperationsController } from './admin-operations.controller';
import { AdminReportsController } from './admin-reports.controller';
import { Customer360 } from './customer-360.service';
import { QueueDashboard } from './queue-dashboard';
import { QueueOperations } from './queue-operations.service';

/**
 * Support, finance and admin tooling over the three contexts. No tables of its own: it reads and
 * acts through their public surfaces (each module's index.ts): billing's capability services,
 * AccountsService and PayoutsService. Each context keeps its own older admin controllers (refunds,
 * fraud, catalog, coupons, accounts, payouts).
 */
@Module({})
export class AdminModule {
  static forRoot(options: { contexts: DynamicModule[] }): DynamicModule {
    return {
      module: AdminModule,
      imports: options.contexts,
      controllers: [
        AdminCustomersController,
        AdminReportsController,
        AdminLedgerController,
        AdminRecognitionController,
        AdminAuditController,
        AdminOperationsController,
      ],
      providers: [Customer360, QueueOperations, OutboxBacklog, QueueDashboard],
    };
  }
}

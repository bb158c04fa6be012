import { Module } from '@nestjs/common';
import { UsageAlertsService } from './usage-alerts.service';
import { UsageChargesService } from './usage-charges.service';
import { UsageIngestService } from './usage-ingest.service';
import { UsagePartitions } from './usage-partitions.service';
import { UsageSummaryService } from './usage-summary.service';
import { UsageController } from './usage.controller';
import { UsageCharges } from '../subscriptions/usage-charges.port';
import { AdminEntitlementsController } from './admin-entitlements.controller';
import { EntitlementsAdminService } from './entitlements-admin.service';
import { CustomerSnapshots } from './customer-snapshots';
import { EntitlementsCatalog } from './entitlements-catalog';
import { EntitlementCheckRoute } from './entitlement-check.route';
import { EntitlementsController } from './entitlements.controller';
import { EntitlementsService } from './entitlements.service';

/**
 * Usage metering and entitlements: sibling services report usage and ask whether a customer may use a
 * feature; staff define features, plan grants, usage prices, customer grants and alerts. Exports
 * `UsageCharges` (usage lines for the billing run) and the entitlement checks.
 */
@Module({
  controllers: [UsageController, EntitlementsController, AdminEntitlementsController],
  providers: [
    EntitlementsCatalog,
    CustomerSnapshots,
    EntitlementsService,
    EntitlementCheckRoute,
    EntitlementsAdminService,
    UsageIngestService,
    UsageAlertsService,
    UsageSummaryService,
    UsageChargesService,
    UsagePartitions,
    { provide: UsageCharges, useExisting: UsageChargesService },
  ],
  exports: [EntitlementsService, UsageCharges, UsageChargesService, UsageAlertsService, UsagePartitions],
})
export class UsageEntitlementsModule {}

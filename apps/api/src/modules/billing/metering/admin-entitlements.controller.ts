import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type {
  CustomerEntitlementView,
  EntitlementList,
  FeatureView,
  PlanFeatureView,
  UsageAlertView,
} from '@astrix/contracts';
import { CurrentContext, Roles } from '../../../platform/auth/access.decorators';
import type { RequestContext } from '../../../platform/auth/actor';
import { IdParam } from '../../../platform/http/id-param.pipe';
import { UsageAlertsService } from './usage-alerts.service';
import {
  CreateFeatureDto,
  CreateUsageAlertDto,
  PutCustomerEntitlementDto,
  PutPlanFeatureDto,
  RevokeCustomerEntitlementDto,
  UpdateFeatureDto,
  UsageAlertQuery,
} from './dto/entitlements.dto';
import { EntitlementsAdminService } from './entitlements-admin.service';
import { EntitlementsService } from './entitlements.service';

@ApiTags('admin: entitlements')
@ApiBearerAuth()
@Controller('v1/admin')
export class AdminEntitlementsController {
  constructor(
    private readonly admin: EntitlementsAdminService,
    private readonly entitlements: EntitlementsService,
    private readonly alerts: UsageAlertsService,
  ) {}

  @Get('features')
  @Roles('support')
  @ApiOperation({ summary: 'Every feature' })
  listFeatures(): Promise<{ data: FeatureView[] }> {
    return this.admin.listFeatures();
  }

  @Post('features')
  @Roles('admin')
  @ApiOperation({ summary: 'Create a feature: boolean, limit or metered (with its aggregation)' })
  createFeature(
    @Body() body: CreateFeatureDto,
    @CurrentContext() context: RequestContext,
  ): Promise<FeatureView> {
    return this.admin.createFeature(body, context);
  }

  @Get('features/:featureId')
  @Roles('support')
  getFeature(@Param('featureId') featureId: string): Promise<FeatureView> {
    return this.admin.getFeature(featureId);
  }

  @Patch('features/:featureId')
  @Roles('admin')
  @ApiOperation({ summary: 'Rename, describe or archive a feature (its kind and aggregation are fixed)' })
  updateFeature(
    @Param('featureId') featureId: string,
    @Body() body: UpdateFeatureDto,
    @CurrentContext() context: RequestContext,
  ): Promise<FeatureView> {
    return this.admin.updateFeature(featureId, body, context);
  }

  @Get('plans/:productId/features')
  @Roles('support')
  @ApiOperation({ summary: 'What a plan grants, with limits, allowances and usage prices' })
  listPlanFeatures(
    @Param('productId', new IdParam('prd', 'product')) productId: string,
  ): Promise<{ data: PlanFeatureView[] }> {
    return this.admin.listPlanFeatures(productId);
  }

  @Put('plans/:productId/features/:featureId')
  @Roles('admin')
  @ApiOperation({ summary: 'Grant a feature to a plan, or change its limit/allowance and usage prices' })
  putPlanFeature(
    @Param('productId', new IdParam('prd', 'product')) productId: string,
    @Param('featureId') featureId: string,
    @Body() body: PutPlanFeatureDto,
    @CurrentContext() context: RequestContext,
  ): Promise<PlanFeatureView> {
    return this.admin.putPlanFeature(productId, featureId, body, context);
  }

  @Delete('plans/:productId/features/:featureId')
  @Roles('admin')
  @ApiOperation({ summary: 'Withdraw a feature from a plan (and its usage prices)' })
  removePlanFeature(
    @Param('productId', new IdParam('prd', 'product')) productId: string,
    @Param('featureId') featureId: string,
    @CurrentContext() context: RequestContext,
  ): Promise<PlanFeatureView> {
    return this.admin.removePlanFeature(productId, featureId, context);
  }

  @Get('customers/:customerId/entitlements')
  @Roles('support')
  @ApiOperation({
    summary: "A customer's answers for every feature, and staff grants and overrides (history)",
  })
  async customerEntitlements(
    @Param('customerId') customerId: string,
  ): Promise<EntitlementList & { grants: CustomerEntitlementView[] }> {
    const grants = await this.admin.listCustomerEntitlements(customerId);
    return { ...(await this.entitlements.list(customerId)), grants: grants.data };
  }

  @Put('customers/:customerId/entitlements/:featureId')
  @Roles('admin')
  @ApiOperation({
    summary: 'Grant a feature to a customer or override their plan, optionally until expiresAt',
  })
  putCustomerEntitlement(
    @Param('customerId') customerId: string,
    @Param('featureId') featureId: string,
    @Body() body: PutCustomerEntitlementDto,
    @CurrentContext() context: RequestContext,
  ): Promise<CustomerEntitlementView> {
    return this.admin.putCustomerEntitlement(customerId, featureId, body, context);
  }

  @Post('customers/:customerId/entitlements/:featureId/revoke')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: "Revoke a customer's grant or override: the plan decides again" })
  revokeCustomerEntitlement(
    @Param('customerId') customerId: string,
    @Param('featureId') featureId: string,
    @Body() body: RevokeCustomerEntitlementDto,
    @CurrentContext() context: RequestContext,
  ): Promise<CustomerEntitlementView> {
    return this.admin.revokeCustomerEntitlement(customerId, featureId, body.reason, context);
  }

  @Get('usage-alerts')
  @Roles('support')
  listAlerts(@Query() query: UsageAlertQuery): Promise<{ data: UsageAlertView[] }> {
    return this.alerts.list(query);
  }

  @Post('usage-alerts')
  @Roles('admin')
  @ApiOperation({ summary: 'A threshold alert (percent of allowance or units) for a customer, or for all' })
  createAlert(
    @Body() body: CreateUsageAlertDto,
    @CurrentContext() context: RequestContext,
  ): Promise<UsageAlertView> {
    return this.alerts.create(body, context);
  }

  @Delete('usage-alerts/:id')
  @Roles('admin')
  removeAlert(
    @Param('id', new IdParam('ual', 'usage alert')) id: string,
    @CurrentContext() context: RequestContext,
  ): Promise<UsageAlertView> {
    return this.alerts.remove(id, context);
  }
}

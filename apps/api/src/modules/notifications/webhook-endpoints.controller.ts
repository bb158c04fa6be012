import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type {
  CreateWebhookEndpointResponse,
  Page,
  ReplayWebhookEventsResponse,
  WebhookDeliveryView,
  WebhookEndpointView,
} from '@astrix/contracts';
import { CurrentContext, Roles } from '../../platform/auth/access.decorators';
import type { RequestContext } from '../../platform/auth/actor';
import { IdParam } from '../../platform/http/id-param.pipe';
import { PageQuery } from '../../platform/http/pagination';
import { ShowsSecretOnce } from '../../platform/idempotency/shows-secret-once.decorator';
import {
  CreateWebhookEndpointDto,
  DeliveriesQuery,
  ReplayQuery,
  RotateWebhookSecretDto,
  UpdateWebhookEndpointDto,
} from './dto';
import { WebhookEndpointsService } from './webhook-endpoints.service';

const EndpointId = (): IdParam => new IdParam('whe', 'Webhook endpoint');

@ApiTags('admin: webhook endpoints')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/admin/webhook-endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @ShowsSecretOnce('rotate the secret (POST /v1/admin/webhook-endpoints/{id}/rotate-secret) to get a new one')
  @ApiOperation({ summary: 'Register an endpoint for signed events; the signing secret is returned once' })
  create(
    @Body() body: CreateWebhookEndpointDto,
    @CurrentContext() context: RequestContext,
  ): Promise<CreateWebhookEndpointResponse> {
    return this.endpoints.create(body, context);
  }

  @Get()
  @ApiOperation({ summary: 'List webhook endpoints, newest first' })
  list(@Query() query: PageQuery): Promise<Page<WebhookEndpointView>> {
    return this.endpoints.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One webhook endpoint (never its secret)' })
  get(@Param('id', EndpointId()) id: string): Promise<WebhookEndpointView> {
    return this.endpoints.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change the URL, event types or description' })
  update(
    @Param('id', EndpointId()) id: string,
    @Body() body: UpdateWebhookEndpointDto,
    @CurrentContext() context: RequestContext,
  ): Promise<WebhookEndpointView> {
    return this.endpoints.update(id, body, context);
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop deliveries to the endpoint (emits platform.webhook_endpoint.disabled)' })
  disable(
    @Param('id', EndpointId()) id: string,
    @CurrentContext() context: RequestContext,
  ): Promise<WebhookEndpointView> {
    return this.endpoints.disable(id, context);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume deliveries to a disabled endpoint' })
  enable(
    @Param('id', EndpointId()) id: string,
    @CurrentContext() context: RequestContext,
  ): Promise<WebhookEndpointView> {
    return this.endpoints.enable(id, context);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ShowsSecretOnce('rotate again (with a new Idempotency-Key) to get a new one')
  @ApiOperation({
    summary: 'New signing secret, returned once; the previous one also signs for graceHours (default 24)',
  })
  rotate(
    @Param('id', EndpointId()) id: string,
    @Body() body: RotateWebhookSecretDto,
    @CurrentContext() context: RequestContext,
  ): Promise<CreateWebhookEndpointResponse> {
    return this.endpoints.rotateSecret(id, body.graceHours ?? 24, context);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the endpoint and its delivery log' })
  remove(@Param('id', EndpointId()) id: string, @CurrentContext() context: RequestContext): Promise<void> {
    return this.endpoints.remove(id, context);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'Deliveries to the endpoint, newest first, each with its attempt log' })
  deliveries(
    @Param('id', EndpointId()) id: string,
    @Query() query: DeliveriesQuery,
  ): Promise<Page<WebhookDeliveryView>> {
    return this.endpoints.deliveries(id, query);
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Attempt a delivery again now' })
  retry(
    @Param('id', EndpointId()) id: string,
    @Param('deliveryId', new IdParam('whd', 'Webhook delivery')) deliveryId: string,
    @CurrentContext() context: RequestContext,
  ): Promise<WebhookDeliveryView> {
    return this.endpoints.retry(id, deliveryId, context);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send again every subscribed event that occurred in [from, to)' })
  replay(
    @Param('id', EndpointId()) id: string,
    @Query() query: ReplayQuery,
    @CurrentContext() context: RequestContext,
  ): Promise<ReplayWebhookEventsResponse> {
    return this.endpoints.replay(id, new Date(query.from), new Date(query.to), context);
  }
}

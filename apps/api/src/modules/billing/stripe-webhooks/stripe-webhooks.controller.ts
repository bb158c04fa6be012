import { Controller, Get, Headers, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiHeader,
  ApiOperation,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { IsIn, IsOptional } from 'class-validator';
import type { Page } from '@astrix/contracts';
import { Public, Roles } from '../../../platform/auth/access.decorators';
import { AppError } from '../../../platform/http/app-error';
import type { RequestWithRawBody } from '../../../platform/http/raw-body';
import { PageQuery } from '../../../platform/http/pagination';
import type { WebhookEventStatus } from './stripe-webhook-event.entity';
import { StripeEventView, StripeWebhooksService } from './stripe-webhooks.service';

@ApiTags('webhooks')
@Controller('webhooks/stripe')
export class StripeWebhooksController {
  constructor(private readonly webhooks: StripeWebhooksService) {}

  /** Stripe signs every delivery; the signature, not a credential, is the authentication. */
  @Post()
  @Public()
  @SkipThrottle()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Stripe event deliveries (configure this URL in Stripe). Verified against STRIPE_WEBHOOK_SECRET over the raw bytes, stored once per event id, processed by a job; a replayed event answers duplicate: true. 400 INVALID_SIGNATURE when the signature does not verify.',
  })
  @ApiHeader({ name: 'Stripe-Signature', required: true, description: 't=<unix seconds>,v1=<hex HMAC>' })
  @ApiBody({
    description: 'A Stripe Event object, exactly as Stripe sent it',
    schema: {
      type: 'object',
      required: ['id', 'type', 'created', 'data'],
      properties: {
        id: { type: 'string', example: 'evt_1Nxyz' },
        type: { type: 'string', example: 'payment_intent.succeeded' },
        created: { type: 'integer' },
        data: { type: 'object' },
      },
    },
  })
  receive(
    @Req() request: RequestWithRawBody,
    @Headers('stripe-signature') signature: string | undefined,
  ): Promise<{ received: true; duplicate: boolean }> {
    return this.webhooks.receive(request.rawBody, signature);
  }
}

const EVENT_STATUSES: WebhookEventStatus[] = ['received', 'processed', 'ignored', 'failed'];

class StripeEventsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: EVENT_STATUSES })
  @IsOptional()
  @IsIn(EVENT_STATUSES)
  status?: WebhookEventStatus;
}

@ApiTags('admin: stripe events')
@ApiBearerAuth()
@Roles('support', 'finance')
@Controller('v1/admin/stripe-events')
export class AdminStripeEventsController {
  constructor(private readonly webhooks: StripeWebhooksService) {}

  @Get()
  @ApiOperation({
    summary: 'Stored Stripe events, newest first; filter status=failed for the ones needing attention',
  })
  list(@Query() query: StripeEventsQuery): Promise<Page<StripeEventView>> {
    return this.webhooks.list(query);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Process a stored Stripe event again (idempotent)' })
  replay(@Param('id') id: string): Promise<StripeEventView> {
    if (!/^evt_\w{1,250}$/.test(id))
      throw new AppError(404, 'NOT_FOUND', `Stripe event ${id.slice(0, 64)} was not found`);
    return this.webhooks.replay(id);
  }
}

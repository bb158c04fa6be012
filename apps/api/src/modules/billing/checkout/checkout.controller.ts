import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { CheckoutSessionView } from '@astrix/contracts';
import type { RequestContext, UserActor } from '../../../platform/auth/actor';
import { CurrentActor, CurrentContext, UserAuth } from '../../../platform/auth/access.decorators';
import { IdParam } from '../../../platform/http/id-param.pipe';
import { clientOrigin } from '../../../platform/http/client-origin';
import { CheckoutService } from './checkout.service';
import { CreateCheckoutSessionDto } from './dto/create-checkout-session.dto';

@ApiTags('billing: checkout')
@ApiBearerAuth()
@UserAuth()
@Controller('v1/billing/checkout-sessions')
export class CheckoutController {
  constructor(private readonly checkout: CheckoutService) {}

  @Post()
  @ApiOperation({ summary: 'Price a purchase (with an optional coupon) and open a payment page for it' })
  create(
    @Body() body: CreateCheckoutSessionDto,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
    @Req() request: FastifyRequest,
  ): Promise<CheckoutSessionView> {
    // Address and country as TRUST_PROXY allows: a client's own X-Forwarded-For or cf-ipcountry
    // changes neither the per-address velocity nor the country rule.
    return this.checkout.create(actor, body, context, clientOrigin(request));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: "Cancel one of the caller's unpaid checkout sessions (its page closes, its coupon is released)",
  })
  cancel(
    @Param('id', new IdParam('chk', 'checkout session')) id: string,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
  ): Promise<CheckoutSessionView> {
    return this.checkout.cancel(actor.userId, id, context);
  }

  @Get(':id')
  @ApiOperation({ summary: "One of the caller's checkout sessions" })
  get(
    @Param('id', new IdParam('chk', 'checkout session')) id: string,
    @CurrentActor() actor: UserActor,
  ): Promise<CheckoutSessionView> {
    return this.checkout.getForUser(actor.userId, id);
  }
}

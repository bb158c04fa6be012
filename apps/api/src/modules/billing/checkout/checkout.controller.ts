import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { CheckoutSessionView } from '@astrix/contracts';
import type { RequestContext, UserActor } from '../../../platform/auth/actor';
import { CurrentActor, CurrentContext, UserAuth } from '../../../platform/auth/access.decorators';
import { IdParam } from '../../../platform/http/id-param.pipe';
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
  ): Promise<CheckoutSessionView> {
    return this.checkout.create(actor, body, context);
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

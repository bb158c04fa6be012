import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { KycStatusUpdate, Page, PayoutEligibilityView, PayoutView } from '@astrix/contracts';
import type { RequestContext, UserActor } from '../../platform/auth/actor';
import { CurrentActor, CurrentContext, Scopes, UserAuth } from '../../platform/auth/access.decorators';
import { IdParam } from '../../platform/http/id-param.pipe';
import { RequiresIdempotencyKey } from '../../platform/idempotency/requires-idempotency-key.decorator';
import {
  BalanceSnapshotDto,
  EligibilityQuery,
  KycStatusDto,
  ListPayoutsQuery,
  PayoutRequestDto,
  StripeDestinationDto,
} from './dto/payout-requests.dto';
import { PayoutsService } from './payouts.service';

export const payoutId = new IdParam('po', 'payout');

@ApiTags('payouts')
@ApiBearerAuth()
@Controller('v1/payouts')
export class PayoutsController {
  constructor(private readonly payouts: PayoutsService) {}

  @Get('eligibility')
  @UserAuth()
  @ApiOperation({ summary: 'What one of your funded accounts may pay out now, the split, or why not' })
  eligibility(
    @Query() query: EligibilityQuery,
    @CurrentActor() actor: UserActor,
  ): Promise<PayoutEligibilityView> {
    return this.payouts.eligibilityFor(actor.userId, query.accountId);
  }

  @Post()
  @UserAuth()
  @RequiresIdempotencyKey()
  @ApiOperation({ summary: 'Request a payout (send an Idempotency-Key); the amount is reserved at once' })
  request(
    @Body() body: PayoutRequestDto,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
  ): Promise<PayoutView> {
    return this.payouts.request(actor, body, context);
  }

  @Get()
  @UserAuth()
  @ApiOperation({ summary: 'Your payouts, newest first' })
  list(@Query() query: ListPayoutsQuery, @CurrentActor() actor: UserActor): Promise<Page<PayoutView>> {
    return this.payouts.list({ ...query, userId: actor.userId });
  }

  @Put('destinations/stripe')
  @UserAuth()
  @ApiOperation({ summary: 'Your Stripe connected account for stripe_connect payouts' })
  registerDestination(
    @Body() body: StripeDestinationDto,
    @CurrentActor() actor: UserActor,
  ): Promise<{ stripeAccountId: string }> {
    return this.payouts.registerStripeDestination(actor.userId, body.stripeAccountId);
  }

  @Post('balance-snapshots')
  @Scopes('accounts:write')
  @HttpCode(200)
  @ApiOperation({ summary: "Trading platform: an account's balance; the newest snapshot wins" })
  recordBalance(@Body() body: BalanceSnapshotDto): Promise<{ accountId: string; balance: number }> {
    return this.payouts.recordBalance(body);
  }

  @Post('kyc-statuses')
  @Scopes('kyc:write')
  @HttpCode(200)
  @ApiOperation({ summary: "Identity service: a user's KYC status; the newest update wins" })
  recordKyc(@Body() body: KycStatusDto): Promise<KycStatusUpdate> {
    return this.payouts.recordKyc(body);
  }

  @Get(':id')
  @UserAuth()
  @ApiOperation({ summary: 'One of your payouts' })
  get(@Param('id', payoutId) id: string, @CurrentActor() actor: UserActor): Promise<PayoutView> {
    return this.payouts.get(id, actor.userId);
  }

  @Post(':id/cancel')
  @UserAuth()
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel your payout while it is requested; the reservation is released' })
  cancel(
    @Param('id', payoutId) id: string,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
  ): Promise<PayoutView> {
    return this.payouts.cancel(actor.userId, id, context);
  }
}

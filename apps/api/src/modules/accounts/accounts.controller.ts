import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AccountView, Page, ResetOffer } from '@astrix/contracts';
import type { RequestContext, UserActor } from '../../platform/auth/actor';
import { CurrentActor, CurrentContext, Scopes, UserAuth } from '../../platform/auth/access.decorators';
import { IdParam } from '../../platform/http/id-param.pipe';
import { AccountsService } from './accounts.service';
import { ListAccountsQuery, ResetOfferQuery } from './dto/account-queries';
import { TradingOutcomeDto } from './dto/trading-outcome.dto';

export const accountId = new IdParam('acc', 'account');

@ApiTags('accounts')
@ApiBearerAuth()
@Controller('v1/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @UserAuth()
  @ApiOperation({ summary: "The caller's trading accounts, newest first" })
  list(@Query() query: ListAccountsQuery, @CurrentActor() actor: UserActor): Promise<Page<AccountView>> {
    return this.accounts.list({ ...query, userId: actor.userId });
  }

  @Get(':id')
  @UserAuth()
  @ApiOperation({ summary: "One of the caller's accounts with its status history" })
  get(@Param('id', accountId) id: string, @CurrentActor() actor: UserActor): Promise<AccountView> {
    return this.accounts.getForUser(actor.userId, id);
  }

  @Get(':id/reset-offer')
  @UserAuth()
  @ApiOperation({ summary: 'Whether the account can be reset, and the price (with a coupon) or why not' })
  resetOffer(
    @Param('id', accountId) id: string,
    @Query() query: ResetOfferQuery,
    @CurrentActor() actor: UserActor,
  ): Promise<ResetOffer> {
    return this.accounts.resetOffer(actor.userId, id, query);
  }

  @Post(':id/events')
  @Scopes('accounts:write')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Trading platform: report an outcome (passed, failed, breached, funded, closed); once per eventId',
  })
  recordOutcome(
    @Param('id', accountId) id: string,
    @Body() body: TradingOutcomeDto,
    @CurrentContext() context: RequestContext,
  ): Promise<AccountView> {
    return this.accounts.recordTradingOutcome(id, body, context);
  }
}

import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AccountView, Page } from '@astrix/contracts';
import type { RequestContext } from '../../platform/auth/actor';
import { CurrentContext, Roles } from '../../platform/auth/access.decorators';
import { accountId } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { AdminListAccountsQuery } from './dto/account-queries';
import { PlaceHoldDto, StaffReasonDto } from './dto/staff-requests.dto';
import { UserHoldsService, UserHoldView } from './user-holds.service';

@ApiTags('admin: accounts')
@ApiBearerAuth()
@Roles('support')
@Controller('v1/admin/accounts')
export class AdminAccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly holds: UserHoldsService,
  ) {}

  @Get()
  @ApiOperation({ summary: "Accounts, newest first; a customer's with ?userId=" })
  list(@Query() query: AdminListAccountsQuery): Promise<Page<AccountView>> {
    return this.accounts.list(query);
  }

  @Post('holds')
  @ApiOperation({ summary: 'Hold a customer: accounts they buy wait in on_hold until released' })
  placeHold(@Body() body: PlaceHoldDto, @CurrentContext() context: RequestContext): Promise<UserHoldView> {
    return this.holds.place(body.userId, body.reason, context);
  }

  @Delete('holds/:userId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Lift a customer hold (accounts already on hold are released one by one)' })
  removeHold(@Param('userId') userId: string, @CurrentContext() context: RequestContext): Promise<void> {
    return this.holds.remove(userId, context);
  }

  @Post(':id/release-hold')
  @HttpCode(200)
  @ApiOperation({ summary: 'Release an account held for review: it starts trading' })
  releaseHold(
    @Param('id', accountId) id: string,
    @Body() body: StaffReasonDto,
    @CurrentContext() context: RequestContext,
  ): Promise<AccountView> {
    return this.accounts.releaseHold(id, body.reason, context);
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend an active or funded account' })
  suspend(
    @Param('id', accountId) id: string,
    @Body() body: StaffReasonDto,
    @CurrentContext() context: RequestContext,
  ): Promise<AccountView> {
    return this.accounts.suspend(id, body.reason, context);
  }

  @Post(':id/reinstate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lift a suspension' })
  reinstate(
    @Param('id', accountId) id: string,
    @Body() body: StaffReasonDto,
    @CurrentContext() context: RequestContext,
  ): Promise<AccountView> {
    return this.accounts.reinstate(id, body.reason, context);
  }
}

import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Page, PayoutView } from '@astrix/contracts';
import type { RequestContext, UserActor } from '../../platform/auth/actor';
import { CurrentActor, CurrentContext, Roles } from '../../platform/auth/access.decorators';
import { IdParam } from '../../platform/http/id-param.pipe';
import { ListPayoutsQuery, PayoutReasonDto, PayoutRulesDto } from './dto/payout-requests.dto';
import type { PayoutRules } from './payout-rules';
import { payoutId } from './payouts.controller';
import { PayoutsService } from './payouts.service';

const productId = new IdParam('prd', 'product');

@ApiTags('admin: payouts')
@ApiBearerAuth()
@Roles('finance')
@Controller('v1/admin/payouts')
export class AdminPayoutsController {
  constructor(private readonly payouts: PayoutsService) {}

  @Get()
  @ApiOperation({ summary: 'Payouts, newest first; ?status= filters' })
  list(@Query() query: ListPayoutsQuery): Promise<Page<PayoutView>> {
    return this.payouts.list(query);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve; above the four-eyes amount a second, different approver completes it' })
  approve(
    @Param('id', payoutId) id: string,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
  ): Promise<PayoutView> {
    return this.payouts.approve(id, actor, context);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a requested payout with a reason; the reservation is released' })
  reject(
    @Param('id', payoutId) id: string,
    @Body() body: PayoutReasonDto,
    @CurrentContext() context: RequestContext,
  ): Promise<PayoutView> {
    return this.payouts.reject(id, body.reason, context);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Run a failed payout again without paying twice' })
  retry(@Param('id', payoutId) id: string, @CurrentContext() context: RequestContext): Promise<PayoutView> {
    return this.payouts.retry(id, context);
  }

  @Put('rules/:productId')
  @ApiOperation({ summary: "An account product's payout rules (any subset; the rest keep their defaults)" })
  setRules(
    @Param('productId', productId) id: string,
    @Body() body: PayoutRulesDto,
    @CurrentContext() context: RequestContext,
  ): Promise<PayoutRules> {
    return this.payouts.setProductRules(id, body, context);
  }
}

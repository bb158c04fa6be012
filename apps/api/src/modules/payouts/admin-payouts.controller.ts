import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Page, PayoutView } from '@astrix/contracts';
import type { RequestContext, UserActor } from '../../platform/auth/actor';
import { CurrentActor, CurrentContext, Roles } from '../../platform/auth/access.decorators';
import { IdParam } from '../../platform/http/id-param.pipe';
import { RequiresIdempotencyKey } from '../../platform/idempotency/requires-idempotency-key.decorator';
import {
  ListPayoutsQuery,
  ManualPaymentDto,
  ManualQueueQuery,
  PayoutReasonDto,
  PayoutRulesDto,
} from './dto/payout-requests.dto';
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
  @RequiresIdempotencyKey()
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
  @RequiresIdempotencyKey()
  @HttpCode(200)
  @ApiOperation({ summary: 'Run a failed payout again without paying twice' })
  retry(@Param('id', payoutId) id: string, @CurrentContext() context: RequestContext): Promise<PayoutView> {
    return this.payouts.retry(id, context);
  }

  @Get('manual')
  @ApiOperation({ summary: 'Bank or crypto payouts to pay by hand; CSV for the bank with Accept: text/csv' })
  async manual(
    @Query() query: ManualQueueQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ data: PayoutView[] } | string> {
    const payouts = await this.payouts.manualQueue(query.method);
    if (!accept?.includes('text/csv')) return { data: payouts };
    void reply.header('content-type', 'text/csv; charset=utf-8');
    void reply.header('content-disposition', `attachment; filename="payouts-${query.method}.csv"`);
    const rows = payouts.map((payout) =>
      [payout.id, payout.userId, payout.accountId, payout.amount, payout.currency, payout.requestedAt].join(
        ',',
      ),
    );
    return ['payout_id,user_id,account_id,amount_minor,currency,requested_at', ...rows].join('\n') + '\n';
  }

  @Post(':id/mark-paid')
  @RequiresIdempotencyKey()
  @HttpCode(200)
  @ApiOperation({ summary: 'Record a bank or crypto payout paid by hand, with its reference' })
  markPaid(
    @Param('id', payoutId) id: string,
    @Body() body: ManualPaymentDto,
    @CurrentContext() context: RequestContext,
  ): Promise<PayoutView> {
    return this.payouts.markPaidManually(id, body.reference, context);
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

import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Page, PayoutTaskView } from '@astrix/contracts';
import type { RequestContext } from '../../platform/auth/actor';
import { CurrentContext, Roles } from '../../platform/auth/access.decorators';
import { IdParam } from '../../platform/http/id-param.pipe';
import { RequiresIdempotencyKey } from '../../platform/idempotency/requires-idempotency-key.decorator';
import { ListPayoutTasksQuery, ResolvePayoutTaskDto } from './dto/payout-tasks.dto';
import { PayoutFeeRefunds } from './payout-fee-refunds.service';

const taskId = new IdParam('ptk', 'payout task');

/** Work for finance beside final payouts: first-payout fee refunds that were refused. */
@ApiTags('admin: payouts')
@ApiBearerAuth()
@Roles('finance')
@Controller('v1/admin/payout-tasks')
export class AdminPayoutTasksController {
  constructor(private readonly feeRefunds: PayoutFeeRefunds) {}

  @Get()
  @ApiOperation({ summary: 'Payout tasks, newest first; ?status=open for the ones waiting for finance' })
  list(@Query() query: ListPayoutTasksQuery): Promise<Page<PayoutTaskView>> {
    return this.feeRefunds.list(query);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @RequiresIdempotencyKey()
  @ApiOperation({ summary: 'Try the fee refund again; a refund resolves the task, a refusal keeps it open' })
  retry(@Param('id', taskId) id: string, @CurrentContext() context: RequestContext): Promise<PayoutTaskView> {
    return this.feeRefunds.retry(id, context);
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Close the task by hand with a note (e.g. the bank returned the fee)' })
  resolve(
    @Param('id', taskId) id: string,
    @Body() body: ResolvePayoutTaskDto,
    @CurrentContext() context: RequestContext,
  ): Promise<PayoutTaskView> {
    return this.feeRefunds.resolve(id, body.note, context);
  }
}

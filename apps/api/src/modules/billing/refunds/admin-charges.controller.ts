import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ChargeView, RefundView } from '@astrix/contracts';
import type { RequestContext } from '../../../platform/auth/actor';
import { CurrentContext, Roles } from '../../../platform/auth/access.decorators';
import { IdParam } from '../../../platform/http/id-param.pipe';
import { RequiresIdempotencyKey } from '../../../platform/idempotency/requires-idempotency-key.decorator';
import { PaymentsService } from '../payments/payments.service';
import { CreateRefundDto } from './dto/create-refund.dto';
import { RefundsService } from './refunds.service';

const chargeId = new IdParam('chg', 'charge');

@ApiTags('admin: charges and refunds')
@ApiBearerAuth()
@Roles('support', 'finance')
@Controller('v1/admin/charges')
export class AdminChargesController {
  constructor(
    private readonly payments: PaymentsService,
    private readonly refunds: RefundsService,
  ) {}

  @Get(':id')
  @ApiOperation({ summary: 'A charge with its refunds' })
  async get(@Param('id', chargeId) id: string): Promise<ChargeView & { refunds: RefundView[] }> {
    const charge = await this.payments.getCharge(id);
    return { ...charge, refunds: await this.refunds.listForCharge(id) };
  }

  @Post(':id/refunds')
  @RequiresIdempotencyKey()
  @ApiOperation({
    summary: 'Refund a charge fully or partly; never more than what is left. Send an Idempotency-Key.',
  })
  refund(
    @Param('id', chargeId) id: string,
    @Body() body: CreateRefundDto,
    @CurrentContext() context: RequestContext,
  ): Promise<RefundView> {
    return this.refunds.refundCharge(id, body.amount, body.reason, context);
  }
}

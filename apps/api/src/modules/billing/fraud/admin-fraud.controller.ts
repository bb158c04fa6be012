import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FraudSignalView, Page } from '@astrix/contracts';
import type { RequestContext } from '../../../platform/auth/actor';
import { CurrentContext, Roles } from '../../../platform/auth/access.decorators';
import { IdParam } from '../../../platform/http/id-param.pipe';
import { BlockReasonDto, FraudSignalsQuery, ReviewNotesDto } from './dto/fraud.dto';
import { FraudService } from './fraud.service';

const signalId = new IdParam('fs', 'fraud signal');
const customerId = new IdParam('cust', 'customer');

@ApiTags('admin: fraud')
@ApiBearerAuth()
@Roles('support', 'finance')
@Controller('v1/admin')
export class AdminFraudController {
  constructor(private readonly fraud: FraudService) {}

  @Get('fraud-signals')
  @ApiOperation({ summary: 'Fraud signals, newest first; filter by status and customer' })
  list(@Query() query: FraudSignalsQuery): Promise<Page<FraudSignalView>> {
    return this.fraud.listSignals(query);
  }

  @Post('fraud-signals/:id/confirm')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm a signal as fraud' })
  confirm(
    @Param('id', signalId) id: string,
    @Body() body: ReviewNotesDto,
    @CurrentContext() context: RequestContext,
  ): Promise<FraudSignalView> {
    return this.fraud.reviewSignal(id, 'confirmed', body.notes, context);
  }

  @Post('fraud-signals/:id/dismiss')
  @HttpCode(200)
  @ApiOperation({ summary: 'Dismiss a signal as a false alarm' })
  dismiss(
    @Param('id', signalId) id: string,
    @Body() body: ReviewNotesDto,
    @CurrentContext() context: RequestContext,
  ): Promise<FraudSignalView> {
    return this.fraud.reviewSignal(id, 'dismissed', body.notes, context);
  }

  @Post('customers/:id/block')
  @HttpCode(200)
  @ApiOperation({ summary: 'Block a customer: no new checkouts; accounts and payouts wait for review' })
  block(
    @Param('id', customerId) id: string,
    @Body() body: BlockReasonDto,
    @CurrentContext() context: RequestContext,
  ): Promise<{ customerId: string; fraudStatus: string }> {
    return this.fraud.setBlocked(id, true, body.reason, context);
  }

  @Post('customers/:id/unblock')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lift a block (and a flag)' })
  unblock(
    @Param('id', customerId) id: string,
    @Body() body: BlockReasonDto,
    @CurrentContext() context: RequestContext,
  ): Promise<{ customerId: string; fraudStatus: string }> {
    return this.fraud.setBlocked(id, false, body.reason, context);
  }
}

import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DunningView, InvoiceView, Page } from '@astrix/contracts';
import type { RequestContext } from '../../../platform/auth/actor';
import { CurrentContext, Roles } from '../../../platform/auth/access.decorators';
import { IdParam } from '../../../platform/http/id-param.pipe';
import { RequiresIdempotencyKey } from '../../../platform/idempotency/requires-idempotency-key.decorator';
import type { CollectionOutcome } from './collection-outcome';
import { DunningDesk } from './dunning-desk.service';
import { DunningListQuery } from './dto/dunning-requests.dto';

const invoiceId = new IdParam('inv', 'invoice');

/** Staff levers over collecting invoices: dunning cases, retry now, pause and resume. */
@ApiTags('admin: dunning')
@ApiBearerAuth()
@Controller('v1/admin')
export class AdminCollectionController {
  constructor(private readonly dunning: DunningDesk) {}

  @Get('dunning')
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'Dunning cases (default: still collecting), newest first' })
  listDunning(@Query() query: DunningListQuery): Promise<Page<DunningView>> {
    return this.dunning.list({ status: query.status, customerId: query.customerId }, query);
  }

  @Get('invoices/:id/dunning')
  @Roles('support', 'finance')
  @ApiOperation({ summary: "An invoice's dunning state" })
  getDunning(@Param('id', invoiceId) id: string): Promise<DunningView> {
    return this.dunning.get(id);
  }

  @Post('invoices/:id/retry-payment')
  @RequiresIdempotencyKey()
  @HttpCode(200)
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'Try to collect an open invoice now (audited)' })
  retry(
    @Param('id', invoiceId) id: string,
    @CurrentContext() context: RequestContext,
  ): Promise<{ outcome: CollectionOutcome; invoice: InvoiceView }> {
    return this.dunning.retryNow(id, context);
  }

  @Post('invoices/:id/dunning/pause')
  @HttpCode(200)
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'Stop retrying an invoice until resumed (audited)' })
  pauseDunning(
    @Param('id', invoiceId) id: string,
    @CurrentContext() context: RequestContext,
  ): Promise<DunningView> {
    return this.dunning.pause(id, context);
  }

  @Post('invoices/:id/dunning/resume')
  @HttpCode(200)
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'Resume retrying an invoice (audited)' })
  resumeDunning(
    @Param('id', invoiceId) id: string,
    @CurrentContext() context: RequestContext,
  ): Promise<DunningView> {
    return this.dunning.resume(id, context);
  }
}

import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, Headers } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Page, ReconciliationExceptionView, ReconciliationView } from '@astrix/contracts';
import type { RequestContext } from '../../../platform/auth/actor';
import { CurrentContext, Roles } from '../../../platform/auth/access.decorators';
import { IdParam } from '../../../platform/http/id-param.pipe';
import { PageQuery } from '../../../platform/http/pagination';
import { RequiresIdempotencyKey } from '../../../platform/idempotency/requires-idempotency-key.decorator';
import {
  ReconciliationExceptionsQuery,
  ReconciliationRequestDto,
  ResolveExceptionDto,
} from './dto/reconciliation.dto';
import { reconciliationCsv } from './reconciliation-csv';
import { Reconciliations } from './reconciliations.service';

const runId = new IdParam('rec', 'reconciliation');
const exceptionId = new IdParam('rex', 'reconciliation exception');

/**
 * Reconciliation against Stripe, finance's: start a day (the run works in the background; the
 * daily schedule does yesterday), read a run with its exceptions (JSON pages or the whole CSV), and
 * the exceptions work queue (open ones, resolve with a note).
 */
@ApiTags('admin: reconciliation')
@ApiBearerAuth()
@Roles('finance')
@Controller('v1/admin/reconciliations')
export class AdminReconciliationsController {
  constructor(private readonly reconciliations: Reconciliations) {}

  @Post()
  @RequiresIdempotencyKey()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Reconcile a UTC day against Stripe (once per day: asking again walks it again and posts nothing new, or resumes a stopped run); works in the background',
  })
  async start(
    @Body() body: ReconciliationRequestDto,
    @CurrentContext() context: RequestContext,
  ): Promise<ReconciliationView & { start: string }> {
    const { run, start } = await this.reconciliations.request(body.date, context);
    return { ...(await this.reconciliations.view(run.id, { limit: 25 })), start };
  }

  @Get('exceptions')
  @ApiOperation({
    summary: 'Open reconciliation exceptions of every day, oldest first (the finance work queue)',
  })
  openExceptions(@Query() query: PageQuery): Promise<Page<ReconciliationExceptionView>> {
    return this.reconciliations.openExceptions(query.limit, query.cursor);
  }

  @Post('exceptions/:id/resolve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resolve a reconciliation exception with what was done about it (audited)' })
  resolve(
    @Param('id', exceptionId) id: string,
    @Body() body: ResolveExceptionDto,
    @CurrentContext() context: RequestContext,
  ): Promise<ReconciliationExceptionView> {
    return this.reconciliations.resolve(id, body.resolution, context);
  }

  @Get(':id')
  @ApiProduces('application/json', 'text/csv')
  @ApiOperation({
    summary:
      'A reconciliation: status, counts (matched, unmatched in Stripe, unmatched in books, amount and fee mismatches, payouts) and its exceptions, paged; Accept: text/csv for every exception as CSV',
  })
  async get(
    @Param('id', runId) id: string,
    @Query() query: ReconciliationExceptionsQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReconciliationView | string> {
    if (accept?.includes('text/csv')) {
      const view = await this.reconciliations.view(id, { limit: 1 });
      const rows = await this.reconciliations.allExceptions(id);
      void reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="reconciliation-${view.date}.csv"`);
      return reconciliationCsv(view, rows);
    }
    return this.reconciliations.view(id, query);
  }
}

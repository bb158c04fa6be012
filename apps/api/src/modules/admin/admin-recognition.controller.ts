import { Body, Controller, Get, Headers, Param, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { RequestContext } from '../../platform/auth/actor';
import { CurrentContext, Roles } from '../../platform/auth/access.decorators';
import { AppError } from '../../platform/http/app-error';
import {
  type DeferredWaterfall,
  journalExportCsv,
  type JournalExportLine,
  type RecognitionPolicyView,
  RecognitionReports,
  type RecognizedRevenueRow,
  RevenueRecognition,
} from '../billing';
import {
  JournalExportQuery,
  MonthRangeQuery,
  RecognitionPolicyChange,
  RecognizedRevenueQuery,
} from './dto/recognition.dto';

const KINDS = ['evaluation', 'instant_funded', 'reset', 'subscription', 'add_on', 'usage'];
const monthIndex = (month: string): number => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7));

/**
 * Revenue recognition for finance: the policies (data, changed by admins with an audit row), the
 * deferred revenue waterfall, recognized revenue by kind and currency, and the month-end close export.
 */
@ApiTags('admin: recognition')
@ApiBearerAuth()
@Roles('finance')
@Controller('v1/admin')
export class AdminRecognitionController {
  constructor(
    private readonly recognition: RevenueRecognition,
    private readonly reports: RecognitionReports,
  ) {}

  @Get('recognition/policies')
  @ApiOperation({ summary: 'The recognition policy of each product kind' })
  async policies(): Promise<{ data: RecognitionPolicyView[] }> {
    return { data: await this.recognition.listPolicies() };
  }

  @Put('recognition/policies/:kind')
  @Roles('admin')
  @ApiOperation({
    summary:
      "Change a product kind's recognition policy (audited); invoices finalized from then on follow it, existing schedules keep theirs",
  })
  updatePolicy(
    @Param('kind') kind: string,
    @Body() change: RecognitionPolicyChange,
    @CurrentContext() context: RequestContext,
  ): Promise<RecognitionPolicyView> {
    if (!KINDS.includes(kind))
      throw new AppError(400, 'VALIDATION_ERROR', `kind must be one of ${KINDS.join(', ')}`, [
        { field: 'kind', message: `must be one of ${KINDS.join(', ')}` },
      ]);
    return this.recognition.updatePolicy(kind, change, context);
  }

  @Get('recognition/deferred-waterfall')
  @ApiOperation({
    summary:
      'Deferred revenue by month and currency (opening, deferred, recognized, credited, closing) and when what is deferred will be recognized',
  })
  async waterfall(@Query() query: MonthRangeQuery): Promise<{ data: DeferredWaterfall[] }> {
    const months = monthIndex(query.to) - monthIndex(query.from);
    if (months < 0 || months > 36)
      throw new AppError(400, 'VALIDATION_ERROR', 'to must be from 0 to 36 months after from', [
        { field: 'to', message: 'must be from 0 to 36 months after from' },
      ]);
    return { data: await this.reports.deferredWaterfall(query.from, query.to) };
  }

  @Get('recognition/recognized-revenue')
  @ApiOperation({
    summary: 'Revenue earned in [from, to) by currency and product kind: over time and at once',
  })
  async recognized(@Query() query: RecognizedRevenueQuery): Promise<{ data: RecognizedRevenueRow[] }> {
    const from = new Date(query.from);
    const to = new Date(query.to);
    if (to.getTime() <= from.getTime())
      throw new AppError(400, 'VALIDATION_ERROR', 'to must be after from', [
        { field: 'to', message: 'must be after from' },
      ]);
    return { data: await this.reports.recognizedRevenue(from, to) };
  }

  @Get('ledger/journal-export')
  @ApiProduces('application/json', 'text/csv')
  @ApiOperation({
    summary:
      'Month-end close export: every journal line of a month (date, account, debit, credit, currency, reporting-currency amounts, source, memo). Accept: text/csv for CSV.',
  })
  async journalExport(
    @Query() query: JournalExportQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ month: string; lines: JournalExportLine[] } | string> {
    const lines = await this.reports.journalExport(query.month);
    if (!(accept?.includes('text/csv') ?? false)) return { month: query.month, lines };
    void reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="journal-${query.month}.csv"`);
    return journalExportCsv(lines);
  }
}

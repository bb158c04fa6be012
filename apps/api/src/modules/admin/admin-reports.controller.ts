import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { RevenueReport } from '@astrix/contracts';
import { Roles } from '../../platform/auth/access.decorators';
import { AppError } from '../../platform/http/app-error';
import { RevenueReports } from '../billing';
import { PayoutsService } from '../payouts';
import { RevenueReportQuery } from './dto/admin.dto';
import { revenueCsv } from './revenue-csv';

const DAY_MS = 24 * 3600 * 1000;
/** Longest range per grouping: enough for any real question, small enough to answer at once. */
const MAX_RANGE_DAYS = { day: 366, week: 3 * 366, month: 10 * 366 } as const;

function rangeOf(query: RevenueReportQuery): {
  from: Date;
  to: Date;
  groupBy: RevenueReportQuery['groupBy'];
} {
  const from = new Date(query.from);
  const to = new Date(query.to);
  if (to.getTime() <= from.getTime()) {
    throw new AppError(400, 'VALIDATION_ERROR', 'to must be after from', [
      { field: 'to', message: 'must be after from' },
    ]);
  }
  const maxDays = MAX_RANGE_DAYS[query.groupBy];
  if (to.getTime() - from.getTime() > maxDays * DAY_MS) {
    throw new AppError(400, 'VALIDATION_ERROR', `groupBy=${query.groupBy} covers at most ${maxDays} days`, [
      { field: 'to', message: `at most ${maxDays} days after from` },
    ]);
  }
  return { from, to, groupBy: query.groupBy };
}

@ApiTags('admin: reports')
@ApiBearerAuth()
@Roles('finance')
@Controller('v1/admin/reports')
export class AdminReportsController {
  constructor(
    private readonly revenueReports: RevenueReports,
    private readonly payouts: PayoutsService,
  ) {}

  @Get('revenue')
  @ApiProduces('application/json', 'text/csv')
  @ApiOperation({
    summary:
      'Revenue per period, currency and product kind (gross, discounts, refunds, disputes, net), payouts paid, MRR and churn. Accept: text/csv for the revenue lines as CSV.',
  })
  async revenue(
    @Query() query: RevenueReportQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RevenueReport | string> {
    const range = rangeOf(query);
    const [revenue, payoutsPaid, subscriptions] = await Promise.all([
      this.revenueReports.revenue(range),
      this.payouts.paidTotals(range),
      this.revenueReports.subscriptionMetrics(range),
    ]);
    const report: RevenueReport = {
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      groupBy: range.groupBy,
      rows: revenue.rows,
      totals: revenue.totals,
      payoutsPaid,
      subscriptions,
    };
    if (accept?.includes('text/csv')) {
      const day = (date: Date) => date.toISOString().slice(0, 10);
      void reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="revenue-${day(range.from)}-${day(range.to)}.csv"`,
        );
      return revenueCsv(report);
    }
    return report;
  }
}

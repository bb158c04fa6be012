import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Actor, RequestContext } from '../../../platform/auth/actor';
import { CurrentActor, CurrentContext, Roles, UserAuth } from '../../../platform/auth/access.decorators';
import { AppError, NotFoundError } from '../../../platform/http/app-error';
import { IdParam } from '../../../platform/http/id-param.pipe';
import { CustomersService } from '../customers/customers.service';
import { CreateTaxRateDto, EndTaxRateDto, TaxDetailsDto, TaxReportQuery } from './dto/tax.dto';
import { TaxAdmin, type TaxDetailsView, type TaxRateView } from './tax-admin.service';
import { type TaxReport, TaxReports, taxReportCsv } from './tax-report.service';

const MAX_REPORT_DAYS = 400;
const DAY_MS = 86_400_000;

function rangeOf(query: { from: string; to: string }): { from: Date; to: Date } {
  const from = new Date(query.from);
  const to = new Date(query.to);
  if (to.getTime() <= from.getTime()) {
    throw new AppError(400, 'VALIDATION_ERROR', 'to must be after from', [
      { field: 'to', message: 'must be after from' },
    ]);
  }
  if (to.getTime() - from.getTime() > MAX_REPORT_DAYS * DAY_MS) {
    throw new AppError(400, 'VALIDATION_ERROR', `to must be at most ${MAX_REPORT_DAYS} days after from`, [
      { field: 'to', message: `at most ${MAX_REPORT_DAYS} days after from` },
    ]);
  }
  return { from, to };
}

/** Finance manages the rate table (audited) and reads the tax report. */
@ApiTags('admin: tax')
@ApiBearerAuth()
@Controller('v1/admin')
export class AdminTaxController {
  constructor(
    private readonly admin: TaxAdmin,
    private readonly reports: TaxReports,
  ) {}

  @Get('tax-rates')
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'The tax rate table, per jurisdiction and validity' })
  rates(): Promise<TaxRateView[]> {
    return this.admin.listRates();
  }

  @Post('tax-rates')
  @Roles('finance')
  @ApiOperation({
    summary: 'Adds a rate to a jurisdiction (never overlapping another of the same jurisdiction)',
  })
  createRate(
    @Body() body: CreateTaxRateDto,
    @CurrentContext() context: RequestContext,
  ): Promise<TaxRateView> {
    return this.admin.createRate(
      {
        ...body,
        validFrom: new Date(body.validFrom),
        validTo: body.validTo === undefined ? null : new Date(body.validTo),
      },
      context,
    );
  }

  @Post('tax-rates/:id/end')
  @HttpCode(200)
  @Roles('finance')
  @ApiOperation({ summary: 'Ends a rate at an instant (a new rate then starts there)' })
  endRate(
    @Param('id', new IdParam('txr', 'tax rate')) id: string,
    @Body() body: EndTaxRateDto,
    @CurrentContext() context: RequestContext,
  ): Promise<TaxRateView> {
    return this.admin.endRate(id, new Date(body.validTo), context);
  }

  @Get('customers/:id/tax-details')
  @Roles('support', 'finance')
  @ApiOperation({ summary: "A customer's tax details and billing currency" })
  customerDetails(@Param('id', new IdParam('cust', 'customer')) id: string): Promise<TaxDetailsView> {
    return this.admin.details(id);
  }

  @Put('customers/:id/tax-details')
  @Roles('support', 'finance')
  @ApiOperation({
    summary: "Sets a customer's tax details (VAT id format-checked per country) and billing currency",
  })
  setCustomerDetails(
    @Param('id', new IdParam('cust', 'customer')) id: string,
    @Body() body: TaxDetailsDto,
    @CurrentContext() context: RequestContext,
  ): Promise<TaxDetailsView> {
    return this.admin.setDetails(id, body, context);
  }

  @Get('reports/tax')
  @Roles('finance')
  @ApiProduces('application/json', 'text/csv')
  @ApiOperation({
    summary: 'Tax per jurisdiction, treatment, rate and currency over a period. Accept: text/csv for CSV.',
  })
  async taxReport(
    @Query() query: TaxReportQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaxReport | string> {
    const range = rangeOf(query);
    const report = await this.reports.report(range);
    if (accept?.includes('text/csv')) {
      const day = (date: Date): string => date.toISOString().slice(0, 10);
      void reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="tax-${day(range.from)}-${day(range.to)}.csv"`);
      return taxReportCsv(report);
    }
    return report;
  }
}

/** A signed-in user's own tax details (country, postal code, business VAT id) and billing currency. */
@ApiTags('billing: tax')
@ApiBearerAuth()
@UserAuth()
@Controller('v1/billing/tax-details')
export class TaxDetailsController {
  constructor(
    private readonly admin: TaxAdmin,
    private readonly customers: CustomersService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Your tax details' })
  async get(@CurrentActor() actor: Actor): Promise<TaxDetailsView> {
    return this.admin.details(await this.customerOf(actor));
  }

  @Put()
  @ApiOperation({ summary: 'Sets your tax details; a business VAT id is format-checked for its country' })
  async put(
    @Body() body: TaxDetailsDto,
    @CurrentActor() actor: Actor,
    @CurrentContext() context: RequestContext,
  ): Promise<TaxDetailsView> {
    return this.admin.setDetails(await this.customerOf(actor), body, context);
  }

  private async customerOf(actor: Actor): Promise<string> {
    if (actor.kind !== 'user')
      throw new AppError(403, 'FORBIDDEN', 'tax details are only available to signed-in users');
    const customer = await this.customers.findByUserId(actor.userId);
    if (customer === null) throw new NotFoundError('customer', `of user ${actor.userId}`);
    return customer.id;
  }
}

import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type {
  AccountBalanceView,
  CustomerStatementLine,
  CustomerStatementView,
  TrialBalanceView,
} from '@astrix/contracts';
import { Roles } from '../../platform/auth/access.decorators';
import { Clock } from '../../platform/clock';
import { AppError } from '../../platform/http/app-error';
import { IdParam } from '../../platform/http/id-param.pipe';
import { LedgerReports } from '../billing';
import { AccountBalanceQuery, CustomerStatementQuery, TrialBalanceQuery } from './dto/ledger.dto';
import { statementCsv, trialBalanceCsv } from './ledger-csv';

const customerId = new IdParam('cust', 'customer');
/** Lines fetched per query while exporting a whole statement as CSV. */
const CSV_PAGE = 500;
const BEGINNING = new Date(0);

const wantsCsv = (accept: string | undefined): boolean => accept?.includes('text/csv') ?? false;
const day = (date: Date) => date.toISOString().slice(0, 10);

function csvReply(reply: FastifyReply, filename: string): void {
  void reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`);
}

/**
 * The books as finance reads them: trial balance, account balances, customer statements, all from
 * the journal (read-only). Finance and admin; support may read a customer's statement, as they read
 * the rest of a customer (ADR 0004: support answers customers, finance owns the books).
 */
@ApiTags('admin: ledger')
@ApiBearerAuth()
@Roles('finance')
@Controller('v1/admin/ledger')
export class AdminLedgerController {
  constructor(
    private readonly reports: LedgerReports,
    private readonly clock: Clock,
  ) {}

  @Get('trial-balance')
  @ApiProduces('application/json', 'text/csv')
  @ApiOperation({
    summary:
      'Trial balance at an instant: every account per currency (debits, credits, balance on its normal side), column totals and whether each currency balances. Accept: text/csv for a CSV.',
  })
  async trialBalance(
    @Query() query: TrialBalanceQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TrialBalanceView | string> {
    const at = query.at === undefined ? this.clock.now() : new Date(query.at);
    const view = await this.reports.trialBalance(at);
    if (!wantsCsv(accept)) return view;
    csvReply(reply, `trial-balance-${at.toISOString().replace(/[:.]/g, '-')}.csv`);
    return trialBalanceCsv(view);
  }

  @Get('accounts/:code')
  @ApiOperation({ summary: "One account's balance per currency at an instant, optionally of one customer" })
  accountBalance(
    @Param('code') code: string,
    @Query() query: AccountBalanceQuery,
  ): Promise<AccountBalanceView> {
    const at = query.at === undefined ? this.clock.now() : new Date(query.at);
    return this.reports.accountBalance(code, at, { customerId: query.customerId, currency: query.currency });
  }

  @Get('customers/:id/statement')
  @Roles('support', 'finance')
  @ApiProduces('application/json', 'text/csv')
  @ApiOperation({
    summary:
      "A customer's statement: per currency the opening balance, everything billed, paid, credited and refunded with the running balance, and the closing balance (positive: the customer owes). Paged, oldest first; Accept: text/csv for the whole period as CSV.",
  })
  async statement(
    @Param('id', customerId) id: string,
    @Query() query: CustomerStatementQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CustomerStatementView | string> {
    const from = query.from === undefined ? BEGINNING : new Date(query.from);
    const to = query.to === undefined ? this.clock.now() : new Date(query.to);
    if (to.getTime() <= from.getTime()) {
      throw new AppError(400, 'VALIDATION_ERROR', 'to must be after from', [
        { field: 'to', message: 'must be after from' },
      ]);
    }
    const base = { customerId: id, from, to, currency: query.currency };
    if (!wantsCsv(accept)) {
      return this.reports.customerStatement({ ...base, limit: query.limit, cursor: query.cursor });
    }
    // The whole period (a cursor does not apply): page through it on the server.
    const lines: CustomerStatementLine[] = [];
    let page = await this.reports.customerStatement({ ...base, limit: CSV_PAGE });
    lines.push(...page.data);
    while (page.nextCursor !== null) {
      page = await this.reports.customerStatement({ ...base, limit: CSV_PAGE, cursor: page.nextCursor });
      lines.push(...page.data);
    }
    csvReply(reply, `statement-${id}-${day(from)}-${day(to)}.csv`);
    return statementCsv(page, lines);
  }
}

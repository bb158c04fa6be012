import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type {
  BalanceTransactionView,
  BillingRunView,
  CustomerBalanceView,
  Page,
  SubscriptionView,
} from '@astrix/contracts';
import type { RequestContext } from '../../../platform/auth/actor';
import { CurrentContext, Roles } from '../../../platform/auth/access.decorators';
import { AppError } from '../../../platform/http/app-error';
import { IdParam } from '../../../platform/http/id-param.pipe';
import { RequiresIdempotencyKey } from '../../../platform/idempotency/requires-idempotency-key.decorator';
import { PageQuery } from '../../../platform/http/pagination';
import { newId } from '../../../platform/ids';
import { BillingRuns } from './billing-runs.service';
import { CustomerBalances } from '../customers/customer-balances.service';
import { DunningDesk } from '../collection/dunning-desk.service';
import {
  GoodwillCreditDto,
  GrantTrialDto,
  StartBillingRunDto,
  SubscriptionStaffReasonDto,
} from './dto/subscription-requests.dto';
import { SubscriptionLifecycle } from './subscription-lifecycle.service';
import { SubscriptionReads } from './subscription-reads.service';

const subscriptionId = new IdParam('sub', 'subscription');
const customerId = new IdParam('cust', 'customer');
const runId = new IdParam('brun', 'billing run');

@ApiTags('admin: subscriptions, balances and billing runs')
@ApiBearerAuth()
@Controller('v1/admin')
export class AdminSubscriptionsController {
  constructor(
    private readonly subscriptions: SubscriptionReads,
    private readonly lifecycle: SubscriptionLifecycle,
    private readonly runs: BillingRuns,
    private readonly dunning: DunningDesk,
    private readonly balances: CustomerBalances,
  ) {}

  @Get('subscriptions')
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'All subscriptions, newest first' })
  list(@Query() query: PageQuery): Promise<Page<SubscriptionView>> {
    return this.subscriptions.list('staff', query);
  }

  @Get('subscriptions/:id')
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'Any subscription' })
  get(@Param('id', subscriptionId) id: string): Promise<SubscriptionView> {
    return this.subscriptions.get(id, 'staff');
  }

  @Post('subscriptions/:id/cancel')
  @HttpCode(200)
  @Roles('support', 'finance')
  @ApiOperation({ summary: "Cancel a customer's subscription now (audited)" })
  cancel(
    @Param('id', subscriptionId) id: string,
    @CurrentContext() context: RequestContext,
  ): Promise<SubscriptionView> {
    return this.lifecycle.cancel(id, 'staff', { atPeriodEnd: false, prorate: false }, context);
  }

  @Post('subscriptions/:id/pause')
  @HttpCode(200)
  @Roles('support', 'finance')
  @ApiOperation({
    summary:
      "Pause a customer's trialing, active or past-due subscription: no period is invoiced until it is resumed; open invoices are still collected (reason audited). A repeat is a 409; an Idempotency-Key is honoured.",
  })
  pause(
    @Param('id', subscriptionId) id: string,
    @Body() body: SubscriptionStaffReasonDto,
    @CurrentContext() context: RequestContext,
  ): Promise<SubscriptionView> {
    return this.lifecycle.pause(id, 'staff', context, body.reason);
  }

  @Post('subscriptions/:id/resume')
  @HttpCode(200)
  @RequiresIdempotencyKey()
  @Roles('support', 'finance')
  @ApiOperation({
    summary:
      'Resume a paused subscription: a new period starts now and is invoiced and collected at once, less the unused paid time before the pause (reason audited). Send an Idempotency-Key.',
  })
  resume(
    @Param('id', subscriptionId) id: string,
    @Body() body: SubscriptionStaffReasonDto,
    @CurrentContext() context: RequestContext,
  ): Promise<SubscriptionView> {
    return this.lifecycle.resume(id, 'staff', context, body.reason);
  }

  @Post('subscriptions/:id/trial')
  @HttpCode(200)
  @Roles('support', 'finance')
  @ApiOperation({
    summary:
      "Grant a trialing subscription a trial other than the plan's: trialDays from its start, with a reason (audited)",
  })
  grantTrial(
    @Param('id', subscriptionId) id: string,
    @Body() body: GrantTrialDto,
    @CurrentContext() context: RequestContext,
  ): Promise<SubscriptionView> {
    return this.lifecycle.grantTrial(id, body, context);
  }

  @Post('billing-runs')
  @Roles('finance')
  @ApiOperation({ summary: 'Start a billing run now (invoices every period that ended by asOf)' })
  startRun(
    @Body() body: StartBillingRunDto,
    @CurrentContext() context: RequestContext,
  ): Promise<BillingRunView> {
    const asOf = body.asOf ? new Date(body.asOf) : undefined;
    return this.runs.start('manual', context, asOf);
  }

  @Get('billing-runs')
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'Billing runs, newest first, with progress' })
  listRuns(@Query() query: PageQuery): Promise<Page<BillingRunView>> {
    return this.runs.list(query);
  }

  @Get('billing-runs/:id')
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'One billing run: done / failed / remaining' })
  getRun(@Param('id', runId) id: string): Promise<BillingRunView> {
    return this.runs.get(id);
  }

  @Get('customers/:id/balance')
  @Roles('support', 'finance')
  @ApiOperation({ summary: "A customer's credit balance per currency" })
  balance(@Param('id', customerId) id: string): Promise<CustomerBalanceView> {
    return this.balances.balancesOf(id);
  }

  @Get('customers/:id/balance-transactions')
  @Roles('support', 'finance')
  @ApiOperation({ summary: "Every movement of a customer's balance, newest first" })
  balanceTransactions(
    @Param('id', customerId) id: string,
    @Query() query: PageQuery,
  ): Promise<Page<BalanceTransactionView>> {
    return this.balances.transactionsOf(id, query);
  }

  @Post('customers/:id/balance-credits')
  @RequiresIdempotencyKey()
  @Roles('support', 'finance')
  @ApiOperation({
    summary: 'Goodwill credit to the balance, spent on the next invoices. Send an Idempotency-Key.',
  })
  credit(
    @Param('id', customerId) id: string,
    @Body() body: GoodwillCreditDto,
    @CurrentContext() context: RequestContext,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<BalanceTransactionView> {
    if (idempotencyKey !== undefined && idempotencyKey.trim() === '') {
      throw new AppError(400, 'VALIDATION_ERROR', 'Idempotency-Key must not be empty');
    }
    // The key (scoped by the interceptor per caller) also makes the ledger movement itself unique.
    const reference = `goodwill:${id}:${idempotencyKey ?? newId('req')}`;
    return this.dunning.goodwillCredit(id, { ...body, reference }, context);
  }
}

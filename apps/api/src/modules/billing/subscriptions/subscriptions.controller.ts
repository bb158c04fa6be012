import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type {
  Page,
  PaymentMethodView,
  PortalSessionView,
  SetupIntentView,
  SubscriptionView,
  UpcomingInvoiceView,
} from '@astrix/contracts';
import type { RequestContext, UserActor } from '../../../platform/auth/actor';
import { CurrentActor, CurrentContext, UserAuth } from '../../../platform/auth/access.decorators';
import { NotFoundError } from '../../../platform/http/app-error';
import { IdParam } from '../../../platform/http/id-param.pipe';
import { PageQuery } from '../../../platform/http/pagination';
import {
  CancelSubscriptionDto,
  ChangePlanDto,
  CreatePortalSessionDto,
  CreateSetupIntentDto,
  CreateSubscriptionDto,
  UpcomingInvoiceQuery,
} from './dto/subscription-requests.dto';
import { PaymentMethodsService } from '../customers/payment-methods.service';
import { SubscriptionPlanChanges } from './plan-changes.service';
import { SubscriptionLifecycle } from './subscription-lifecycle.service';
import { SubscriptionReactivation } from './reactivation.service';
import { SubscriptionReads } from './subscription-reads.service';
import { UpcomingInvoices } from './upcoming-invoice.service';

const subscriptionId = new IdParam('sub', 'subscription');

const payingUser = (actor: UserActor) => ({ userId: actor.userId, email: actor.email });

@ApiTags('billing: subscriptions')
@ApiBearerAuth()
@UserAuth()
@Controller('v1/billing/subscriptions')
export class SubscriptionsController {
  constructor(
    private readonly subscriptions: SubscriptionReads,
    private readonly lifecycle: SubscriptionLifecycle,
    private readonly reactivation: SubscriptionReactivation,
    private readonly planChanges: SubscriptionPlanChanges,
    private readonly upcoming: UpcomingInvoices,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Your subscriptions, newest first' })
  list(@Query() query: PageQuery, @CurrentActor() actor: UserActor): Promise<Page<SubscriptionView>> {
    return this.subscriptions.list({ userId: actor.userId }, query);
  }

  @Post()
  @ApiOperation({
    summary:
      'Subscribe to a plan: a trial starts, or the first period is invoiced and charged to your default card. Send an Idempotency-Key.',
  })
  create(
    @Body() body: CreateSubscriptionDto,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
  ): Promise<SubscriptionView> {
    return this.lifecycle.create(payingUser(actor), body, context);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of your subscriptions' })
  get(@Param('id', subscriptionId) id: string, @CurrentActor() actor: UserActor): Promise<SubscriptionView> {
    return this.subscriptions.get(id, { userId: actor.userId });
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel at period end (default) or now' })
  cancel(
    @Param('id', subscriptionId) id: string,
    @Body() body: CancelSubscriptionDto,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
  ): Promise<SubscriptionView> {
    return this.lifecycle.cancel(
      id,
      { userId: actor.userId },
      { atPeriodEnd: body.atPeriodEnd ?? true, prorate: body.prorate ?? false },
      context,
    );
  }

  @Post(':id/reactivate')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Undo a cancellation scheduled for the period end, or bring a canceled subscription back within 14 days of its end: a fresh period starts now and is charged at once',
  })
  reactivate(
    @Param('id', subscriptionId) id: string,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
  ): Promise<SubscriptionView> {
    return this.reactivation.reactivate(id, { userId: actor.userId }, context);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause: no renewals until resumed' })
  pause(
    @Param('id', subscriptionId) id: string,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
  ): Promise<SubscriptionView> {
    return this.lifecycle.pause(id, { userId: actor.userId }, context);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused subscription: a new period starts now and is invoiced' })
  resume(
    @Param('id', subscriptionId) id: string,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
  ): Promise<SubscriptionView> {
    return this.lifecycle.resume(id, { userId: actor.userId }, context);
  }

  @Post(':id/change-plan')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Change plan or seats now (prorated) or at period end; upgrades are invoiced at once, downgrades credited. Send an Idempotency-Key.',
  })
  changePlan(
    @Param('id', subscriptionId) id: string,
    @Body() body: ChangePlanDto,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
  ): Promise<SubscriptionView> {
    return this.planChanges.changePlan(id, { userId: actor.userId }, body, context);
  }

  @Get(':id/upcoming-invoice')
  @ApiOperation({
    summary: 'Preview the next invoice (optionally with a seat change now); computed, not stored',
  })
  upcomingInvoice(
    @Param('id', subscriptionId) id: string,
    @Query() query: UpcomingInvoiceQuery,
    @CurrentActor() actor: UserActor,
  ): Promise<UpcomingInvoiceView> {
    return this.upcoming.upcomingInvoice(id, { userId: actor.userId }, query.quantity);
  }
}

const PAYMENT_METHOD_ID = /^pm_[A-Za-z0-9_]{1,100}$/;

function paymentMethodId(value: string): string {
  if (!PAYMENT_METHOD_ID.test(value)) throw new NotFoundError('payment method', value.slice(0, 64));
  return value;
}

@ApiTags('billing: payment methods')
@ApiBearerAuth()
@UserAuth()
@Controller('v1/billing')
export class PaymentMethodsController {
  constructor(private readonly paymentMethods: PaymentMethodsService) {}

  @Get('payment-methods')
  @ApiOperation({ summary: 'Your saved cards' })
  list(@CurrentActor() actor: UserActor): Promise<PaymentMethodView[]> {
    return this.paymentMethods.list(payingUser(actor));
  }

  @Post('payment-methods/setup-intent')
  @ApiOperation({ summary: 'Start saving a card for renewals (the first one becomes the default)' })
  setupIntent(
    @Body() body: CreateSetupIntentDto,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
  ): Promise<SetupIntentView> {
    return this.paymentMethods.createSetupIntent(payingUser(actor), body.paymentMethodId, context);
  }

  @Post('payment-methods/:id/default')
  @HttpCode(200)
  @ApiOperation({ summary: 'Charge renewals to this card; unpaid renewals are retried on it at once' })
  setDefault(
    @Param('id') id: string,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
  ): Promise<PaymentMethodView> {
    return this.paymentMethods.setDefault(payingUser(actor), paymentMethodId(id), context);
  }

  @Delete('payment-methods/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a saved card' })
  remove(
    @Param('id') id: string,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
  ): Promise<void> {
    return this.paymentMethods.remove(payingUser(actor), paymentMethodId(id), context);
  }

  @Post('portal-sessions')
  @ApiOperation({ summary: "A link to the processor's billing portal to manage saved cards" })
  portal(
    @Body() body: CreatePortalSessionDto,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
  ): Promise<PortalSessionView> {
    return this.paymentMethods.portalSession(payingUser(actor), body.returnUrl, context);
  }
}

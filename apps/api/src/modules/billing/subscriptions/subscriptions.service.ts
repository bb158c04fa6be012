import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, LessThan } from 'typeorm';
import type {
  ChangePlanRequest,
  CreateSubscriptionRequest,
  Page,
  SubscriptionStatus,
  SubscriptionView,
  UpcomingInvoiceView,
} from '@astrix/contracts';
import {
  add,
  addBillingIntervals,
  type Money,
  billingPeriodFor,
  compare,
  money,
  multiply,
  parseCurrencyCode,
  prorate,
  negate,
  trialEndFor,
} from '@astrix/pricing';
import { AuditService } from '../../../platform/audit/audit.service';
import type { RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { OutboxService } from '../../../platform/events/outbox.service';
import { AppError, ConflictError, NotFoundError } from '../../../platform/http/app-error';
import { toPage } from '../../../platform/http/pagination';
import { newId } from '../../../platform/ids';
import { Customer } from '../customers/customer.entity';
import { storedMoney } from '../money';
import { CustomersService, type PayingUser } from '../customers/customers.service';
import { Product } from '../catalog/product.entity';
import { DunningCase } from '../collection/dunning-case.entity';
import { CustomerBalances } from '../customers/customer-balances.service';
import { InvoiceCollection } from '../collection/invoice-collection.service';
import {
  DraftLine,
  type PlanSide,
  draftInvoice,
  planLine,
  prorationLine,
  usageLine,
  withCoupon,
} from './invoice-drafts';
import { periodCouponOf } from './subscription-coupons';
import { CouponRedemptionService } from '../coupons/coupon-redemption.service';
import { billableUntil } from './billing-runs.service';
import { renewalInvoiceKey, renewalOf, usagePeriodOf } from './renewal';
import { assertStatusFor, assertTransition } from './subscription-rules';
import { type InvoiceToIssue, SubscriptionInvoicing } from './subscription-invoicing.service';
import { Plan, SubscriptionPlans } from './subscription-plans';
import { Subscription } from './subscription.entity';
import { subscriptionEvent, toSubscriptionView } from './subscription-views';
import { UsageCharges } from './usage-charges.port';
import { Invoice } from '../invoicing/invoice.entity';

/** Who owns the subscription being acted on: a trader acts on their own, staff on anyone's. */
export type SubscriptionOwner = { userId: string } | 'staff';

const MAX_QUANTITY = 10_000;

function assertQuantity(quantity: number): void {
  if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
    throw new AppError(
      422,
      'UNPROCESSABLE',
      `quantity ${quantity} must be a whole number from 1 to ${MAX_QUANTITY}`,
      [{ field: 'quantity', message: `must be a whole number from 1 to ${MAX_QUANTITY}` }],
    );
  }
}

/** The plan's product name for invoice lines; the product may be archived since. */
async function planNameOf(manager: EntityManager, productId: string): Promise<string> {
  return (await manager.findOne(Product, { where: { id: productId } }))?.name ?? productId;
}

/**
 * The subscription lifecycle: subscribe (trial or first invoice), change plan or seats now
 * (prorated) or at period end, cancel now or at period end, reactivate, pause and resume. Every
 * change commits with its audit row and `billing.subscription.updated`.
 */
@Injectable()
export class SubscriptionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly customers: CustomersService,
    private readonly plans: SubscriptionPlans,
    private readonly invoicing: SubscriptionInvoicing,
    private readonly collection: InvoiceCollection,
    private readonly balances: CustomerBalances,
    private readonly usage: UsageCharges,
    private readonly coupons: CouponRedemptionService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async create(
    user: PayingUser,
    request: CreateSubscriptionRequest,
    context: RequestContext,
  ): Promise<SubscriptionView> {
    const quantity = request.quantity ?? 1;
    assertQuantity(quantity);
    const customer = await this.customers.getOrCreate(user);
    const { subscription, invoiceId } = await this.dataSource.transaction(async (manager) => {
      const plan = await this.plans.resolve(manager, request.productId, request.currency);
      // One live subscription per plan per customer: a double click must not subscribe twice.
      await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `subscribe:${customer.id}:${plan.product.id}`,
      ]);
      const live = await manager.query(
        `SELECT id FROM billing.subscriptions WHERE customer_id = $1 AND product_id = $2 AND status <> 'canceled' LIMIT 1`,
        [customer.id, plan.product.id],
      );
      if (live.length > 0) {
        throw new ConflictError(`customer already has subscription ${live[0].id} to plan ${plan.product.id}`);
      }
      const trialDays = request.trialDays ?? plan.trialDays;
      if (trialDays === 0 && !customer.defaultPaymentMethodId) {
        throw new AppError(
          422,
          'UNPROCESSABLE',
          'a subscription without a trial needs a payment method: add one (POST /v1/billing/payment-methods/setup-intent) first',
          [
            {
              field: 'trialDays',
              message: 'no default payment method on file for a subscription without trial',
            },
          ],
        );
      }
      const now = this.clock.now();
      const trialEnd = trialDays > 0 ? trialEndFor(now, trialDays) : null;
      const anchor = trialEnd ?? now;
      const period = trialEnd
        ? { start: now, end: trialEnd }
        : { start: now, end: addBillingIntervals(anchor, plan.interval, plan.intervalCount) };
      const subscriptionId = newId('sub');
      // Redeemed first, under the coupon's lock: a coupon that does not apply stops the subscribe.
      const coupon =
        request.couponCode === undefined
          ? null
          : await this.coupons.redeemForSubscription(manager, {
              couponCode: request.couponCode,
              customerId: customer.id,
              userId: customer.userId,
              subscriptionId,
              planLine: {
                productId: plan.product.id,
                amount: multiply(money(plan.unitAmount, parseCurrencyCode(plan.currency)), quantity),
              },
              now,
            });
      const subscription = manager.create(Subscription, {
        id: subscriptionId,
        customerId: customer.id,
        userId: customer.userId,
        productId: plan.product.id,
        priceId: plan.price.id,
        currency: plan.currency,
        unitAmount: plan.unitAmount,
        quantity,
        status: trialEnd ? 'trialing' : 'incomplete',
        interval: plan.interval,
        intervalCount: plan.intervalCount,
        billingAnchor: anchor,
        trialEnd,
        currentPeriodStart: period.start,
        currentPeriodEnd: period.end,
        cancelAtPeriodEnd: false,
        canceledAt: null,
        endedAt: null,
        pausedAt: null,
        scheduledChange: null,
        couponId: coupon?.id ?? null,
        couponPeriodsBilled: 0,
        latestInvoiceId: null,
        createdAt: now,
        updatedAt: now,
      });
      await manager.insert(Subscription, { ...subscription });
      let invoiceId: string | null = null;
      if (!trialEnd) {
        const [invoice] = await this.issue(manager, subscription, plan, 'subscription_create', period, [
          planLine({
            productId: plan.product.id,
            planName: plan.product.name,
            currency: plan.currency,
            unitAmount: plan.unitAmount,
            quantity,
            periodStart: period.start,
            periodEnd: period.end,
          }),
        ]);
        invoiceId = invoice.id;
        subscription.latestInvoiceId = invoice.id;
        await manager.update(Subscription, { id: subscription.id }, { latestInvoiceId: invoice.id });
        if (invoice.status === 'paid') {
          subscription.status = 'active';
          await manager.update(Subscription, { id: subscription.id }, { status: 'active' });
        }
      }
      await this.recordChange(manager, context, subscription, null, 'created', 'subscription.created');
      return { subscription, invoiceId };
    });
    if (invoiceId) await this.collection.collect(invoiceId, 1);
    return this.get(subscription.id, { userId: user.userId });
  }

  async list(
    owner: SubscriptionOwner,
    page: { limit: number; cursor?: string },
  ): Promise<Page<SubscriptionView>> {
    const scope = owner === 'staff' ? {} : { userId: owner.userId };
    const rows = await this.dataSource.getRepository(Subscription).find({
      where: page.cursor ? { ...scope, id: LessThan(page.cursor) } : scope,
      order: { id: 'DESC' },
      take: page.limit + 1,
    });
    return toPage(rows, page.limit, toSubscriptionView);
  }

  /** Every subscription of a customer, newest first (support tools). */
  async listForCustomer(
    customerId: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<SubscriptionView>> {
    const rows = await this.dataSource.getRepository(Subscription).find({
      where: page.cursor ? { customerId, id: LessThan(page.cursor) } : { customerId },
      order: { id: 'DESC' },
      take: page.limit + 1,
    });
    return toPage(rows, page.limit, toSubscriptionView);
  }

  async get(subscriptionId: string, owner: SubscriptionOwner): Promise<SubscriptionView> {
    return toSubscriptionView(await this.find(this.dataSource.manager, subscriptionId, owner));
  }

  async cancel(
    subscriptionId: string,
    owner: SubscriptionOwner,
    { atPeriodEnd, prorate: creditUnusedTime }: { atPeriodEnd: boolean; prorate: boolean },
    context: RequestContext,
  ): Promise<SubscriptionView> {
    if (atPeriodEnd && creditUnusedTime) {
      throw new AppError(422, 'UNPROCESSABLE', 'prorate applies to canceling now: send atPeriodEnd false', [
        { field: 'prorate', message: 'only with atPeriodEnd false' },
      ]);
    }
    return this.mutate(subscriptionId, owner, context, async (manager, subscription, now) => {
      if (atPeriodEnd) {
        assertStatusFor('cancel at period end', subscription.id, subscription.status, [
          'trialing',
          'active',
          'past_due',
        ]);
        if (subscription.cancelAtPeriodEnd) return null;
        subscription.cancelAtPeriodEnd = true;
        subscription.canceledAt = now;
        subscription.scheduledChange = null;
        return { change: 'cancel_scheduled', action: 'subscription.cancel_scheduled' };
      }
      assertTransition(subscription.id, subscription.status, 'canceled');
      // Only a paid, running period has unused time to give back (not a trial, not a past-due one).
      if (creditUnusedTime && subscription.status === 'active') {
        await this.creditUnusedTime(manager, subscription, now);
      }
      subscription.status = 'canceled';
      subscription.canceledAt = now;
      subscription.endedAt = now;
      subscription.scheduledChange = null;
      await this.closeDunning(manager, subscription.id, now);
      return { change: 'status_changed', action: 'subscription.canceled' };
    });
  }

  /**
   * What was paid for the time after `now`: every paid plan and proration line covering now, net of
   * its discount, prorated by the second through @astrix/pricing.
   */
  private async unusedPaidTime(
    manager: EntityManager,
    subscription: Subscription,
    now: Date,
  ): Promise<Money> {
    const paid: Array<{ net: string; period_start: Date; period_end: Date }> = await manager.query(
      `SELECT l.amount - l.discount AS net, l.period_start, l.period_end
         FROM billing.invoice_lines l JOIN billing.invoices i ON i.id = l.invoice_id
        WHERE i.subscription_id = $1 AND i.status = 'paid'
          AND l.kind IN ('plan', 'proration_credit', 'proration_charge')
          AND l.period_start <= $2 AND l.period_end > $2`,
      [subscription.id, now],
    );
    const currency = parseCurrencyCode(subscription.currency);
    return paid.reduce(
      (total, line) =>
        add(
          total,
          prorate(storedMoney(line.net, currency), { start: line.period_start, end: line.period_end }, now),
        ),
      money(0, currency),
    );
  }

  /**
   * The lines of a change made `at`: a credit of what was paid for the rest of the period (net of
   * discounts and earlier prorations), never the list price, so a discounted period gives back no more
   * than it cost; and the new plan's remaining time at list price, prorated by @astrix/pricing.
   */
  private async changeLines(
    manager: EntityManager,
    subscription: Subscription,
    to: PlanSide & { amount: Money },
    at: Date,
  ): Promise<DraftLine[]> {
    const period = { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd };
    const credit = await this.unusedTimeCredit(manager, subscription, at);
    const charge = prorationLine('proration_charge', to, prorate(to.amount, period, at), {
      start: at,
      end: period.end,
    });
    return credit ? [credit, charge] : [charge];
  }

  private async hasOpenInvoice(manager: EntityManager, subscription: Subscription): Promise<boolean> {
    const open: unknown[] = await manager.query(
      `SELECT 1 FROM billing.invoices WHERE subscription_id = $1 AND status = 'open' LIMIT 1`,
      [subscription.id],
    );
    return open.length > 0;
  }

  /** The unused, paid time after `now` as an invoice line crediting it. */
  private async unusedTimeCredit(
    manager: EntityManager,
    subscription: Subscription,
    now: Date,
    why?: string,
  ): Promise<DraftLine | null> {
    const unused = await this.unusedPaidTime(manager, subscription, now);
    if (unused.amountMinor <= 0) return null;
    const plan = {
      productId: subscription.productId,
      planName: await planNameOf(manager, subscription.productId),
      quantity: subscription.quantity,
    };
    return prorationLine(
      'proration_credit',
      plan,
      negate(unused),
      { start: now, end: subscription.currentPeriodEnd },
      why,
    );
  }

  /** A credit invoice for the unused, paid time after `now`; its negative total goes to the balance. */
  private async creditUnusedTime(
    manager: EntityManager,
    subscription: Subscription,
    now: Date,
  ): Promise<void> {
    const credit = await this.unusedTimeCredit(manager, subscription, now, 'after cancellation');
    if (credit === null) return;
    const [invoice] = await this.issue(
      manager,
      subscription,
      { currency: subscription.currency },
      'subscription_update',
      { start: now, end: subscription.currentPeriodEnd },
      [credit],
      `sub:${subscription.id}:cancel:${now.toISOString()}`,
      { creditKind: 'cancellation_credit' },
    );
    subscription.latestInvoiceId = invoice.id;
  }

  /** Undoes a cancellation scheduled for the period end, while the period lasts. */
  async reactivate(
    subscriptionId: string,
    owner: SubscriptionOwner,
    context: RequestContext,
  ): Promise<SubscriptionView> {
    return this.mutate(subscriptionId, owner, context, async (_manager, subscription, now) => {
      if (subscription.status === 'canceled') {
        throw new ConflictError(
          `subscription ${subscription.id} has ended (canceled): it can move to none; subscribe again instead`,
          'INVALID_TRANSITION',
        );
      }
      if (!subscription.cancelAtPeriodEnd || now >= subscription.currentPeriodEnd) {
        throw new ConflictError(
          `subscription ${subscription.id} is not scheduled to cancel: nothing to reactivate`,
        );
      }
      subscription.cancelAtPeriodEnd = false;
      subscription.canceledAt = null;
      return { change: 'reactivated', action: 'subscription.reactivated' };
    });
  }

  async pause(
    subscriptionId: string,
    owner: SubscriptionOwner,
    context: RequestContext,
  ): Promise<SubscriptionView> {
    return this.mutate(subscriptionId, owner, context, async (_manager, subscription, now) => {
      assertTransition(subscription.id, subscription.status, 'paused');
      subscription.status = 'paused';
      subscription.pausedAt = now;
      return { change: 'status_changed', action: 'subscription.paused' };
    });
  }

  /**
   * Paused → active: a fresh period starts now and is invoiced at once. If the period paid before the
   * pause is still running, its time from now on is credited on that invoice: it is billed again.
   */
  async resume(
    subscriptionId: string,
    owner: SubscriptionOwner,
    context: RequestContext,
  ): Promise<SubscriptionView> {
    let toCollect: string | null = null;
    const view = await this.mutate(subscriptionId, owner, context, async (manager, subscription, now) => {
      assertStatusFor('resume', subscription.id, subscription.status, ['paused']);
      assertTransition(subscription.id, subscription.status, 'active');
      // The subscription's own price and the product's name: a plan archived since still resumes.
      const planName = await planNameOf(manager, subscription.productId);
      const overlap = await this.unusedTimeCredit(manager, subscription, now, 'paid before the pause');
      subscription.status = 'active';
      subscription.pausedAt = null;
      subscription.billingAnchor = now;
      subscription.currentPeriodStart = now;
      subscription.currentPeriodEnd = addBillingIntervals(
        now,
        subscription.interval,
        subscription.intervalCount,
      );
      const [invoice] = await this.issue(
        manager,
        subscription,
        { currency: subscription.currency },
        'subscription_cycle',
        { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd },
        [
          planLine({
            productId: subscription.productId,
            planName,
            currency: subscription.currency,
            unitAmount: subscription.unitAmount,
            quantity: subscription.quantity,
            periodStart: subscription.currentPeriodStart,
            periodEnd: subscription.currentPeriodEnd,
          }),
          ...(overlap ? [overlap] : []),
        ],
      );
      subscription.latestInvoiceId = invoice.id;
      if (invoice.status === 'open') toCollect = invoice.id;
      return { change: 'status_changed', action: 'subscription.resumed' };
    });
    if (toCollect) await this.collection.collect(toCollect, 1);
    return toCollect ? this.get(subscriptionId, owner) : view;
  }

  /**
   * A new plan or seat count. Now: prorated by the second (credit for the unused old plan, charge for
   * the new one), invoiced at once when it costs more, credited to the balance when it costs less.
   * At period end: scheduled, applied by the billing run. Default: upgrades now, downgrades later.
   */
  async changePlan(
    subscriptionId: string,
    owner: SubscriptionOwner,
    request: ChangePlanRequest,
    context: RequestContext,
  ): Promise<SubscriptionView> {
    let toCollect: string | null = null;
    const view = await this.mutate(subscriptionId, owner, context, async (manager, subscription, now) => {
      assertStatusFor('change the plan of', subscription.id, subscription.status, [
        'trialing',
        'active',
        'past_due',
      ]);
      if (subscription.cancelAtPeriodEnd) {
        throw new ConflictError(
          `subscription ${subscription.id} cancels at period end: reactivate it before changing the plan`,
        );
      }
      const target = await this.targetPlan(manager, subscription, request);
      if (
        target.plan.interval !== subscription.interval ||
        target.plan.intervalCount !== subscription.intervalCount
      ) {
        const invoice = await this.switchInterval(manager, subscription, target, request, now);
        if (invoice?.status === 'open') toCollect = invoice.id;
        return { change: 'plan_changed', action: 'subscription.plan_changed' };
      }
      const oldAmount = multiply(
        money(subscription.unitAmount, parseCurrencyCode(subscription.currency)),
        subscription.quantity,
      );
      const newAmount = multiply(
        money(target.plan.unitAmount, parseCurrencyCode(subscription.currency)),
        target.quantity,
      );
      const when = request.when ?? (compare(newAmount, oldAmount) > 0 ? 'now' : 'period_end');
      // Prorating now would credit time that was never paid for.
      if (
        when === 'now' &&
        (subscription.status === 'past_due' || (await this.hasOpenInvoice(manager, subscription)))
      ) {
        throw new ConflictError(
          `subscription ${subscription.id} has an unpaid invoice: pay it first, or schedule the change with when: period_end`,
        );
      }
      if (when === 'period_end' || subscription.status === 'trialing') {
        if (when === 'period_end') {
          subscription.scheduledChange = {
            productId: target.plan.product.id,
            priceId: target.plan.price.id,
            unitAmount: target.plan.unitAmount,
            quantity: target.quantity,
            requestedAt: now.toISOString(),
          };
          return { change: 'change_scheduled', action: 'subscription.change_scheduled' };
        }
        // During a trial nothing was charged, so there is nothing to prorate.
        this.applyPlan(subscription, target.plan, target.quantity);
        return { change: 'plan_changed', action: 'subscription.plan_changed' };
      }
      const lines = await this.changeLines(
        manager,
        subscription,
        {
          productId: target.plan.product.id,
          planName: target.plan.product.name,
          quantity: target.quantity,
          amount: newAmount,
        },
        now,
      );
      this.applyPlan(subscription, target.plan, target.quantity);
      subscription.scheduledChange = null;
      if (lines.some((line) => line.amount !== 0)) {
        const [invoice] = await this.issue(
          manager,
          subscription,
          target.plan,
          'subscription_update',
          { start: now, end: subscription.currentPeriodEnd },
          lines,
          `sub:${subscription.id}:update:${now.toISOString()}`,
        );
        subscription.latestInvoiceId = invoice.id;
        if (invoice.status === 'open') toCollect = invoice.id;
      }
      return { change: 'plan_changed', action: 'subscription.plan_changed' };
    });
    if (toCollect) await this.collection.collect(toCollect, 1);
    return toCollect ? this.get(subscriptionId, owner) : view;
  }

  /**
   * The next invoice, computed and never stored: the plan for the next period (with the scheduled
   * change), usage of the current period, and, with a quantity override, the proration of changing
   * the seats now. Customer credit is applied as the billing run would.
   */
  async upcomingInvoice(
    subscriptionId: string,
    owner: SubscriptionOwner,
    quantityOverride?: number,
  ): Promise<UpcomingInvoiceView> {
    const manager = this.dataSource.manager;
    const subscription = await this.find(manager, subscriptionId, owner);
    if (
      subscription.status === 'canceled' ||
      subscription.status === 'paused' ||
      subscription.cancelAtPeriodEnd
    ) {
      throw new ConflictError(
        `subscription ${subscription.id} has no upcoming invoice: it is ${subscription.cancelAtPeriodEnd ? 'canceling at period end' : subscription.status}`,
      );
    }
    if (quantityOverride !== undefined) assertQuantity(quantityOverride);
    const now = this.clock.now();
    const lines: DraftLine[] = [];
    const planProduct = await manager.findOneOrFail(Product, { where: { id: subscription.productId } });
    if (
      quantityOverride !== undefined &&
      quantityOverride !== subscription.quantity &&
      subscription.status !== 'trialing'
    ) {
      lines.push(
        ...(await this.changeLines(
          manager,
          subscription,
          {
            productId: subscription.productId,
            planName: planProduct.name,
            quantity: quantityOverride,
            amount: multiply(
              money(subscription.unitAmount, parseCurrencyCode(subscription.currency)),
              quantityOverride,
            ),
          },
          now < subscription.currentPeriodStart ? subscription.currentPeriodStart : now,
        )),
      );
    }
    const renewal = renewalOf(
      quantityOverride !== undefined && !subscription.scheduledChange
        ? { ...subscription, quantity: quantityOverride }
        : subscription,
    );
    const nextPeriod =
      renewal.nextPeriod ??
      billingPeriodFor(
        subscription.billingAnchor,
        subscription.interval,
        subscription.intervalCount,
        subscription.currentPeriodEnd,
      );
    const nextProduct =
      renewal.plan.productId === planProduct.id
        ? planProduct
        : await manager.findOneOrFail(Product, { where: { id: renewal.plan.productId } });
    lines.push(
      planLine({
        productId: nextProduct.id,
        planName: nextProduct.name,
        currency: subscription.currency,
        unitAmount: renewal.plan.unitAmount,
        quantity: renewal.plan.quantity,
        periodStart: nextPeriod.start,
        periodEnd: nextPeriod.end,
      }),
    );
    if (!renewal.closedPeriodWasTrial) {
      const usage = await this.usage.linesFor(manager, [usagePeriodOf(subscription)]);
      for (const line of usage.get(subscription.id) ?? [])
        lines.push(usageLine(subscription.productId, line));
    }
    const credit = (await this.balances.balancesOf(subscription.customerId)).balances.find(
      (balance) => balance.currency === subscription.currency,
    );
    const draft = draftInvoice(
      subscription.currency,
      withCoupon(subscription.currency, lines, await periodCouponOf(manager, subscription)),
      credit?.amount ?? 0,
    );
    return {
      subscriptionId: subscription.id,
      currency: draft.currency,
      periodStart: nextPeriod.start.toISOString(),
      periodEnd: nextPeriod.end.toISOString(),
      lines: draft.lines.map((line) => ({
        kind: line.kind === 'purchase' ? 'plan' : line.kind,
        description: line.description,
        quantity: line.quantity,
        unitAmount: { amount: line.unitAmount, currency: draft.currency },
        amount: { amount: line.amount, currency: draft.currency },
        discount: { amount: line.discount, currency: draft.currency },
        periodStart: line.periodStart?.toISOString() ?? null,
        periodEnd: line.periodEnd?.toISOString() ?? null,
      })),
      subtotal: draft.subtotal,
      discount: draft.discount,
      creditApplied: draft.creditApplied,
      total: draft.total,
      amountDue: draft.amountDue,
      issuesAt: billableUntil(subscription.currentPeriodEnd, -1).toISOString(),
    };
  }

  /**
   * A plan on another billing interval, always now (as Stripe does): the current period closes
   * here, its usage so far and a credit for the unused plan time are invoiced with the new plan's
   * first full period, and the billing anchor moves to now. During a trial only the plan changes.
   */
  private async switchInterval(
    manager: EntityManager,
    subscription: Subscription,
    target: { plan: Plan; quantity: number },
    request: ChangePlanRequest,
    now: Date,
  ): Promise<Invoice | null> {
    const every = (plan: { intervalCount: number; interval: string }) =>
      `every ${plan.intervalCount} ${plan.interval}`;
    if (request.when === 'period_end') {
      throw new AppError(
        422,
        'UNPROCESSABLE',
        `plan ${target.plan.product.id} bills ${every(target.plan)}, the subscription ${every(subscription)}: a change of billing interval starts a new period now`,
        [{ field: 'when', message: 'must be now (or omitted) when the billing interval changes' }],
      );
    }
    if (subscription.status === 'trialing') {
      this.applyPlan(subscription, target.plan, target.quantity);
      subscription.scheduledChange = null;
      return null;
    }
    assertStatusFor('change the billing interval of', subscription.id, subscription.status, ['active']);
    // What was paid for the rest of the old period comes back (net of discounts), never more.
    const credit = await this.unusedTimeCredit(manager, subscription, now, 'before the switch');
    const usage = await this.usage.linesFor(manager, [{ ...usagePeriodOf(subscription), periodEnd: now }]);
    const nextEnd = addBillingIntervals(now, target.plan.interval, target.plan.intervalCount);
    const lines: DraftLine[] = [
      ...(usage.get(subscription.id) ?? []).map((line) => usageLine(subscription.productId, line)),
      ...(credit ? [credit] : []),
      planLine({
        productId: target.plan.product.id,
        planName: target.plan.product.name,
        currency: subscription.currency,
        unitAmount: target.plan.unitAmount,
        quantity: target.quantity,
        periodStart: now,
        periodEnd: nextEnd,
      }),
    ];
    this.applyPlan(subscription, target.plan, target.quantity);
    subscription.scheduledChange = null;
    subscription.billingAnchor = now;
    subscription.currentPeriodStart = now;
    subscription.currentPeriodEnd = nextEnd;
    const [invoice] = await this.issue(
      manager,
      subscription,
      target.plan,
      'subscription_update',
      { start: now, end: nextEnd },
      lines,
      renewalInvoiceKey(subscription.id, now),
      { newPeriod: true },
    );
    subscription.latestInvoiceId = invoice.id;
    return invoice;
  }

  private applyPlan(subscription: Subscription, plan: Plan, quantity: number): void {
    subscription.productId = plan.product.id;
    subscription.priceId = plan.price.id;
    subscription.unitAmount = plan.unitAmount;
    subscription.quantity = quantity;
    subscription.interval = plan.interval;
    subscription.intervalCount = plan.intervalCount;
  }

  private async targetPlan(
    manager: EntityManager,
    subscription: Subscription,
    request: ChangePlanRequest,
  ): Promise<{ plan: Plan; quantity: number }> {
    if (request.productId === undefined && request.quantity === undefined) {
      throw new AppError(422, 'UNPROCESSABLE', 'a plan change needs a productId, a quantity or both', [
        { field: 'productId', message: 'productId or quantity is required' },
      ]);
    }
    const quantity = request.quantity ?? subscription.quantity;
    assertQuantity(quantity);
    const plan = await this.plans.resolve(
      manager,
      request.productId ?? subscription.productId,
      subscription.currency,
    );
    if (
      plan.product.id === subscription.productId &&
      quantity === subscription.quantity &&
      plan.unitAmount === subscription.unitAmount
    ) {
      throw new ConflictError(
        `subscription ${subscription.id} is already on plan ${plan.product.id} with ${quantity} seats`,
      );
    }
    return { plan, quantity };
  }

  private async issue(
    manager: EntityManager,
    subscription: Subscription,
    plan: Pick<Plan, 'currency'>,
    reason: 'subscription_create' | 'subscription_cycle' | 'subscription_update',
    period: { start: Date; end: Date },
    lines: DraftLine[],
    idempotencyKey = renewalInvoiceKey(subscription.id, period.start),
    {
      newPeriod = reason !== 'subscription_update',
      creditKind,
    }: {
      /** Whether the invoice bills a new period (and so takes the coupon); default: all but mid-period changes. */
      newPeriod?: boolean;
      creditKind?: InvoiceToIssue['creditKind'];
    } = {},
  ): Promise<Invoice[]> {
    const credit = await this.balances.lockedBalance(manager, subscription.customerId, plan.currency);
    const customer = await manager.findOne(Customer, { where: { id: subscription.customerId } });
    // A coupon discounts period invoices (and counts them); a mid-period change is not a period.
    if (newPeriod && subscription.couponId !== null) {
      lines = withCoupon(plan.currency, lines, await periodCouponOf(manager, subscription));
      subscription.couponPeriodsBilled += 1;
      await manager.update(
        Subscription,
        { id: subscription.id },
        { couponPeriodsBilled: subscription.couponPeriodsBilled },
      );
    }
    return this.invoicing.issueMany(
      manager,
      [
        {
          subscription,
          customerEmail: customer?.email ?? null,
          reason,
          idempotencyKey,
          periodStart: period.start,
          periodEnd: period.end,
          draft: draftInvoice(plan.currency, lines, credit),
          creditKind,
        },
      ],
      this.clock.now(),
      { actor: { kind: 'system', name: 'subscriptions' }, requestId: null },
    );
  }

  private async find(
    manager: EntityManager,
    subscriptionId: string,
    owner: SubscriptionOwner,
    lock = false,
  ): Promise<Subscription> {
    const subscription = await manager.findOne(Subscription, {
      where: owner === 'staff' ? { id: subscriptionId } : { id: subscriptionId, userId: owner.userId },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    // Another user's subscription looks exactly like one that does not exist.
    if (!subscription) throw new NotFoundError('subscription', subscriptionId);
    return subscription;
  }

  private async closeDunning(manager: EntityManager, subscriptionId: string, now: Date): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(DunningCase)
      .set({ status: 'closed', nextAttemptAt: null, resolvedAt: now, updatedAt: now })
      .where('subscription_id = :subscriptionId AND status IN (:...open)', {
        subscriptionId,
        open: ['active', 'paused'],
      })
      .execute();
  }

  /** Locks the subscription, applies the change, saves it with its audit row and event. */
  private async mutate(
    subscriptionId: string,
    owner: SubscriptionOwner,
    context: RequestContext,
    change: (
      manager: EntityManager,
      subscription: Subscription,
      now: Date,
    ) => Promise<{
      change: 'status_changed' | 'plan_changed' | 'change_scheduled' | 'cancel_scheduled' | 'reactivated';
      action: string;
    } | null>,
  ): Promise<SubscriptionView> {
    const saved = await this.dataSource.transaction(async (manager) => {
      const subscription = await this.find(manager, subscriptionId, owner, true);
      const before = { ...subscription };
      const now = this.clock.now();
      const outcome = await change(manager, subscription, now);
      if (!outcome) return subscription;
      subscription.updatedAt = now;
      await manager.update(
        Subscription,
        { id: subscription.id },
        {
          status: subscription.status,
          productId: subscription.productId,
          priceId: subscription.priceId,
          unitAmount: subscription.unitAmount,
          quantity: subscription.quantity,
          interval: subscription.interval,
          intervalCount: subscription.intervalCount,
          billingAnchor: subscription.billingAnchor,
          currentPeriodStart: subscription.currentPeriodStart,
          currentPeriodEnd: subscription.currentPeriodEnd,
          cancelAtPeriodEnd: subscription.cancelAtPeriodEnd,
          canceledAt: subscription.canceledAt,
          endedAt: subscription.endedAt,
          pausedAt: subscription.pausedAt,
          scheduledChange: subscription.scheduledChange,
          latestInvoiceId: subscription.latestInvoiceId,
          updatedAt: now,
        },
      );
      await this.recordChange(manager, context, subscription, before, outcome.change, outcome.action);
      return subscription;
    });
    return toSubscriptionView(saved);
  }

  private async recordChange(
    manager: EntityManager,
    context: RequestContext,
    subscription: Subscription,
    before: Subscription | null,
    change:
      'created' | 'status_changed' | 'plan_changed' | 'change_scheduled' | 'cancel_scheduled' | 'reactivated',
    action: string,
  ): Promise<void> {
    const from: SubscriptionStatus | null = before?.status ?? null;
    await this.outbox.appendMany(manager, [subscriptionEvent(subscription, from, change)]);
    await this.audit.record(manager, context, {
      action,
      resourceType: 'subscription',
      resourceId: subscription.id,
      before: before ? { ...toSubscriptionView(before) } : null,
      after: { ...toSubscriptionView(subscription) },
    });
  }
}

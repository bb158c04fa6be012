import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ChangePlanRequest, SubscriptionView } from '@astrix/contracts';
import { addBillingIntervals, compare, money, multiply, parseCurrencyCode } from '@astrix/pricing';
import type { RequestContext } from '../../../platform/auth/actor';
import { AppError, ConflictError } from '../../../platform/http/app-error';
import type { Invoice } from '../invoicing/invoice.entity';
import { ChangeInvoices } from './change-invoices.service';
import { type DraftLine, planLine } from './invoice-drafts';
import { renewalInvoiceKey } from './renewal';
import { assertQuantity, assertStatusFor } from './subscription-rules';
import { type Plan, SubscriptionPlans } from './subscription-plans';
import { SubscriptionStore, type SubscriptionOwner } from './subscription-store.service';
import type { Subscription } from './subscription.entity';
import { UnusedTimeCredits } from './unused-time-credits.service';
import { UsageCharges } from './usage-charges.port';
import { closedUsageUpTo } from './usage-closing';

/** The plan and seats a change asks for. */
interface TargetPlan {
  plan: Plan;
  quantity: number;
}

/**
 * Plan and seat changes: now (prorated by the second) or at period end (scheduled for the billing
 * run), and switches of billing interval, which always start a new period now.
 */
@Injectable()
export class SubscriptionPlanChanges {
  constructor(
    private readonly store: SubscriptionStore,
    private readonly plans: SubscriptionPlans,
    private readonly invoices: ChangeInvoices,
    private readonly unusedTime: UnusedTimeCredits,
    private readonly usage: UsageCharges,
  ) {}

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
    const view = await this.store.mutate(
      subscriptionId,
      owner,
      context,
      async (manager, subscription, now) => {
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
          (subscription.status === 'past_due' || (await hasOpenInvoice(manager, subscription)))
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
          applyPlan(subscription, target);
          return { change: 'plan_changed', action: 'subscription.plan_changed' };
        }
        const lines = await this.unusedTime.changeLines(
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
        // The usage so far was on the old plan: it closes here, priced on it by the next invoice.
        await closedUsageUpTo(this.usage, manager, subscription, 'plan_change', now);
        applyPlan(subscription, target);
        subscription.scheduledChange = null;
        if (lines.some((line) => line.amount !== 0)) {
          const [invoice] = await this.invoices.issue(
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
      },
    );
    if (toCollect) await this.invoices.collect(toCollect);
    return toCollect ? this.store.view(subscriptionId, owner) : view;
  }

  /**
   * A plan on another billing interval, always now (as Stripe does): the current period closes
   * here, its usage so far and a credit for the unused plan time are invoiced with the new plan's
   * first full period, and the billing anchor moves to now. During a trial only the plan changes.
   */
  private async switchInterval(
    manager: EntityManager,
    subscription: Subscription,
    target: TargetPlan,
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
      applyPlan(subscription, target);
      subscription.scheduledChange = null;
      return null;
    }
    assertStatusFor('change the billing interval of', subscription.id, subscription.status, ['active']);
    // What was paid for the rest of the old period comes back (net of discounts), never more.
    const credit = await this.unusedTime.creditLine(manager, subscription, now, 'before the switch');
    const usage = await closedUsageUpTo(
      this.usage,
      manager,
      subscription,
      'plan_change',
      now,
      renewalInvoiceKey(subscription.id, now),
    );
    const nextEnd = addBillingIntervals(now, target.plan.interval, target.plan.intervalCount);
    const lines: DraftLine[] = [
      ...usage,
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
    applyPlan(subscription, target);
    subscription.scheduledChange = null;
    subscription.billingAnchor = now;
    subscription.currentPeriodStart = now;
    subscription.currentPeriodEnd = nextEnd;
    const [invoice] = await this.invoices.issue(
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

  private async targetPlan(
    manager: EntityManager,
    subscription: Subscription,
    request: ChangePlanRequest,
  ): Promise<TargetPlan> {
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
}

function applyPlan(subscription: Subscription, { plan, quantity }: TargetPlan): void {
  subscription.productId = plan.product.id;
  subscription.priceId = plan.price.id;
  subscription.unitAmount = plan.unitAmount;
  subscription.quantity = quantity;
  subscription.interval = plan.interval;
  subscription.intervalCount = plan.intervalCount;
}

/** An invoice of the subscription still waiting for payment (past due or not). */
async function hasOpenInvoice(manager: EntityManager, subscription: Subscription): Promise<boolean> {
  const open: unknown[] = await manager.query(
    `SELECT 1 FROM billing.invoices WHERE subscription_id = $1 AND status = 'open' LIMIT 1`,
    [subscription.id],
  );
  return open.length > 0;
}

import { Injectable } from '@nestjs/common';
import type { CreateSubscriptionRequest, SubscriptionView } from '@astrix/contracts';
import { money, multiply, parseCurrencyCode, trialEndFor } from '@astrix/pricing';
import { actorReference, type RequestContext } from '../../../platform/auth/actor';
import { AuditService } from '../../../platform/audit/audit.service';
import { Clock } from '../../../platform/clock';
import { AppError, ConflictError } from '../../../platform/http/app-error';
import { newId } from '../../../platform/ids';
import { InvoiceDunning } from '../collection/invoice-dunning.service';
import { CouponRedemptionService } from '../coupons/coupon-redemption.service';
import { CustomersService, type PayingUser } from '../customers/customers.service';
import { ChangeInvoices } from './change-invoices.service';
import { assertQuantity, assertStatusFor, assertTransition } from './subscription-rules';
import { SubscriptionPlans } from './subscription-plans';
import { SubscriptionStore, type SubscriptionOwner } from './subscription-store.service';
import { decideTrial, grantedTrialEnd, trialTermsOf } from './trial-rules';
import { Subscription } from './subscription.entity';
import { UnusedTimeCredits } from './unused-time-credits.service';
import { anchorAfterTrial, firstPaidPeriod, periodPlanLine, renewalInvoiceKey } from './renewal';
import { closedUsageUpTo, usageInvoiceKey } from './usage-closing';
import { UsageCharges } from './usage-charges.port';

/**
 * The subscription lifecycle: subscribe (trial or first invoice), cancel now or at period end,
 * reactivate, pause and resume. Every change commits with its audit row and
 * `billing.subscription.updated`.
 */
@Injectable()
export class SubscriptionLifecycle {
  constructor(
    private readonly store: SubscriptionStore,
    private readonly customers: CustomersService,
    private readonly plans: SubscriptionPlans,
    private readonly coupons: CouponRedemptionService,
    private readonly invoices: ChangeInvoices,
    private readonly unusedTime: UnusedTimeCredits,
    private readonly dunning: InvoiceDunning,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly usage: UsageCharges,
  ) {}

  async create(
    user: PayingUser,
    request: CreateSubscriptionRequest,
    context: RequestContext,
  ): Promise<SubscriptionView> {
    const quantity = request.quantity ?? 1;
    assertQuantity(quantity);
    const customer = await this.customers.getOrCreate(user);
    const { subscription, invoiceId } = await this.store.transaction(async (manager) => {
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
      // The trial is the plan's (never longer), once per customer and plan family; see trial-rules.ts.
      const trialTerms = trialTermsOf(plan.product);
      await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `trial:${customer.id}:${trialTerms.family}`,
      ]);
      const [{ priorTrials }] = await manager.query(
        `SELECT count(*)::int AS "priorTrials" FROM billing.subscriptions WHERE customer_id = $1 AND trial_family = $2`,
        [customer.id, trialTerms.family],
      );
      const trial = decideTrial({
        terms: trialTerms,
        requestedDays: request.trialDays,
        hasPaymentMethod: Boolean(customer.defaultPaymentMethodId),
        priorTrialsInFamily: priorTrials,
      });
      if (trial.kind === 'refused') {
        throw new AppError(422, 'UNPROCESSABLE', trial.message, [
          { field: trial.field, message: trial.message },
        ]);
      }
      const trialDays = trial.kind === 'trial' ? trial.days : 0;
      const now = this.clock.now();
      const trialEnd = trialDays > 0 ? trialEndFor(now, trialDays) : null;
      // With an anchor day, the first paid period (now, or from the trial's end) runs to it, prorated.
      const anchorDay = request.billingAnchorDay ?? null;
      const firstPaid = firstPaidPeriod(now, plan.interval, plan.intervalCount, anchorDay);
      const anchor = trialEnd ? anchorAfterTrial(trialEnd, anchorDay) : firstPaid.billingAnchor;
      const period = trialEnd ? { start: now, end: trialEnd } : firstPaid.period;
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
        billingAnchorDay: anchorDay,
        trialEnd,
        trialFamily: trialEnd ? trialTerms.family : null,
        trialOverage: trialEnd ? trialTerms.overage : null,
        trialGrantedBy: null,
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
        const [invoice] = await this.invoices.issue(
          manager,
          subscription,
          plan,
          'subscription_create',
          period,
          [
            periodPlanLine({
              productId: plan.product.id,
              planName: plan.product.name,
              currency: plan.currency,
              unitAmount: plan.unitAmount,
              quantity,
              period: firstPaid.period,
            }),
          ],
        );
        invoiceId = invoice.id;
        subscription.latestInvoiceId = invoice.id;
        await manager.update(Subscription, { id: subscription.id }, { latestInvoiceId: invoice.id });
        if (invoice.status === 'paid') {
          subscription.status = 'active';
          await manager.update(Subscription, { id: subscription.id }, { status: 'active' });
        }
      }
      await this.store.recordChange(manager, context, subscription, null, 'created', 'subscription.created');
      return { subscription, invoiceId };
    });
    if (invoiceId) await this.invoices.collect(invoiceId);
    return this.store.view(subscription.id, { userId: user.userId });
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
    let finalInvoice: string | null = null;
    const view = await this.store.mutate(
      subscriptionId,
      owner,
      context,
      async (manager, subscription, now) => {
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
        // The usage so far (not a trial's) is billed on a final invoice, once.
        const usage = await closedUsageUpTo(
          this.usage,
          manager,
          subscription,
          'cancel',
          now,
          usageInvoiceKey(subscription.id, 'final', now),
        );
        if (usage.length > 0) {
          const [invoice] = await this.invoices.issue(
            manager,
            subscription,
            { currency: subscription.currency },
            'subscription_cycle',
            { start: usage[0].periodStart ?? now, end: subscription.pausedAt ?? now },
            usage,
            usageInvoiceKey(subscription.id, 'final', now),
            { newPeriod: false },
          );
          subscription.latestInvoiceId = invoice.id;
          if (invoice.status === 'open') finalInvoice = invoice.id;
        }
        // Only a paid, running period has unused time to give back (not a trial, not a past-due one).
        if (creditUnusedTime && subscription.status === 'active') {
          await this.unusedTime.creditCancellation(manager, subscription, now);
        }
        subscription.status = 'canceled';
        subscription.canceledAt = now;
        subscription.endedAt = now;
        subscription.scheduledChange = null;
        // A subscription that ends stops its dunning: nothing is retried for it any more.
        await this.dunning.closeForSubscription(manager, subscription.id, now);
        return { change: 'status_changed', action: 'subscription.canceled' };
      },
    );
    if (finalInvoice) await this.invoices.collect(finalInvoice);
    return finalInvoice ? this.store.view(subscriptionId, owner) : view;
  }

  /**
   * Staff only: the trialing subscription's trial lasts `trialDays` from its start instead of the
   * plan's (longer or shorter), audited with the staff member and the reason. The trial period ends,
   * and the first invoice comes, at the new trial end.
   */
  async grantTrial(
    subscriptionId: string,
    { trialDays, reason }: { trialDays: number; reason: string },
    context: RequestContext,
  ): Promise<SubscriptionView> {
    const staff = actorReference(context.actor).id;
    return this.store.mutate(subscriptionId, 'staff', context, async (manager, subscription, now) => {
      const granted = grantedTrialEnd({
        status: subscription.status,
        trialStart: subscription.currentPeriodStart,
        days: trialDays,
        now,
      });
      if (!granted.ok) throw new ConflictError(`subscription ${subscription.id}: ${granted.message}`);
      const before = subscription.trialEnd ?? subscription.currentPeriodEnd;
      subscription.trialEnd = granted.trialEnd;
      subscription.trialGrantedBy = staff;
      // With a billing anchor day, billing after the trial still starts on it (a prorated stub first).
      subscription.billingAnchor = anchorAfterTrial(granted.trialEnd, subscription.billingAnchorDay);
      subscription.currentPeriodEnd = granted.trialEnd;
      await manager.update(
        Subscription,
        { id: subscription.id },
        { trialEnd: granted.trialEnd, trialGrantedBy: staff },
      );
      // The grant itself, with its reason (the change's own row shows the subscription before/after).
      await this.audit.record(manager, context, {
        action: 'subscription.trial_granted',
        resourceType: 'subscription',
        resourceId: subscription.id,
        before: { trialEnd: before.toISOString() },
        after: { trialDays, trialEnd: granted.trialEnd.toISOString(), reason, grantedBy: staff },
      });
      return { change: 'trial_changed', action: 'subscription.trial_changed' };
    });
  }

  /**
   * A true pause (policy in docs/api.md, "Pausing a subscription"): no period is invoiced while
   * paused, usage so far closes now and goes on the resume's invoice, entitlements answer
   * `subscription_paused`, and invoices already issued are still collected. Staff give a reason,
   * kept in the audit row. A subscription whose cancellation is scheduled cannot be paused: the
   * billing run never reaches a paused one's period end, so the cancellation would never happen.
   */
  async pause(
    subscriptionId: string,
    owner: SubscriptionOwner,
    context: RequestContext,
    reason?: string,
  ): Promise<SubscriptionView> {
    return this.store.mutate(subscriptionId, owner, context, async (manager, subscription, now) => {
      assertTransition(subscription.id, subscription.status, 'paused');
      if (subscription.cancelAtPeriodEnd) {
        throw new ConflictError(
          `subscription ${subscription.id} is set to cancel at its period end (${subscription.currentPeriodEnd.toISOString()}): reactivate it or cancel it now instead of pausing`,
          'INVALID_TRANSITION',
          [
            {
              field: 'cancelAtPeriodEnd',
              message: 'a subscription canceling at period end cannot be paused',
            },
          ],
        );
      }
      // The usage so far closes here: it is billed on the next invoice (the resume's).
      await closedUsageUpTo(this.usage, manager, subscription, 'pause', now);
      subscription.status = 'paused';
      subscription.pausedAt = now;
      return { change: 'status_changed', action: 'subscription.paused', reason };
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
    reason?: string,
  ): Promise<SubscriptionView> {
    let toCollect: string | null = null;
    const view = await this.store.mutate(
      subscriptionId,
      owner,
      context,
      async (manager, subscription, now) => {
        assertStatusFor('resume', subscription.id, subscription.status, ['paused']);
        assertTransition(subscription.id, subscription.status, 'active');
        const overlap = await this.unusedTime.resumeCredit(manager, subscription, now);
        // The usage the pause closed goes on this invoice (its key is the new period's).
        const usage = await closedUsageUpTo(
          this.usage,
          manager,
          subscription,
          'pause',
          now,
          renewalInvoiceKey(subscription.id, now),
        );
        toCollect = await this.invoices.startFreshPeriod(manager, subscription, now, [
          ...(overlap ? [overlap] : []),
          ...usage,
        ]);
        return { change: 'status_changed', action: 'subscription.resumed', reason };
      },
    );
    if (toCollect) await this.invoices.collect(toCollect);
    return toCollect ? this.store.view(subscriptionId, owner) : view;
  }
}

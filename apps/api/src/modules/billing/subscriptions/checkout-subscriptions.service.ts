import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { addBillingIntervals } from '@astrix/pricing';
import type { RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { AppError, ConflictError } from '../../../platform/http/app-error';
import { newId } from '../../../platform/ids';
import { Price } from '../catalog/price.entity';
import type { Product } from '../catalog/product.entity';
import type { CheckoutSession } from '../checkout/checkout-session.entity';
import { CustomersService } from '../customers/customers.service';
import { renewalInvoiceKey } from './renewal';
import { SubscriptionStore } from './subscription-store.service';
import { Subscription } from './subscription.entity';

/** The first period a checkout pays for, decided before its payment is recorded. */
export interface CheckoutSubscriptionPeriod {
  subscriptionId: string;
  start: Date;
  end: Date;
  /** The key of the period's invoice (the checkout's receipt), as the billing run would key it. */
  idempotencyKey: string;
}

/** The lock `SubscriptionLifecycle.create` takes too: subscribing and buying a plan at checkout queue. */
export async function lockSubscribing(
  manager: EntityManager,
  customerId: string,
  productId: string,
): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
    `subscribe:${customerId}:${productId}`,
  ]);
}

/**
 * Subscriptions sold through checkout: the checkout payment pays the first period (its receipt is
 * that period's invoice), the card is kept for renewals, and from then on the subscription renews
 * through the billing run like any other. No trial: the trader chose to pay now.
 */
@Injectable()
export class CheckoutSubscriptions {
  private readonly logger = new Logger(CheckoutSubscriptions.name);

  constructor(
    private readonly store: SubscriptionStore,
    private readonly customers: CustomersService,
    private readonly clock: Clock,
  ) {}

  /**
   * At checkout, inside its transaction: the plan must have a recurring price in the currency and the
   * customer no live subscription to it (one live subscription per plan, as when subscribing).
   */
  async assertCanBuy(
    manager: EntityManager,
    customerId: string,
    product: Pick<Product, 'id'>,
    price: Pick<Price, 'currency' | 'recurringInterval'>,
  ): Promise<void> {
    if (!price.recurringInterval) {
      throw new AppError(
        422,
        'UNPROCESSABLE',
        `plan ${product.id} has no recurring price in ${price.currency}`,
        [{ field: 'currency', message: `no recurring price in ${price.currency}` }],
      );
    }
    await lockSubscribing(manager, customerId, product.id);
    const live: Array<{ id: string }> = await manager.query(
      `SELECT id FROM billing.subscriptions WHERE customer_id = $1 AND product_id = $2 AND status <> 'canceled' LIMIT 1`,
      [customerId, product.id],
    );
    if (live.length > 0) {
      throw new ConflictError(`customer already has subscription ${live[0].id} to plan ${product.id}`);
    }
  }

  /** The period a paid checkout of a plan buys, starting now; null when the product is no plan. */
  async firstPeriod(
    manager: EntityManager,
    session: CheckoutSession,
    product: Pick<Product, 'kind'>,
  ): Promise<CheckoutSubscriptionPeriod | null> {
    if (product.kind !== 'subscription') return null;
    const price = await this.priceOf(manager, session);
    const subscriptionId = newId('sub');
    const start = this.clock.now();
    const end = addBillingIntervals(start, price.recurringInterval, price.recurringIntervalCount ?? 1);
    return { subscriptionId, start, end, idempotencyKey: renewalInvoiceKey(subscriptionId, start) };
  }

  /**
   * The subscription a paid checkout bought, in the payment's transaction (which holds the session's
   * lock and has recorded the charge and its receipt): active, its first period paid by `receiptId`,
   * the card it was paid with kept for renewals when the customer has no default yet.
   */
  async createFromCheckout(
    manager: EntityManager,
    input: {
      session: CheckoutSession;
      period: CheckoutSubscriptionPeriod;
      chargeId: string;
      receiptInvoiceId: string;
      paymentMethodId: string | null;
    },
    context: RequestContext,
  ): Promise<Subscription | null> {
    const { session, period } = input;
    if (session.couponId !== null && !(await this.couponRedeemed(manager, input.chargeId))) {
      // The coupon was refused at payment: the payment is refunded, so it starts no subscription.
      this.logger.warn(`checkout session ${session.id}: coupon refused at payment, no subscription started`);
      return null;
    }
    const price = await this.priceOf(manager, session);
    await lockSubscribing(manager, session.customerId, session.productId);
    const now = this.clock.now();
    const subscription = manager.create(Subscription, {
      id: period.subscriptionId,
      customerId: session.customerId,
      userId: session.userId,
      productId: session.productId,
      priceId: price.id,
      currency: price.currency,
      unitAmount: price.unitAmount,
      quantity: 1,
      status: 'active',
      interval: price.recurringInterval,
      intervalCount: price.recurringIntervalCount ?? 1,
      billingAnchor: period.start,
      trialEnd: null,
      currentPeriodStart: period.start,
      currentPeriodEnd: period.end,
      cancelAtPeriodEnd: false,
      canceledAt: null,
      endedAt: null,
      pausedAt: null,
      scheduledChange: null,
      // A checkout coupon discounted the purchase it was redeemed on, not later periods.
      couponId: null,
      couponPeriodsBilled: 0,
      latestInvoiceId: input.receiptInvoiceId,
      createdAt: now,
      updatedAt: now,
    });
    await manager.insert(Subscription, { ...subscription });
    if (input.paymentMethodId) {
      const adopted = await this.customers.adoptDefaultPaymentMethod(
        manager,
        session.customerId,
        input.paymentMethodId,
      );
      if (!adopted) {
        this.logger.log(
          `subscription ${subscription.id} renews on customer ${session.customerId}'s existing default card`,
        );
      }
    } else {
      this.logger.warn(`subscription ${subscription.id} was paid without a card to renew it with`);
    }
    await this.store.recordChange(manager, context, subscription, null, 'created', 'subscription.created');
    return subscription;
  }

  private async couponRedeemed(manager: EntityManager, chargeId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      'SELECT 1 FROM billing.coupon_redemptions WHERE charge_id = $1 LIMIT 1',
      [chargeId],
    );
    return rows.length > 0;
  }

  private async priceOf(
    manager: EntityManager,
    session: CheckoutSession,
  ): Promise<Price & { recurringInterval: NonNullable<Price['recurringInterval']> }> {
    const price = await manager.findOneOrFail(Price, { where: { id: session.priceId } });
    if (!price.recurringInterval) {
      throw new Error(`checkout session ${session.id} bought plan price ${price.id}, which does not recur`);
    }
    return price as Price & { recurringInterval: NonNullable<Price['recurringInterval']> };
  }
}

import type { EntityManager } from 'typeorm';
import type { SubscriptionStatus } from '@astrix/contracts';
import type { Subscription } from '../subscriptions/subscription.entity';

/**
 * What collection asks of subscriptions when a payment or dunning moves a subscription: collection
 * decides the status (paid → active; failures → past_due, then paused or canceled), subscriptions
 * writes its row. Subscriptions implements it; collection never writes subscriptions itself (and a
 * port keeps collection from depending on the subscriptions services that depend on it).
 */
export abstract class SubscriptionStatusPort {
  /**
   * Inside the caller's transaction, which holds the subscription's lock: the new status with the
   * times that go with it (canceled and ended, or paused). Returns the subscription as it now is;
   * events and audit rows stay the caller's.
   */
  abstract moveByCollection(
    manager: EntityManager,
    subscription: Subscription,
    status: SubscriptionStatus,
    at: Date,
  ): Promise<Subscription>;
}

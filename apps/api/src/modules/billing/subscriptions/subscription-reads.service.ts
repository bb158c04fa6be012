import { Injectable } from '@nestjs/common';
import { LessThan } from 'typeorm';
import type { Page, SubscriptionView } from '@astrix/contracts';
import { toPage } from '../../../platform/http/pagination';
import { SubscriptionStore, type SubscriptionOwner } from './subscription-store.service';
import { Subscription } from './subscription.entity';
import { toSubscriptionView } from './subscription-views';

/** Subscriptions as their owners and staff see them. */
@Injectable()
export class SubscriptionReads {
  constructor(private readonly store: SubscriptionStore) {}

  async list(
    owner: SubscriptionOwner,
    page: { limit: number; cursor?: string },
  ): Promise<Page<SubscriptionView>> {
    const scope = owner === 'staff' ? {} : { userId: owner.userId };
    const rows = await this.store.manager.getRepository(Subscription).find({
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
    const rows = await this.store.manager.getRepository(Subscription).find({
      where: page.cursor ? { customerId, id: LessThan(page.cursor) } : { customerId },
      order: { id: 'DESC' },
      take: page.limit + 1,
    });
    return toPage(rows, page.limit, toSubscriptionView);
  }

  get(subscriptionId: string, owner: SubscriptionOwner): Promise<SubscriptionView> {
    return this.store.view(subscriptionId, owner);
  }
}

import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../../platform/auth/actor';
import type { Invoice } from '../invoicing/invoice.entity';
import { Subscription } from '../subscriptions/subscription.entity';

export const COLLECTION_ACTOR: RequestContext = {
  actor: { kind: 'system', name: 'collection' },
  requestId: null,
};

export type CollectionOutcome = 'paid' | 'requires_action' | 'failed' | 'pending' | 'skipped';

export interface PaymentFailure {
  code: string | null;
  message: string | null;
}

/** The invoice's subscription, locked for the rest of the transaction (null for other invoices). */
export function lockedSubscriptionOf(manager: EntityManager, invoice: Invoice): Promise<Subscription | null> {
  if (!invoice.subscriptionId) return Promise.resolve(null);
  return manager.findOne(Subscription, {
    where: { id: invoice.subscriptionId },
    lock: { mode: 'pessimistic_write' },
  });
}

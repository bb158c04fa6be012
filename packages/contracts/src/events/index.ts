import type { EventEnvelope } from './envelope';
import type { AccountsEventDataByType } from './accounts';
import type { BillingEventDataByType } from './billing';
import type { PayoutsEventDataByType } from './payouts';
import type { PlatformEventDataByType } from './platform';
import type { UsageEventDataByType } from './usage';

export type { EventEnvelope } from './envelope';
export type * from './platform';
export type * from './billing';
export type * from './accounts';
export type * from './payouts';
export type * from './usage';

/** Every event type the platform emits, mapped to its `data` payload. Contexts add theirs here. */
export type EventDataByType = PlatformEventDataByType &
  BillingEventDataByType &
  AccountsEventDataByType &
  PayoutsEventDataByType &
  UsageEventDataByType;
export type EventType = keyof EventDataByType;
export type AstrixEvent<T extends EventType = EventType> = {
  [K in T]: EventEnvelope<K, EventDataByType[K]>;
}[T];

/** Current schema version per event type. */
export const EVENT_VERSIONS: { readonly [K in EventType]: number } = {
  'platform.api_key.created': 1,
  'platform.api_key.revoked': 1,
  'platform.webhook_endpoint.disabled': 1,
  'billing.payment.completed': 2,
  'billing.payment.failed': 2,
  'billing.refund.processed': 1,
  'billing.payment.duplicate_refunded': 1,
  'billing.payment.coupon_refused': 1,
  'billing.subscription.updated': 1,
  'billing.invoice.finalized': 1,
  'billing.invoice.paid': 1,
  'billing.invoice.payment_failed': 1,
  'billing.invoice.payment_action_required': 1,
  'billing.invoice.voided': 1,
  'billing.invoice.regenerated': 1,
  'billing.invoice.marked_uncollectible': 1,
  'billing.fraud.flagged': 1,
  'billing.dispute.created': 1,
  'billing.dispute.updated': 1,
  'billing.dispute.closed': 1,
  'billing.receipt.resend_requested': 1,
  'billing.reconciliation.completed': 1,
  'accounts.account.state_changed': 1,
  'payouts.payout.requested': 1,
  'payouts.payout.approved': 1,
  'payouts.payout.rejected': 1,
  'payouts.payout.paid': 1,
  'payouts.payout.failed': 1,
  'payouts.fee_refund.failed': 1,
  'payouts.payout_task.resolved': 1,
  'billing.usage.threshold_reached': 1,
};

export const EVENT_TYPES = Object.keys(EVENT_VERSIONS) as EventType[];

/**
 * Who may see an event of a type, part of the type's definition (a new type does not compile
 * without one):
 * - `trader`: the trader it concerns (their event history and live stream), staff and services;
 * - `staff`: staff (the admin event history) and services, never the trader it concerns
 *   (fraud flags, disputes and what they cost, write-offs, internal failures);
 * - `service`: requests to sibling services (e.g. send a receipt again); staff see them too.
 * Webhook endpoints are set up by staff for services and may subscribe to any type.
 */
export type EventAudience = 'trader' | 'staff' | 'service';

export const EVENT_AUDIENCES: { readonly [K in EventType]: EventAudience } = {
  'platform.api_key.created': 'staff',
  'platform.api_key.revoked': 'staff',
  'platform.webhook_endpoint.disabled': 'staff',
  'billing.payment.completed': 'trader',
  'billing.payment.failed': 'trader',
  'billing.refund.processed': 'trader',
  'billing.payment.duplicate_refunded': 'trader',
  'billing.payment.coupon_refused': 'trader',
  'billing.subscription.updated': 'trader',
  'billing.invoice.finalized': 'trader',
  'billing.invoice.paid': 'trader',
  'billing.invoice.payment_failed': 'trader',
  'billing.invoice.payment_action_required': 'trader',
  'billing.invoice.voided': 'trader',
  'billing.invoice.regenerated': 'trader',
  'billing.invoice.marked_uncollectible': 'staff',
  'billing.fraud.flagged': 'staff',
  'billing.dispute.created': 'staff',
  'billing.dispute.updated': 'staff',
  'billing.dispute.closed': 'staff',
  'billing.receipt.resend_requested': 'service',
  'billing.reconciliation.completed': 'staff',
  'accounts.account.state_changed': 'trader',
  'payouts.payout.requested': 'trader',
  'payouts.payout.approved': 'trader',
  'payouts.payout.rejected': 'trader',
  'payouts.payout.paid': 'trader',
  'payouts.payout.failed': 'trader',
  'payouts.fee_refund.failed': 'staff',
  'payouts.payout_task.resolved': 'staff',
  'billing.usage.threshold_reached': 'trader',
};

/** The event types the trader they concern may see in their history and stream. */
export const TRADER_EVENT_TYPES: readonly EventType[] = EVENT_TYPES.filter(
  (type) => EVENT_AUDIENCES[type] === 'trader',
);

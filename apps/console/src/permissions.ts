/**
 * What each staff role may do, as the API's @Roles declarations say (docs/api.md). The console only
 * offers what the role allows; the API still decides every request. `admin` may do everything.
 */
export const STAFF_ROLES = ['support', 'finance', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

const SUPPORT_AND_FINANCE: readonly StaffRole[] = ['support', 'finance'];

export const PERMISSIONS = {
  'customers.read': SUPPORT_AND_FINANCE,
  'accounts.read': ['support'],
  'entitlements.read': ['support'],
  'charge.refund': SUPPORT_AND_FINANCE,
  'invoice.creditNote': ['finance'],
  'invoice.void': ['finance'],
  'invoice.regenerate': ['finance'],
  'invoice.pdf': SUPPORT_AND_FINANCE,
  'invoice.retryPayment': SUPPORT_AND_FINANCE,
  'invoice.dunning': SUPPORT_AND_FINANCE,
  'subscription.cancel': SUPPORT_AND_FINANCE,
  'subscription.trial': SUPPORT_AND_FINANCE,
  'subscription.pause': SUPPORT_AND_FINANCE,
  'customer.credit': SUPPORT_AND_FINANCE,
  'account.suspend': ['support'],
  'events.read': SUPPORT_AND_FINANCE,
  'account.releaseHold': ['support'],
  'customer.block': SUPPORT_AND_FINANCE,
  'fraud.review': SUPPORT_AND_FINANCE,
  'payouts.review': ['finance'],
  'billingRuns.read': SUPPORT_AND_FINANCE,
  'billingRuns.start': ['finance'],
  'stripeEvents.replay': SUPPORT_AND_FINANCE,
  'reports.read': ['finance'],
  'apiKeys.manage': ['admin'],
  'webhooks.manage': ['admin'],
} as const satisfies Record<string, readonly StaffRole[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(roles: readonly StaffRole[], permission: Permission): boolean {
  if (roles.includes('admin')) return true;
  const allowed: readonly StaffRole[] = PERMISSIONS[permission];
  return roles.some((role) => allowed.includes(role));
}

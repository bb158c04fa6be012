import type { AccountKind, AccountStatus } from '@astrix/contracts';

export const ACCOUNT_STATUSES = [
  'provisioning',
  'active',
  'passed',
  'failed',
  'breached',
  'funded',
  'suspended',
  'closed',
  'on_hold',
] as const satisfies readonly AccountStatus[];

type Transitions = { readonly [From in AccountStatus]: readonly AccountStatus[] };

/**
 * Every allowed status change, per kind. An evaluation that passes its last phase becomes funded
 * (and its kind with it); failed and breached evaluations return to active only through a reset.
 * `closed` is reachable from every live state: the trading platform closes abandoned or canceled
 * accounts (which the cooling-off refund depends on), not only funded ones.
 */
export const TRANSITIONS: { readonly [Kind in AccountKind]: Transitions } = {
  evaluation: {
    provisioning: ['active', 'on_hold'],
    on_hold: ['active', 'closed'],
    active: ['passed', 'failed', 'breached', 'suspended', 'closed'],
    passed: ['active', 'funded', 'closed'],
    failed: ['active', 'closed'],
    breached: ['active', 'closed'],
    suspended: ['active', 'closed'],
    funded: [],
    closed: [],
  },
  funded: {
    provisioning: ['funded', 'on_hold'],
    on_hold: ['funded', 'closed'],
    funded: ['suspended', 'closed'],
    suspended: ['funded', 'closed'],
    active: [],
    passed: [],
    failed: [],
    breached: [],
    closed: [],
  },
};

export type TransitionCheck = { ok: true } | { ok: false; allowed: readonly AccountStatus[] };

/** The one rule for status changes: allowed, or refused with what would have been allowed. */
export function checkTransition(kind: AccountKind, from: AccountStatus, to: AccountStatus): TransitionCheck {
  const allowed = TRANSITIONS[kind][from];
  return allowed.includes(to) ? { ok: true } : { ok: false, allowed };
}

/** Where an account goes when it starts trading, is released from a hold or reinstated. */
export function tradingStatus(kind: AccountKind): 'active' | 'funded' {
  return kind === 'funded' ? 'funded' : 'active';
}

/** Statuses from which a reset may be bought (evaluations only; a funded account never). */
export const RESETTABLE_STATUSES: readonly AccountStatus[] = ['active', 'failed', 'breached'];

/** Why an account cannot be reset now, or null when it can. */
export function resetRefusal(
  account: { kind: AccountKind; status: AccountStatus; resetCount: number },
  maxResets: number | null,
): string | null {
  if (account.kind !== 'evaluation') return 'funded accounts cannot be reset';
  if (!RESETTABLE_STATUSES.includes(account.status))
    return `an account in status ${account.status} cannot be reset; only ${RESETTABLE_STATUSES.join(', ')} evaluations can`;
  if (maxResets !== null && account.resetCount >= maxResets)
    return `this account has been reset ${account.resetCount} times, the most allowed`;
  return null;
}

import type { AccountStateChangedData, AccountStatusChangeView, AccountView } from '@astrix/contracts';
import type { Account } from './account.entity';
import type { AccountStatusChange } from './account-status-change.entity';

export function toStatusChangeView(change: AccountStatusChange): AccountStatusChangeView {
  return {
    from: change.fromStatus,
    to: change.toStatus,
    reason: change.reason,
    actor: change.actor,
    occurredAt: change.occurredAt.toISOString(),
  };
}

export function toAccountView(account: Account, history?: AccountStatusChange[]): AccountView {
  return {
    id: account.id,
    userId: account.userId,
    kind: account.kind,
    status: account.status,
    size: account.size,
    currency: account.currency,
    phase: account.phase,
    phases: account.phases,
    startingBalance: account.startingBalance,
    rules: account.rules,
    productId: account.productId,
    chargeId: account.chargeId,
    resetCount: account.resetCount,
    firstTradeAt: account.firstTradeAt?.toISOString() ?? null,
    createdAt: account.createdAt.toISOString(),
    updatedAt: account.updatedAt.toISOString(),
    ...(history ? { history: history.map(toStatusChangeView) } : {}),
  };
}

export function toStateChangedData(account: Account, change: AccountStatusChange): AccountStateChangedData {
  return {
    accountId: account.id,
    userId: account.userId,
    kind: account.kind,
    from: change.fromStatus,
    to: change.toStatus,
    reason: change.reason,
    occurredAt: change.occurredAt.toISOString(),
    chargeId: account.chargeId,
    phase: account.phase,
    resetCount: account.resetCount,
    firstTradeAt: account.firstTradeAt?.toISOString() ?? null,
    createdAt: account.createdAt.toISOString(),
  };
}

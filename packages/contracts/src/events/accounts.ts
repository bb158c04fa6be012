/** Events produced by the accounts context. */
export type AccountKind = 'evaluation' | 'funded';
export type AccountStatus =
  | 'provisioning'
  | 'active'
  | 'passed'
  | 'failed'
  | 'breached'
  | 'funded'
  | 'suspended'
  | 'closed'
  | 'on_hold';

export interface AccountStateChangedData {
  accountId: string;
  userId: string;
  kind: AccountKind;
  /** null when the account was just created. */
  from: AccountStatus | null;
  to: AccountStatus;
  reason: string;
  occurredAt: string;
  /** The charge that bought the account. */
  chargeId: string;
  phase: number;
  resetCount: number;
  /** When the trader first traded on it, as reported by the trading platform; null if never. */
  firstTradeAt: string | null;
  createdAt: string;
}

export interface AccountsEventDataByType {
  'accounts.account.state_changed': AccountStateChangedData;
}

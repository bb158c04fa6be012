import { abs, isNegative, type Money } from '@astrix/pricing';
import type { LedgerAccountCode, RevenueKind } from '../chart-of-accounts';
import type { JournalLineDraft } from '../journal.service';

/**
 * A line on `side` of `account` for `amount`; a negative amount lands on the other side (a proration
 * credit debits the revenue account its line would have credited). Zero lines are dropped by the journal.
 */
export function line(
  account: LedgerAccountCode,
  side: 'debit' | 'credit',
  amount: Money,
  extra: { productKind?: RevenueKind | null; customerId?: string | null } = {},
): JournalLineDraft {
  const onSide = isNegative(amount) ? (side === 'debit' ? 'credit' : 'debit') : side;
  const units = abs(amount).amountMinor;
  return {
    account,
    currency: amount.currency,
    ...(onSide === 'debit' ? { debit: units } : { credit: units }),
    ...extra,
  };
}

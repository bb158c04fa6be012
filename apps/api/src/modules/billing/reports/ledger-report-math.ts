import type {
  AccountBalanceRow,
  StatementLineKind,
  TrialBalanceRow,
  TrialBalanceTotals,
} from '@astrix/contracts';
import { add, type Money, isPositive, negate, normalBalance, subtract, zero } from '@astrix/pricing';
import { CHART_OF_ACCOUNTS } from '../ledger/chart-of-accounts';
import type { LedgerSourceType } from '../ledger/journal-entry.entity';
import { storedMoney } from '../money';

/**
 * The pure half of the ledger reports: the database sums debits and credits per account and
 * currency (set-based, one pass over the journal lines); these functions turn the sums into
 * balances and totals with @astrix/pricing.
 */

/** Debits and credits of one account in one currency, as the database sums them (bigint text). */
export interface AccountSums {
  readonly account: string;
  readonly currency: string;
  readonly debits: number | string;
  readonly credits: number | string;
}

/** An account of the chart as the reports show it. */
export interface AccountHeading {
  readonly code: string;
  readonly name: string;
  readonly type: string;
  readonly normalSide: 'debit' | 'credit';
}

const CHART_ORDER = new Map<string, number>(CHART_OF_ACCOUNTS.map((account, index) => [account.code, index]));

/** Chart order (assets, liabilities, income, contra income, expenses), then currency. */
function byChartThenCurrency(a: AccountSums, b: AccountSums): number {
  const order = (code: string) => CHART_ORDER.get(code) ?? Number.MAX_SAFE_INTEGER;
  return (
    order(a.account) - order(b.account) ||
    a.account.localeCompare(b.account) ||
    a.currency.localeCompare(b.currency)
  );
}

/** Balance of the sums on the account's normal side. */
export function accountBalance(sums: AccountSums, normalSide: 'debit' | 'credit'): AccountBalanceRow {
  const debits = storedMoney(sums.debits, sums.currency).amountMinor;
  const credits = storedMoney(sums.credits, sums.currency).amountMinor;
  return { currency: sums.currency, debits, credits, balance: normalBalance(debits, credits, normalSide) };
}

/**
 * A trial balance from the sums of every account and currency: each account's net balance in the
 * debit or the credit column, and per currency the totals of both columns, which are equal when
 * every entry balanced (`balanced`).
 */
export function trialBalanceOf(
  sums: readonly AccountSums[],
  headings: ReadonlyMap<string, AccountHeading>,
): { rows: TrialBalanceRow[]; totals: TrialBalanceTotals[]; balanced: boolean } {
  const rows = [...sums].sort(byChartThenCurrency).map((row): TrialBalanceRow => {
    const heading = headings.get(row.account) ?? {
      code: row.account,
      name: row.account,
      type: 'unknown',
      normalSide: 'debit' as const,
    };
    const { debits, credits, balance } = accountBalance(row, heading.normalSide);
    const net = subtract(storedMoney(debits, row.currency), storedMoney(credits, row.currency));
    return {
      account: row.account,
      name: heading.name,
      type: heading.type,
      normalSide: heading.normalSide,
      currency: row.currency,
      debits,
      credits,
      balance,
      debitBalance: isPositive(net) ? net.amountMinor : 0,
      creditBalance: isPositive(net) ? 0 : negate(net).amountMinor,
    };
  });

  const byCurrency = new Map<
    string,
    { debits: Money; credits: Money; debitBalance: Money; creditBalance: Money }
  >();
  for (const row of rows) {
    const amount = (value: number) => storedMoney(value, row.currency);
    const empty = zero(amount(0).currency);
    const total = byCurrency.get(row.currency) ?? {
      debits: empty,
      credits: empty,
      debitBalance: empty,
      creditBalance: empty,
    };
    byCurrency.set(row.currency, {
      debits: add(total.debits, amount(row.debits)),
      credits: add(total.credits, amount(row.credits)),
      debitBalance: add(total.debitBalance, amount(row.debitBalance)),
      creditBalance: add(total.creditBalance, amount(row.creditBalance)),
    });
  }
  const totals = [...byCurrency]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, total]): TrialBalanceTotals => ({
      currency,
      debits: total.debits.amountMinor,
      credits: total.credits.amountMinor,
      debitBalance: total.debitBalance.amountMinor,
      creditBalance: total.creditBalance.amountMinor,
      balanced:
        total.debits.amountMinor === total.credits.amountMinor &&
        total.debitBalance.amountMinor === total.creditBalance.amountMinor,
    }));
  return { rows, totals, balanced: totals.every((total) => total.balanced) };
}

/** What an entry did to the customer's account, from its source, event and whether it reverses another. */
export function statementLineKind(
  sourceType: LedgerSourceType,
  event: string,
  reversal: boolean,
): StatementLineKind {
  if (reversal) return sourceType === 'invoice' ? 'voided' : 'reversed';
  switch (sourceType) {
    case 'invoice':
      if (event.endsWith('.finalized')) return 'billed';
      if (event.endsWith('.voided')) return 'voided';
      if (event.endsWith('.written_off')) return 'written_off';
      // e.g. invoice.write_off_recovered: the write-off undone when the invoice is paid late.
      return 'adjustment';
    case 'charge':
      return 'paid';
    case 'credit_note':
      return 'credited';
    case 'customer_balance_transaction':
      if (event.endsWith('.applied')) return 'credit_applied';
      if (event.endsWith('.restored')) return 'credit_restored';
      if (event.endsWith('.credited')) return 'credited';
      return 'adjustment';
    case 'refund':
      return event.endsWith('.settled') ? 'refunded' : 'reversed';
    case 'dispute':
      return 'disputed';
    case 'trader_payout':
    case 'processor_balance_transaction':
    case 'processor_payout':
    case 'journal_entry':
    case 'revenue_schedule':
      return 'adjustment';
  }
}

import type { EntityManager } from 'typeorm';
import type { LedgerAccountCode } from './chart-of-accounts';
import type { LedgerSourceType } from './journal-entry.entity';

/** What one account moved in one currency: its debits and credits. */
export interface LedgerAccountTotals {
  readonly account: LedgerAccountCode;
  readonly currency: string;
  readonly debits: number;
  readonly credits: number;
}

/**
 * Debits and credits per account and currency of the entries of one source type (reversals
 * included), read in the caller's transaction: another context compares its own records with what
 * the journal holds for them (payouts' ledger against the trader payout accounts). Read-only.
 */
export async function ledgerTotalsOfSource(
  manager: EntityManager,
  sourceType: LedgerSourceType,
  accounts: readonly LedgerAccountCode[],
): Promise<LedgerAccountTotals[]> {
  const rows: Array<{ account: LedgerAccountCode; currency: string; debits: string; credits: string }> =
    await manager.query(
      `SELECT l.account, l.currency, SUM(l.debit)::text AS debits, SUM(l.credit)::text AS credits
         FROM billing.journal_lines l JOIN billing.journal_entries e ON e.id = l.entry_id
        WHERE e.source_type = $1 AND l.account = ANY($2::text[])
        GROUP BY l.account, l.currency ORDER BY l.account, l.currency`,
      [sourceType, [...accounts]],
    );
  return rows.map((row) => ({
    account: row.account,
    currency: row.currency,
    debits: Number(row.debits),
    credits: Number(row.credits),
  }));
}

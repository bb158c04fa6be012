import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { BooksFinding } from '../books/books-findings';
import {
  entryWithoutSource,
  ledgerUnbalanced,
  moneyRowWithoutEntry,
  trialBalanceUnbalanced,
} from './ledger-findings';
import { LEDGER_SOURCE_RULES, type LedgerSourceRule } from './ledger-sources';
import { recognitionFindings } from './recognition/recognition-checks';

/** A source type or event as an SQL literal; they come from code, but are checked all the same. */
function literal(value: string): string {
  if (!/^[a-z_.]+$/.test(value)) throw new Error(`ledger source rule value ${value} is not a plain name`);
  return `'${value}'`;
}

/**
 * The books-check invariants of the journal, each one set-based statement: every entry balances
 * (and so the ledger, per currency), every money row has its entry, no entry lacks its source row
 * (unless a reversing entry cancelled it). Reads only.
 */
@Injectable()
export class LedgerChecks {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async findings(rules: readonly LedgerSourceRule[] = LEDGER_SOURCE_RULES): Promise<BooksFinding[]> {
    const results = await Promise.all([
      this.unbalancedEntries(),
      this.unbalancedLedger(),
      this.rowsWithoutEntry(rules),
      this.entriesWithoutSource(rules),
      recognitionFindings(this.dataSource),
    ]);
    return results.flat();
  }

  private async unbalancedEntries(): Promise<BooksFinding[]> {
    const rows: Array<{
      id: string;
      source_type: string;
      source_id: string;
      event: string;
      currency: string | null;
      debits: string | null;
      credits: string | null;
    }> = await this.dataSource.query(
      `SELECT e.id, e.source_type, e.source_id, e.event, t.currency, t.debits::text, t.credits::text
         FROM billing.journal_entries e
         LEFT JOIN (SELECT entry_id, currency, sum(debit) AS debits, sum(credit) AS credits
                      FROM billing.journal_lines GROUP BY entry_id, currency) t ON t.entry_id = e.id
        WHERE t.entry_id IS NULL OR t.debits <> t.credits`,
    );
    return rows.map((row) =>
      ledgerUnbalanced({
        entryId: row.id,
        sourceType: row.source_type,
        sourceId: row.source_id,
        event: row.event,
        currency: row.currency,
        debits: Number(row.debits ?? 0),
        credits: Number(row.credits ?? 0),
      }),
    );
  }

  private async unbalancedLedger(): Promise<BooksFinding[]> {
    const rows: Array<{ currency: string; debits: string; credits: string }> = await this.dataSource.query(
      `SELECT currency, sum(debit)::text AS debits, sum(credit)::text AS credits
         FROM billing.journal_lines GROUP BY currency HAVING sum(debit) <> sum(credit)`,
    );
    return rows.map((row) => trialBalanceUnbalanced(row.currency, Number(row.debits), Number(row.credits)));
  }

  private async rowsWithoutEntry(rules: readonly LedgerSourceRule[]): Promise<BooksFinding[]> {
    if (rules.length === 0) return [];
    const rows: Array<{
      rule: number;
      id: string;
      customer_id: string | null;
      currency: string;
      amount: string;
    }> = await this.dataSource.query(
      rules
        .map(
          (rule, index) =>
            `SELECT ${index} AS rule, r.id, r.customer_id, r.currency, r.amount::text AS amount
                 FROM (${rule.rows}) r
                WHERE NOT EXISTS (SELECT 1 FROM billing.journal_entries e
                                   WHERE e.source_type = ${literal(rule.sourceType)} AND e.source_id = r.id
                                     AND e.event = ${literal(rule.event)})`,
        )
        .join('\nUNION ALL\n'),
    );
    return rows.map((row) =>
      moneyRowWithoutEntry(rules[row.rule], {
        id: row.id,
        customerId: row.customer_id,
        currency: row.currency,
        amount: Number(row.amount),
      }),
    );
  }

  private async entriesWithoutSource(rules: readonly LedgerSourceRule[]): Promise<BooksFinding[]> {
    if (rules.length === 0) return [];
    const rows: Array<{ rule: number; id: string; source_id: string; currency: string; amount: string }> =
      await this.dataSource.query(
        `SELECT x.rule, x.id, x.source_id, COALESCE(t.currency, '') AS currency, COALESCE(t.amount, 0)::text AS amount
           FROM (${rules
             .map(
               (rule, index) =>
                 `SELECT ${index} AS rule, e.id, e.source_id FROM billing.journal_entries e
                   WHERE e.source_type = ${literal(rule.sourceType)} AND e.event = ${literal(rule.event)}
                     AND NOT EXISTS (SELECT 1 FROM (${rule.rows}) r WHERE r.id = e.source_id)
                     AND NOT EXISTS (SELECT 1 FROM billing.journal_entries rev WHERE rev.reverses_entry_id = e.id)`,
             )
             .join('\nUNION ALL\n')}) x
           CROSS JOIN LATERAL (SELECT min(l.currency) AS currency, sum(l.debit) AS amount
                                 FROM billing.journal_lines l WHERE l.entry_id = x.id) t`,
      );
    return rows.map((row) =>
      entryWithoutSource(rules[row.rule], {
        entryId: row.id,
        sourceId: row.source_id,
        currency: row.currency,
        amount: Number(row.amount),
      }),
    );
  }
}

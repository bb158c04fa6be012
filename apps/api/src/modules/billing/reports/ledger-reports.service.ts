import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type {
  AccountBalanceView,
  CustomerStatementCurrency,
  CustomerStatementLine,
  CustomerStatementView,
  TrialBalanceView,
} from '@astrix/contracts';
import { add, type Money, subtract, zero } from '@astrix/pricing';
import { AppError, NotFoundError } from '../../../platform/http/app-error';
import type { LedgerSourceType } from '../ledger/journal-entry.entity';
import { storedMoney } from '../money';
import {
  type AccountHeading,
  type AccountSums,
  accountBalance,
  statementLineKind,
  trialBalanceOf,
} from './ledger-report-math';

/** The two accounts that make up a customer's position with us: what they owe and what we hold. */
const RECEIVABLE = 'accounts_receivable';
const CUSTOMER_CREDIT = 'customer_credit';

export interface StatementQuery {
  customerId: string;
  from: Date;
  to: Date;
  currency?: string;
  limit: number;
  /** The entry id the previous page ended on. */
  cursor?: string;
}

interface PositionSums {
  currency: string;
  account: string;
  in_period: boolean;
  debits: string;
  credits: string;
}

interface StatementRow {
  entry_id: string;
  currency: string;
  occurred_at: Date;
  debit: string;
  credit: string;
  receivable_debit: string;
  receivable_credit: string;
  credit_debit: string;
  credit_credit: string;
  running_debits: string;
  running_credits: string;
  source_type: string;
  source_id: string;
  event: string;
  memo: string | null;
  reversal: boolean;
}

/**
 * Reads of the journal for finance: the trial balance at an instant, account balances and customer
 * statements. Read-only: nothing here writes (the journal's only writer is ledger/). Every figure is
 * one set-based query over `billing.journal_lines` (indexed on account, currency, occurred_at and on
 * customer, occurred_at); balances and totals are worked out with @astrix/pricing.
 */
@Injectable()
export class LedgerReports {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Every account's debits, credits and balance per currency from the entries that occurred before `at`. */
  async trialBalance(at: Date): Promise<TrialBalanceView> {
    const [sums, headings] = await Promise.all([
      this.dataSource.query(
        `SELECT account, currency, sum(debit)::text AS debits, sum(credit)::text AS credits
           FROM billing.journal_lines
          WHERE occurred_at < $1
          GROUP BY account, currency`,
        [at],
      ) as Promise<AccountSums[]>,
      this.headings(),
    ]);
    return { at: at.toISOString(), ...trialBalanceOf(sums, headings) };
  }

  /** One account's balance per currency before `at`, of one customer's lines when given. */
  async accountBalance(
    account: string,
    at: Date,
    options: { customerId?: string; currency?: string } = {},
  ): Promise<AccountBalanceView> {
    const heading = (await this.headings()).get(account);
    if (heading === undefined) throw new NotFoundError('ledger account', account.slice(0, 64));
    const sums = (await this.dataSource.query(
      `SELECT account, currency, sum(debit)::text AS debits, sum(credit)::text AS credits
         FROM billing.journal_lines
        WHERE account = $1 AND occurred_at < $2
          AND ($3::text IS NULL OR customer_id = $3) AND ($4::text IS NULL OR currency = $4)
        GROUP BY account, currency
        ORDER BY currency`,
      [account, at, options.customerId ?? null, options.currency ?? null],
    )) as AccountSums[];
    return {
      account: heading.code,
      name: heading.name,
      type: heading.type,
      normalSide: heading.normalSide,
      at: at.toISOString(),
      customerId: options.customerId ?? null,
      balances: sums.map((row) => accountBalance(row, heading.normalSide)),
    };
  }

  /**
   * A customer's statement over [from, to): per currency the opening balance (what they owed, or
   * held as credit, before `from`), one line per journal entry that touched their receivable or
   * credit balance with the running balance after it, and the closing balance; a page of lines at a
   * time, oldest first. Balance = receivable − credit held: positive, they owe us.
   */
  async customerStatement(query: StatementQuery): Promise<CustomerStatementView> {
    const customers = (await this.dataSource.query(`SELECT 1 FROM billing.customers WHERE id = $1`, [
      query.customerId,
    ])) as unknown[];
    if (customers.length === 0) throw new NotFoundError('customer', query.customerId);
    if (query.cursor !== undefined) await this.assertCursor(query);

    const currencies = await this.positions(query);
    const openings = new Map(currencies.map((position) => [position.currency, position.openingBalance]));
    const rows = (await this.dataSource.query(
      `WITH lines AS (
         SELECT l.entry_id, l.currency, min(l.occurred_at) AS occurred_at,
                sum(l.debit) AS debit, sum(l.credit) AS credit,
                coalesce(sum(l.debit) FILTER (WHERE l.account = $4), 0) AS receivable_debit,
                coalesce(sum(l.credit) FILTER (WHERE l.account = $4), 0) AS receivable_credit,
                coalesce(sum(l.debit) FILTER (WHERE l.account = $5), 0) AS credit_debit,
                coalesce(sum(l.credit) FILTER (WHERE l.account = $5), 0) AS credit_credit
           FROM billing.journal_lines l
          WHERE l.customer_id = $1 AND l.account IN ($4, $5)
            AND l.occurred_at >= $2 AND l.occurred_at < $3
            AND ($6::text IS NULL OR l.currency = $6)
          GROUP BY l.entry_id, l.currency
       ),
       running AS (
         SELECT lines.*,
                sum(debit) OVER position AS running_debits, sum(credit) OVER position AS running_credits
           FROM lines
         WINDOW position AS (PARTITION BY currency ORDER BY occurred_at, entry_id ROWS UNBOUNDED PRECEDING)
       ),
       page AS (
         SELECT DISTINCT occurred_at, entry_id FROM lines
          WHERE $7::text IS NULL
             OR (occurred_at, entry_id) > (SELECT e.occurred_at, e.id FROM billing.journal_entries e WHERE e.id = $7)
          ORDER BY occurred_at, entry_id
          LIMIT $8
       )
       SELECT r.entry_id, r.currency, r.occurred_at, r.debit::text, r.credit::text,
              r.receivable_debit::text, r.receivable_credit::text, r.credit_debit::text, r.credit_credit::text,
              r.running_debits::text, r.running_credits::text,
              e.source_type, e.source_id, e.event, e.memo, e.reverses_entry_id IS NOT NULL AS reversal
         FROM running r
         JOIN page p ON p.entry_id = r.entry_id
         JOIN billing.journal_entries e ON e.id = r.entry_id
        ORDER BY r.occurred_at, r.entry_id, r.currency`,
      [
        query.customerId,
        query.from,
        query.to,
        RECEIVABLE,
        CUSTOMER_CREDIT,
        query.currency ?? null,
        query.cursor ?? null,
        query.limit + 1,
      ],
    )) as StatementRow[];

    const entries = [...new Set(rows.map((row) => row.entry_id))];
    const hasMore = entries.length > query.limit;
    const kept = new Set(entries.slice(0, query.limit));
    const data = rows
      .filter((row) => kept.has(row.entry_id))
      .map((row) => statementLine(row, openings.get(row.currency) ?? 0));
    return {
      customerId: query.customerId,
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      currencies,
      data,
      nextCursor: hasMore ? entries[query.limit - 1] : null,
    };
  }

  /** Opening, movement and closing per currency from the sums before and inside the period. */
  private async positions(query: StatementQuery): Promise<CustomerStatementCurrency[]> {
    const sums = (await this.dataSource.query(
      `SELECT currency, account, occurred_at >= $2 AS in_period,
              sum(debit)::text AS debits, sum(credit)::text AS credits
         FROM billing.journal_lines
        WHERE customer_id = $1 AND account IN ($4, $5) AND occurred_at < $3
          AND ($6::text IS NULL OR currency = $6)
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3`,
      [query.customerId, query.from, query.to, RECEIVABLE, CUSTOMER_CREDIT, query.currency ?? null],
    )) as PositionSums[];
    const byCurrency = new Map<
      string,
      { opening: Money; debits: Money; credits: Money; receivable: Money; credit: Money }
    >();
    for (const row of sums) {
      const debits = storedMoney(row.debits, row.currency);
      const credits = storedMoney(row.credits, row.currency);
      const empty = zero(debits.currency);
      const position = byCurrency.get(row.currency) ?? {
        opening: empty,
        debits: empty,
        credits: empty,
        receivable: empty,
        credit: empty,
      };
      const net = subtract(debits, credits);
      byCurrency.set(row.currency, {
        opening: row.in_period ? position.opening : add(position.opening, net),
        debits: row.in_period ? add(position.debits, debits) : position.debits,
        credits: row.in_period ? add(position.credits, credits) : position.credits,
        receivable: row.account === RECEIVABLE ? add(position.receivable, net) : position.receivable,
        credit: row.account === CUSTOMER_CREDIT ? subtract(position.credit, net) : position.credit,
      });
    }
    return [...byCurrency].map(([currency, position]) => ({
      currency,
      openingBalance: position.opening.amountMinor,
      debits: position.debits.amountMinor,
      credits: position.credits.amountMinor,
      closingBalance: subtract(add(position.opening, position.debits), position.credits).amountMinor,
      closingReceivable: position.receivable.amountMinor,
      closingCredit: position.credit.amountMinor,
    }));
  }

  private async assertCursor(query: StatementQuery): Promise<void> {
    const found = (await this.dataSource.query(
      `SELECT 1 FROM billing.journal_lines WHERE entry_id = $1 AND customer_id = $2 LIMIT 1`,
      [query.cursor, query.customerId],
    )) as unknown[];
    if (found.length === 0) {
      throw new AppError(400, 'VALIDATION_ERROR', 'cursor must be the nextCursor of a previous page', [
        { field: 'cursor', message: 'must be the nextCursor of a previous page of this statement' },
      ]);
    }
  }

  /** The chart as data: the accounts journal lines reference. */
  private async headings(): Promise<Map<string, AccountHeading>> {
    const accounts = (await this.dataSource.query(
      `SELECT code, name, type, normal_side AS "normalSide" FROM billing.ledger_accounts`,
    )) as AccountHeading[];
    return new Map(accounts.map((account) => [account.code, account]));
  }
}

function statementLine(row: StatementRow, opening: number): CustomerStatementLine {
  const amount = (value: string | number) => storedMoney(value, row.currency);
  return {
    entryId: row.entry_id,
    occurredAt: new Date(row.occurred_at).toISOString(),
    kind: statementLineKind(row.source_type as LedgerSourceType, row.event, row.reversal),
    sourceType: row.source_type,
    sourceId: row.source_id,
    event: row.event,
    memo: row.memo,
    currency: row.currency,
    debit: amount(row.debit).amountMinor,
    credit: amount(row.credit).amountMinor,
    receivable: subtract(amount(row.receivable_debit), amount(row.receivable_credit)).amountMinor,
    customerCredit: subtract(amount(row.credit_credit), amount(row.credit_debit)).amountMinor,
    balance: subtract(add(amount(opening), amount(row.running_debits)), amount(row.running_credits))
      .amountMinor,
  };
}

import { stringify } from 'csv-stringify/sync';
import type { CustomerStatementCurrency, CustomerStatementLine, TrialBalanceView } from '@astrix/contracts';
import { money, parseCurrencyCode, toDecimalString } from '@astrix/pricing';

export const TRIAL_BALANCE_CSV_COLUMNS = [
  'account',
  'name',
  'type',
  'normal_side',
  'currency',
  'debits',
  'credits',
  'debit_balance',
  'credit_balance',
] as const;

export const STATEMENT_CSV_COLUMNS = [
  'occurred_at',
  'entry_id',
  'kind',
  'source_type',
  'source_id',
  'event',
  'currency',
  'debit',
  'credit',
  'balance',
  'memo',
] as const;

const decimal = (amount: number, currency: string): string =>
  toDecimalString(money(amount, parseCurrencyCode(currency)));

/** A trial balance line as text: the CSV's columns, amounts as decimals of their currency. */
export type TrialBalanceLine = Record<(typeof TRIAL_BALANCE_CSV_COLUMNS)[number], string>;

/**
 * One line per account and currency, then one `TOTAL` line per currency whose name says whether
 * it balanced; amounts as decimals of their currency (e.g. 299.00). The CSV and the CLI print these.
 */
export function trialBalanceLines(view: TrialBalanceView): TrialBalanceLine[] {
  return [
    ...view.rows.map((row) => ({
      account: row.account,
      name: row.name,
      type: row.type,
      normal_side: row.normalSide,
      currency: row.currency,
      debits: decimal(row.debits, row.currency),
      credits: decimal(row.credits, row.currency),
      debit_balance: decimal(row.debitBalance, row.currency),
      credit_balance: decimal(row.creditBalance, row.currency),
    })),
    ...view.totals.map((total) => ({
      account: 'TOTAL',
      name: total.balanced ? 'balanced' : 'NOT BALANCED',
      type: '',
      normal_side: '',
      currency: total.currency,
      debits: decimal(total.debits, total.currency),
      credits: decimal(total.credits, total.currency),
      debit_balance: decimal(total.debitBalance, total.currency),
      credit_balance: decimal(total.creditBalance, total.currency),
    })),
  ];
}

export function trialBalanceCsv(view: TrialBalanceView): string {
  return stringify(trialBalanceLines(view), {
    header: true,
    columns: [...TRIAL_BALANCE_CSV_COLUMNS],
    record_delimiter: 'windows',
  });
}

/**
 * A statement as a spreadsheet: per currency an `opening_balance` line, the entries with their
 * running balance, and a `closing_balance` line.
 */
export function statementCsv(
  view: { from: string; to: string; currencies: CustomerStatementCurrency[] },
  lines: readonly CustomerStatementLine[],
): string {
  const records = view.currencies.flatMap(({ currency, openingBalance, debits, credits, closingBalance }) => [
    [view.from, '', 'opening_balance', '', '', '', currency, '', '', decimal(openingBalance, currency), ''],
    ...lines
      .filter((line) => line.currency === currency)
      .map((line) => [
        line.occurredAt,
        line.entryId,
        line.kind,
        line.sourceType,
        line.sourceId,
        line.event,
        currency,
        decimal(line.debit, currency),
        decimal(line.credit, currency),
        decimal(line.balance, currency),
        line.memo ?? '',
      ]),
    [
      view.to,
      '',
      'closing_balance',
      '',
      '',
      '',
      currency,
      decimal(debits, currency),
      decimal(credits, currency),
      decimal(closingBalance, currency),
      '',
    ],
  ]);
  return stringify(records, {
    header: true,
    columns: [...STATEMENT_CSV_COLUMNS],
    record_delimiter: 'windows',
  });
}

import { stringify } from 'csv-stringify/sync';
import type { ReconciliationExceptionView, ReconciliationView } from '@astrix/contracts';
import { toDecimalString } from '@astrix/pricing';
import { storedMoney } from '../money';

export const RECONCILIATION_CSV_COLUMNS = [
  'reconciliation_id',
  'date',
  'exception_id',
  'kind',
  'status',
  'subject',
  'balance_transaction_id',
  'our_source_type',
  'our_source_id',
  'currency',
  'processor_amount',
  'our_amount',
  'message',
  'resolved_by',
  'resolution',
] as const;

const decimal = (amount: number | null, currency: string): string =>
  amount === null ? '' : toDecimalString(storedMoney(amount, currency));

/** Every exception of a run as CSV, amounts as decimals of their currency (a clean run: the header only). */
export function reconciliationCsv(
  view: ReconciliationView,
  rows: readonly ReconciliationExceptionView[],
): string {
  return stringify(
    rows.map((row) => [
      view.id,
      view.date,
      row.id,
      row.kind,
      row.status,
      row.subject,
      row.balanceTransactionId ?? '',
      row.ourSourceType ?? '',
      row.ourSourceId ?? '',
      row.currency,
      decimal(row.processorAmount, row.currency),
      decimal(row.ourAmount, row.currency),
      row.message,
      row.resolvedBy ?? '',
      row.resolution ?? '',
    ]),
    { header: true, columns: [...RECONCILIATION_CSV_COLUMNS] },
  );
}

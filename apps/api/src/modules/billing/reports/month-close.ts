import { add, subtract } from '@astrix/pricing';
import type { BooksFinding } from '../books/books-findings';
import { storedMoney } from '../money';

/** Deferred revenue's movements to a month end in one currency, from the journal. */
export interface DeferredMovements {
  currency: string;
  /** Deferred by invoice entries (finalized, net of proration credits and voids). */
  invoiced: number;
  /** Taken off by credit notes and refunds (`credited.*`). */
  credited: number;
  /** Moved to revenue (`recognized.*`, net of `voided`). */
  recognized: number;
  /** The deferred revenue account's balance. */
  deferred: number;
}

export interface MonthCloseCurrency {
  currency: string;
  /** What lines earned over time invoiced, net of credits. */
  invoicedNetOfCredits: number;
  recognized: number;
  deferred: number;
  /** deferred + recognized = invoiced net of credits. */
  balanced: boolean;
}

export interface MonthCloseReport {
  month: string;
  /** The month end: entries before it count. */
  at: string;
  closed: boolean;
  trialBalanceBalanced: boolean;
  currencies: MonthCloseCurrency[];
  /** Schedules with days of the month not yet recognized (0 once the run caught up). */
  schedulesBehind: number;
  /** Recognition findings of the books check (journal against schedules). */
  findings: BooksFinding[];
  /** Journal lines in the month's close export. */
  exportLines: number;
}

/** Per currency: deferred + recognized = invoiced net of credits. */
export function closeCurrencies(movements: readonly DeferredMovements[]): MonthCloseCurrency[] {
  return movements.map((row) => {
    const money = (units: number) => storedMoney(units, row.currency);
    const invoicedNet = subtract(money(row.invoiced), money(row.credited));
    return {
      currency: row.currency,
      invoicedNetOfCredits: invoicedNet.amountMinor,
      recognized: row.recognized,
      deferred: row.deferred,
      balanced: add(money(row.deferred), money(row.recognized)).amountMinor === invoicedNet.amountMinor,
    };
  });
}

/** A month closes when the trial balance balances, every currency's deferred revenue adds up, the run caught up and the books agree. */
export function isClosed(report: Omit<MonthCloseReport, 'closed'>): boolean {
  return (
    report.trialBalanceBalanced &&
    report.currencies.every((currency) => currency.balanced) &&
    report.schedulesBehind === 0 &&
    report.findings.length === 0
  );
}

import { abs, subtract } from '@astrix/pricing';
import type { DataSource } from 'typeorm';
import { type BooksFinding, moneyText } from '../../books/books-findings';
import { storedMoney } from '../../money';

/** A schedule whose recognized amount differs from its entries', or whose remainder changed sign. */
export interface ScheduleDisagreement {
  id: string;
  invoiceId: string;
  customerId: string;
  currency: string;
  amount: number;
  recognized: number;
  reduced: number;
  journalRecognized: number;
}

export function scheduleDisagrees(row: ScheduleDisagreement): BooksFinding {
  const money = (units: number): string => moneyText(storedMoney(units, row.currency));
  const remainder = subtract(
    subtract(storedMoney(row.amount, row.currency), storedMoney(row.recognized, row.currency)),
    storedMoney(row.reduced, row.currency),
  ).amountMinor;
  const message =
    row.recognized !== row.journalRecognized
      ? `revenue schedule ${row.id} (invoice ${row.invoiceId}) says ${money(row.recognized)} recognized, its journal entries ${money(row.journalRecognized)}`
      : `revenue schedule ${row.id} (invoice ${row.invoiceId}) of ${money(row.amount)} has ${money(remainder)} left to recognize after ${money(row.recognized)} recognized and ${money(row.reduced)} credited`;
  return {
    kind: 'revenue_schedule_disagrees',
    subject: row.id,
    ids: [row.id, row.invoiceId, row.customerId],
    amount: abs(
      subtract(storedMoney(row.recognized, row.currency), storedMoney(row.journalRecognized, row.currency)),
    ).amountMinor,
    currency: row.currency,
    message,
  };
}

/** Deferred revenue in the journal is not what the schedules still have to recognize. */
export function deferredDisagrees(currency: string, journal: number, schedules: number): BooksFinding {
  const gap = abs(subtract(storedMoney(journal, currency), storedMoney(schedules, currency)));
  return {
    kind: 'revenue_schedule_disagrees',
    subject: `deferred_revenue:${currency}`,
    ids: [],
    amount: gap.amountMinor,
    currency,
    message: `deferred revenue in ${currency} is ${moneyText(storedMoney(journal, currency))} in the journal, but the revenue schedules have ${moneyText(storedMoney(schedules, currency))} left to recognize`,
  };
}

/**
 * Deferred + recognized = invoiced net of credits: per schedule, what it says it recognized equals
 * its `recognized.*` and `voided` entries, and its remainder (amount − recognized − credited off
 * deferred) never crosses zero; per currency, the journal's deferred revenue equals the schedules'
 * remainders. Reads only.
 */
export async function recognitionFindings(dataSource: DataSource): Promise<BooksFinding[]> {
  const schedules: Array<{
    id: string;
    invoice_id: string;
    customer_id: string;
    currency: string;
    amount: string;
    recognized: string;
    reduced: string;
    journal_recognized: string;
  }> = await dataSource.query(
    `SELECT s.id, s.invoice_id, s.customer_id, s.currency, s.amount::text, s.recognized::text, s.reduced::text,
            COALESCE(j.recognized, 0)::text AS journal_recognized
       FROM billing.revenue_schedules s
       LEFT JOIN (SELECT e.source_id, sum(l.credit - l.debit) AS recognized
                    FROM billing.journal_entries e JOIN billing.journal_lines l ON l.entry_id = e.id
                   WHERE e.source_type = 'revenue_schedule' AND l.account <> 'deferred_revenue'
                     AND (e.event LIKE 'recognized.%' OR e.event = 'voided')
                   GROUP BY e.source_id) j ON j.source_id = s.id
      WHERE s.recognized <> COALESCE(j.recognized, 0)
         OR sign(s.amount - s.recognized - s.reduced) * sign(s.amount) < 0
      ORDER BY s.id`,
  );
  const currencies: Array<{ currency: string; journal: string; schedules: string }> = await dataSource.query(
    `SELECT currency, COALESCE(j.deferred, 0)::text AS journal, COALESCE(s.remaining, 0)::text AS schedules
       FROM (SELECT currency, sum(credit - debit) AS deferred FROM billing.journal_lines
              WHERE account = 'deferred_revenue' GROUP BY currency) j
       FULL JOIN (SELECT currency, sum(amount - recognized - reduced) AS remaining
                    FROM billing.revenue_schedules GROUP BY currency) s USING (currency)
      WHERE COALESCE(j.deferred, 0) <> COALESCE(s.remaining, 0)
      ORDER BY currency`,
  );
  return [
    ...schedules.map((row) =>
      scheduleDisagrees({
        id: row.id,
        invoiceId: row.invoice_id,
        customerId: row.customer_id,
        currency: row.currency,
        amount: Number(row.amount),
        recognized: Number(row.recognized),
        reduced: Number(row.reduced),
        journalRecognized: Number(row.journal_recognized),
      }),
    ),
    ...currencies.map((row) => deferredDisagrees(row.currency, Number(row.journal), Number(row.schedules))),
  ];
}

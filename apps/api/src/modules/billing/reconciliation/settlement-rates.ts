import { crossRate, parseCurrencyCode } from '@astrix/pricing';
import type { ProcessorBalanceTransaction } from '@astrix/stripe-client';
import type { EntityManager } from 'typeorm';
import { dayOf, lookupSnapshots } from '../fx/fx-rates.service';
import type { BookedRate, OurRow } from './reconciliation-matching';

type Converted = { txn: ProcessorBalanceTransaction; row: OurRow & { bookedAt: Date } };

function converted(txn: ProcessorBalanceTransaction, row: OurRow | null): row is OurRow & { bookedAt: Date } {
  return row !== null && row.bookedAt !== null && txn.exchangeRate !== null && row.currency !== txn.currency;
}

/**
 * For movements the processor settled into another currency than our row's (its `exchangeRate`
 * set): our FX snapshot rate from the row's currency to the settlement currency on the row's day
 * (1 row unit = r1 reporting and 1 settlement unit = r2 reporting give r1 / r2), looked up for a
 * whole page at once. Returns the rate of one movement with the row currency's own snapshot that
 * day (the rate its half of the conversion is valued at), or null (same currency, or no rate known).
 */
export async function settlementRates(
  manager: EntityManager,
  movements: ReadonlyArray<{ txn: ProcessorBalanceTransaction; row: OurRow | null }>,
): Promise<(txn: ProcessorBalanceTransaction, row: OurRow | null) => BookedRate | null> {
  const wanted: Converted[] = movements.flatMap(({ txn, row }) =>
    converted(txn, row) ? [{ txn, row }] : [],
  );
  const snapshots = await lookupSnapshots(
    manager,
    wanted.flatMap(({ txn, row }) => [
      { currency: row.currency, at: row.bookedAt },
      { currency: txn.currency, at: row.bookedAt },
    ]),
  );
  return (txn, row) => {
    if (!converted(txn, row)) return null;
    const day = dayOf(row.bookedAt);
    const rowToReporting = snapshots.get(`${row.currency}|${day}`);
    const settlementToReporting = snapshots.get(`${txn.currency}|${day}`);
    if (!rowToReporting || !settlementToReporting) return null;
    return {
      from: parseCurrencyCode(row.currency),
      to: parseCurrencyCode(txn.currency),
      rate:
        settlementToReporting.rate === '1'
          ? rowToReporting.rate
          : crossRate(settlementToReporting.rate, rowToReporting.rate),
      source: `${rowToReporting.source}/${settlementToReporting.source}`,
      asOf: rowToReporting.asOf,
      rowSnapshot: rowToReporting,
    };
  };
}

import type { EntityManager } from 'typeorm';
import type { UsageAggregation } from '@astrix/contracts';

/** One metric to compute: a customer's feature over [from, to). */
export interface UsageWindow {
  customerId: string;
  featureId: string;
  aggregation: UsageAggregation;
  /** The property `unique_count` counts. */
  property: string | null;
  from: Date;
  to: Date;
}

/**
 * The metric of a window, as SQL over the events `e` of the window (w = the window row):
 * - sum: Σ quantity, corrections (negative) counted at their own timestamp;
 * - count: events minus corrections (a correction voids one event);
 * - max, latest, unique_count: over events not voided by a correction (gauges: a correction voids).
 */
const metric = (aggregation: string, property: string): string => `CASE ${aggregation}
    WHEN 'sum' THEN coalesce(sum(e.quantity), 0)
    WHEN 'count' THEN count(e.quantity) FILTER (WHERE e.correction_of IS NULL)
                      - count(e.quantity) FILTER (WHERE e.correction_of IS NOT NULL)
    WHEN 'max' THEN coalesce(max(e.quantity) FILTER (WHERE e.live), 0)
    WHEN 'latest' THEN coalesce((array_agg(e.quantity ORDER BY e.occurred_at DESC, e.received_at DESC)
                                 FILTER (WHERE e.live))[1], 0)
    WHEN 'unique_count' THEN count(DISTINCT e.properties ->> ${property}) FILTER (WHERE e.live)
  END`;
const METRIC = metric('w.aggregation', 'w.property');

const EVENTS_OF_WINDOW = `LEFT JOIN LATERAL (
    SELECT e.quantity, e.correction_of, e.occurred_at, e.received_at, e.properties,
           e.correction_of IS NULL AND (w.aggregation IN ('sum', 'count') OR NOT EXISTS (
             SELECT 1 FROM billing.usage_events c
              WHERE c.customer_id = e.customer_id AND c.correction_of = e.idempotency_key)) AS live
      FROM billing.usage_events e
     WHERE e.customer_id = w.customer_id AND e.feature_id = w.feature_id
       AND e.occurred_at >= w.from_at AND e.occurred_at < w.to_at
  ) e ON true`;

const WINDOWS = `json_to_recordset($1::json) AS w(k int, customer_id text, feature_id text, aggregation text,
    property text, from_at timestamptz, to_at timestamptz)`;

function windowsParameter(windows: readonly UsageWindow[]): string {
  return JSON.stringify(
    windows.map((window, k) => ({
      k,
      customer_id: window.customerId,
      feature_id: window.featureId,
      aggregation: window.aggregation,
      property: window.property,
      from_at: window.from.toISOString(),
      to_at: window.to.toISOString(),
    })),
  );
}

/** The metric of each window, in one statement whatever their number. */
export async function aggregateUsage(
  manager: Pick<EntityManager, 'query'>,
  windows: readonly UsageWindow[],
): Promise<number[]> {
  return (await aggregateUsageSeen(manager, windows)).values;
}

/**
 * The same, with the snapshot the statement read in (`pg_current_snapshot()`, as text): what a total
 * kept in memory is later updated against (CustomerSnapshots).
 */
export async function aggregateUsageSeen(
  manager: Pick<EntityManager, 'query'>,
  windows: readonly UsageWindow[],
): Promise<{ values: number[]; snapshot: string | null }> {
  if (windows.length === 0) return { values: [], snapshot: null };
  const rows: Array<{ k: number; value: string; seen: string }> = await manager.query(
    `SELECT w.k, ${METRIC} AS value, pg_current_snapshot()::text AS seen FROM ${WINDOWS} ${EVENTS_OF_WINDOW}
      GROUP BY w.k, w.aggregation, w.property`,
    [windowsParameter(windows)],
  );
  const values = new Array<number>(windows.length).fill(0);
  for (const row of rows) values[row.k] = Number(row.value);
  return { values, snapshot: rows[0]?.seen ?? null };
}

/** The metric of one window per UTC day that has events: `[{date: '2026-11-21', value}]`. */
export async function aggregateUsageByDay(
  manager: Pick<EntityManager, 'query'>,
  window: UsageWindow,
): Promise<Array<{ date: string; value: number }>> {
  const rows: Array<{ day: string; value: string }> = await manager.query(
    `SELECT to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, ${METRIC} AS value
       FROM ${WINDOWS} ${EVENTS_OF_WINDOW}
      WHERE e.occurred_at IS NOT NULL
      GROUP BY day, w.aggregation, w.property ORDER BY day`,
    [windowsParameter([window])],
  );
  return rows.map((row) => ({ date: row.day, value: Number(row.value) }));
}

/**
 * The metric of a subscription's current period as a scalar subquery, for the entitlement check's
 * statement: `r` is the check (r.f feature, r.a aggregation, r.p property), `c` the customer, `s` the
 * subscription whose period is counted.
 */
export const USAGE_METRIC_SQL = `(SELECT ${metric('r.a', 'r.p')}
    FROM (SELECT e.quantity, e.correction_of, e.occurred_at, e.received_at, e.properties,
                 e.correction_of IS NULL AND (r.a IN ('sum', 'count') OR NOT EXISTS (
                   SELECT 1 FROM billing.usage_events x
                    WHERE x.customer_id = e.customer_id AND x.correction_of = e.idempotency_key)) AS live
            FROM billing.usage_events e
           WHERE e.customer_id = c.id AND e.feature_id = r.f
             AND e.occurred_at >= s.current_period_start AND e.occurred_at < s.current_period_end) e)`;

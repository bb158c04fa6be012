// The statements usage ingest writes and reads with: one statement per batch, so a claim and its event commit together.

/**
 * The batch's rows ($1, JSON: the feature as an index into $4, the time in milliseconds since the
 * epoch, so fewer bytes travel and no date text is parsed), and the claim of their idempotency keys:
 * one row per (customer, key) in `billing.usage_event_keys`, ON CONFLICT DO NOTHING. Only the rows
 * whose key this statement claimed go on into `billing.usage_events` (partitioned by month: its primary
 * key has to include the month, so the keys table is what makes an event exactly-once). A concurrent
 * claim of the same key waits on its index entry until the first writer commits (then claims nothing)
 * or rolls back.
 */
const CLAIM = `r AS (
  SELECT r.c, r.k, r.i, ($4::text[])[r.f] AS f, r.q,
         timestamptz 'epoch' + r.t * interval '1 millisecond' AS t, r.s, r.p, r.o
    FROM json_to_recordset($1::json) AS r(c text, k text, i text, f integer, q bigint, t bigint, s text, p jsonb,
                                          o text)
), claimed AS (
  INSERT INTO billing.usage_event_keys (customer_id, idempotency_key, occurred_at, id, feature_id)
  SELECT r.c, r.k, r.t, r.i, r.f FROM r
  ON CONFLICT DO NOTHING
  RETURNING id
)`;

const INSERT_CLAIMED = `
INSERT INTO billing.usage_events (customer_id, idempotency_key, id, feature_id, quantity, occurred_at,
                                  service_id, properties, correction_of, reported_by, received_at)
SELECT r.c, r.k, r.i, r.f, r.q, r.t, r.s, r.p, r.o, $2, $3
  FROM r JOIN claimed ON claimed.id = r.i`;

/** The stored event of a claimed key `k` (its feature and time lead to it), as duplicates show it. */
const STORED_COLUMNS = `k.customer_id, k.idempotency_key, k.occurred_at AS claimed_at, e.id, e.feature_id, e.quantity,
       e.occurred_at, e.service_id, e.properties, e.correction_of, e.received_at`;
/** Joins the event of claimed key `k` as `e`: its feature and time, with the key, are the events' primary key. */
export const EVENT_OF_KEY = `billing.usage_events e
    ON e.customer_id = k.customer_id AND e.feature_id = k.feature_id AND e.occurred_at = k.occurred_at
   AND e.idempotency_key = k.idempotency_key`;

/**
 * Every row whose key was claimed is inserted (or the statement fails): what comes back is only the
 * rows whose key was not claimed (`unclaimed`: our id for the row, and its customer and key), with the stored event when the
 * key's claim is in this statement's snapshot (a retry of an earlier batch: no second round trip). A
 * claim this statement waited on commits after its snapshot and is not seen here (`k.customer_id`
 * NULL): those keys are read back by STORED_SQL.
 */
const UNCLAIMED = `, unclaimed AS MATERIALIZED (
  SELECT r.i, r.c, r.k FROM r WHERE NOT EXISTS (SELECT FROM claimed WHERE claimed.id = r.i)
)
SELECT u.i AS unclaimed, u.c AS unclaimed_customer_id, u.k AS unclaimed_key, ${STORED_COLUMNS}
  FROM unclaimed u
  LEFT JOIN billing.usage_event_keys k ON k.customer_id = u.c AND k.idempotency_key = u.k
  LEFT JOIN ${EVENT_OF_KEY}`;

export const INSERT_SQL = `WITH ${CLAIM}, inserted AS (${INSERT_CLAIMED})${UNCLAIMED}`;

/**
 * The same, marking in the same statement the customers and features with alerts ($6) whose usage
 * grew, as still to be evaluated by this batch ($5): evaluation after commit clears the mark, a sweep
 * evaluates what a dead process left behind. Marks are written in (customer, feature) order, the order
 * the clearing locks them in: in any other order a batch marking and another clearing deadlock.
 */
export const INSERT_MARKING_SQL = `WITH ${CLAIM}, inserted AS (${INSERT_CLAIMED}
  RETURNING customer_id, feature_id
), marked AS (
  INSERT INTO billing.usage_alert_pending (customer_id, feature_id, marked_by, marked_at)
  SELECT DISTINCT customer_id, feature_id, $5, $3::timestamptz FROM inserted WHERE feature_id = ANY($6::text[])
   ORDER BY customer_id, feature_id
  ON CONFLICT (customer_id, feature_id) DO UPDATE SET marked_by = excluded.marked_by, marked_at = excluded.marked_at
)${UNCLAIMED}`;

/**
 * The stored events of keys already claimed, found through the key's row (its feature and time are the
 * events' primary key with the key, and the time prunes the partitions); the event is missing when its
 * month was detached for archiving.
 */
export const STORED_SQL = `
SELECT ${STORED_COLUMNS}
  FROM json_to_recordset($1::json) AS r(c text, k text)
  JOIN billing.usage_event_keys k ON k.customer_id = r.c AND k.idempotency_key = r.k
  LEFT JOIN ${EVENT_OF_KEY}`;

// A usage batch from the request to its statement: each event checked, the customers' events in key
// order with their repeats folded, and the rows encoded as the statement's parameters. Synchronous, so
// that what the statement's wait holds is only what answering needs (UsageIngestService).
import type { UsageEventResult, UsageEventView, UsageRejectionReason } from '@astrix/contracts';
import { jsonRowsParameter } from '../../../platform/database/json-rows-parameter';
import { newId } from '../../../platform/ids';
import type { EntitlementDefinitions } from './entitlements-catalog';
import type { ResolvedCustomer } from './usage-customers';
import { ParsedUsageEvent, parseUsageEvent } from './usage-event-parser';

/** Late events are accepted while their period is open, and up to this long after it closed. */
export const USAGE_LATE_GRACE_MS = 60 * 60 * 1000;
/** Reporters' clocks may run this far ahead of ours. */
export const USAGE_FUTURE_SKEW_MS = 5 * 60 * 1000;
/** An event ready to insert: its id, our customer id, and where it sits in the request. */
export interface Row {
  index: number;
  id: string;
  customerId: string;
  event: ParsedUsageEvent;
}

/** The rows to write, their repeats inside the batch, and the corrections (written in a transaction). */
export interface BatchPlan {
  rows: Row[];
  corrections: Row[];
  repeats: Array<{ index: number; of: number }>;
}

/** A statement's rows as its parameters, and for each row (by position) our id and its place in the request. */
export interface EncodedRows {
  payload: string | Buffer;
  features: string[];
  /** The features of these rows with alerts (their usage is marked by the statement). */
  watched: string[];
  ids: string[];
  indexes: number[];
}

/** What answering a batch needs once its rows are written. */
export interface AfterWrite {
  repeats: Array<{ index: number; of: number }>;
  /** The events a repeat of an accepted event shows, by the first event's index. */
  views: Map<number, UsageEventView>;
  /** The (customer, feature) of each row with alerts, evaluated if the row is accepted. */
  alertPairs: Array<{ index: number; pair: string }>;
}

/** Which features have alerts, and the id this batch marks their usage with. */
export interface AlertMark {
  batchId: string;
  /** The definitions' alerts by feature, as they are: no copy per request. */
  watchedFeatures: Pick<ReadonlyMap<string, unknown>, 'has' | 'size'>;
}

/** Key order: customer, then idempotency key. */
const keyOrder = (a: Row, b: Row): number => {
  if (a.customerId !== b.customerId) return a.customerId < b.customerId ? -1 : 1;
  const x = a.event.idempotencyKey;
  const y = b.event.idempotencyKey;
  return x === y ? 0 : x < y ? -1 : 1;
};

/** Each event checked by hand and against the features: the rest are rejected in `results`. */
export function parseEvents(
  events: readonly unknown[],
  definitions: EntitlementDefinitions,
  results: UsageEventResult[],
): Array<{ index: number; event: ParsedUsageEvent }> {
  const parsed: Array<{ index: number; event: ParsedUsageEvent }> = [];
  for (let index = 0; index < events.length; index++) {
    const result = parseUsageEvent(events[index]);
    if (!result.ok) {
      results[index] = { index, status: 'rejected', reason: result.reason, message: result.message };
      continue;
    }
    const feature = definitions.features.get(result.event.featureId);
    if (!feature || feature.status !== 'active') {
      results[index] = {
        index,
        status: 'rejected',
        reason: 'unknown_feature',
        message: `feature ${result.event.featureId} does not exist or is archived`,
      };
    } else if (feature.kind === 'boolean') {
      results[index] = {
        index,
        status: 'rejected',
        reason: 'feature_not_metered',
        message: `feature ${feature.id} is on or off; it takes no usage`,
      };
    } else {
      parsed.push({ index, event: result.event });
    }
  }
  return parsed;
}

/**
 * The events of known customers inside their time window, in key order, as every write takes them;
 * each key's first event in the request is written, the ones after it are its repeats.
 */
export function planBatch(
  parsed: ReadonlyArray<{ index: number; event: ParsedUsageEvent }>,
  customers: ReadonlyArray<ResolvedCustomer | undefined>,
  now: Date,
  results: UsageEventResult[],
): BatchPlan {
  const reject = (index: number, reason: UsageRejectionReason, message: string) => {
    results[index] = { index, status: 'rejected', reason, message };
  };
  const nowMs = now.getTime();
  const candidates: Row[] = [];
  for (let position = 0; position < parsed.length; position++) {
    const { index, event } = parsed[position];
    const customer = customers[position];
    if (!customer) {
      reject(index, 'unknown_customer', `no customer ${event.customerRef} (neither our id nor a user id)`);
      continue;
    }
    const at = event.occurredAt.getTime();
    if (at > nowMs + USAGE_FUTURE_SKEW_MS) {
      reject(index, 'timestamp_in_future', `timestamp ${event.occurredAt.toISOString()} is in the future`);
      continue;
    }
    const earliest = Math.min(nowMs - USAGE_LATE_GRACE_MS, customer.openSince ?? Number.POSITIVE_INFINITY);
    if (at < earliest) {
      reject(
        index,
        'timestamp_too_old',
        `timestamp ${event.occurredAt.toISOString()} is before ${new Date(earliest).toISOString()}: its period is closed and past its grace window`,
      );
      continue;
    }
    candidates.push({ index, id: newId('ue'), customerId: customer.customerId, event });
  }
  // In key order, as every write takes them. The sort is stable, so of events sharing a key the
  // first in the request comes first, and the ones after it are its repeats: no map of keys needed.
  candidates.sort(keyOrder);
  const plan: BatchPlan = { rows: [], corrections: [], repeats: [] };
  let kept: Row | undefined;
  for (const row of candidates) {
    if (
      kept !== undefined &&
      kept.customerId === row.customerId &&
      kept.event.idempotencyKey === row.event.idempotencyKey
    ) {
      plan.repeats.push({ index: row.index, of: kept.index });
      continue;
    }
    kept = row;
    (row.event.correctionOf === null ? plan.rows : plan.corrections).push(row);
  }
  return plan;
}

/** What answering needs once the rows are written: the repeats' events and the rows with alerts. */
export function afterWriteOf(plan: BatchPlan, alertMark: AlertMark, now: Date): AfterWrite {
  const written = plan.corrections.length === 0 ? plan.rows : plan.rows.concat(plan.corrections);
  const views = new Map<number, UsageEventView>();
  if (plan.repeats.length > 0) {
    const firsts = new Set(plan.repeats.map(({ of }) => of));
    for (const row of written) {
      if (firsts.has(row.index)) views.set(row.index, viewOf(row, now));
    }
  }
  const alertPairs: AfterWrite['alertPairs'] = [];
  if (alertMark.watchedFeatures.size > 0) {
    for (const row of written) {
      if (alertMark.watchedFeatures.has(row.event.featureId)) {
        alertPairs.push({ index: row.index, pair: `${row.customerId}|${row.event.featureId}` });
      }
    }
  }
  return { repeats: plan.repeats, views, alertPairs };
}

/**
 * `rows` as the statement's parameters. They come in key order (keyOrder), as every writer inserts
 * them: two batches sharing keys then wait on each other in one direction only, instead of
 * deadlocking on each other's index entries.
 */
export function encodeRows(rows: readonly Row[], alertMark: AlertMark): EncodedRows | null {
  if (rows.length === 0) return null;
  // Features by their place in $4 (1-based): a batch names few, and each row then carries a number.
  const features: string[] = [];
  const featureIndex = new Map<string, number>();
  // Batches name few features, often one: comparing with the last spares hashing each fresh string.
  let lastFeature: string | undefined;
  let lastIndex = 0;
  const ids = new Array<string>(rows.length);
  const indexes = new Array<number>(rows.length);
  // A thousand rows pass V8's large-string size: as bytes, sliced (jsonRowsParameter).
  const payload = jsonRowsParameter(
    rows.map(({ index, id, customerId, event }, position) => {
      ids[position] = id;
      indexes[position] = index;
      if (event.featureId !== lastFeature) {
        lastFeature = event.featureId;
        lastIndex = featureIndex.get(lastFeature) ?? 0;
        if (lastIndex === 0) {
          lastIndex = features.push(lastFeature);
          featureIndex.set(lastFeature, lastIndex);
        }
      }
      return {
        c: customerId,
        k: event.idempotencyKey,
        i: id,
        f: lastIndex,
        q: event.quantity,
        t: event.occurredAt.getTime(),
        // Absent keys read as NULL: the common event sends no properties, service or correction.
        s: event.serviceId ?? undefined,
        p: event.properties ?? undefined,
        o: event.correctionOf ?? undefined,
      };
    }),
  );
  const watched = features.filter((featureId) => alertMark.watchedFeatures.has(featureId));
  return { payload, features, watched, ids, indexes };
}

function viewOf(row: Row, receivedAt: Date): UsageEventView {
  return {
    id: row.id,
    customerId: row.customerId,
    featureId: row.event.featureId,
    quantity: row.event.quantity,
    timestamp: row.event.occurredAt.toISOString(),
    idempotencyKey: row.event.idempotencyKey,
    serviceId: row.event.serviceId,
    properties: row.event.properties,
    correctionOf: row.event.correctionOf,
    receivedAt: receivedAt.toISOString(),
  };
}

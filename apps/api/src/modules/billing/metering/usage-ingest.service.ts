import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ReportUsageBatchResponse, UsageEventResult, UsageEventView } from '@astrix/contracts';
import { Clock } from '../../../platform/clock';
import { newId } from '../../../platform/ids';
import { EntitlementsCatalog } from './entitlements-catalog';
import { UsageAlertsService } from './usage-alerts.service';
import {
  afterWriteOf,
  type AfterWrite,
  type AlertMark,
  type BatchPlan,
  encodeRows,
  type EncodedRows,
  parseEvents,
  planBatch,
  type Row,
} from './usage-batch-plan';
import { UsageCustomers } from './usage-customers';
import { EVENT_OF_KEY, INSERT_MARKING_SQL, INSERT_SQL, STORED_SQL } from './usage-ingest.sql';
import { preparedQuery } from '../../../platform/database/prepared-query';

/** A claimed key whose event was detached with its month (the event's columns read NULL). */
interface ArchivedRow {
  id: null;
  customer_id: string;
  idempotency_key: string;
}

interface StoredRow {
  id: string;
  customer_id: string;
  feature_id: string;
  quantity: string;
  occurred_at: Date;
  idempotency_key: string;
  service_id: string | null;
  properties: UsageEventView['properties'];
  correction_of: string | null;
  received_at: Date;
}

/** A claimed key and its stored event (or the archived shape), as the ingest statements read it back. */
type StoredKeyRow = (StoredRow | ArchivedRow) & { claimed_at: Date };

/** An event whose key the statement did not claim (by our id for it, its customer and key), with the key's stored event when the statement saw its claim. */
type UnclaimedRow = { unclaimed: string; unclaimed_customer_id: string; unclaimed_key: string } & (
  StoredKeyRow | { customer_id: null }
);

interface WriteBatch {
  reportedBy: string;
  now: Date;
  alertMark: AlertMark;
}

/** One map key for a customer's idempotency key. */
const keyOf = (customerId: string, idempotencyKey: string): string => `${customerId}\u0000${idempotencyKey}`;

/**
 * Takes usage events in: validates each by hand, resolves customers, drops duplicates inside the batch,
 * and writes the batch with one statement that claims each idempotency key in `billing.usage_event_keys`
 * and inserts the events whose key it claimed (so claiming it and writing the event commit together,
 * in whichever month's partition the event falls). Events already stored come back as duplicates
 * with the stored event; bad events are rejected with a reason and never block the others.
 */
@Injectable()
export class UsageIngestService {
  private readonly logger = new Logger(UsageIngestService.name);
  private readonly customers: UsageCustomers;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: EntitlementsCatalog,
    private readonly alerts: UsageAlertsService,
    private readonly clock: Clock,
  ) {
    this.customers = new UsageCustomers(dataSource);
  }

  /**
   * Ingests `events`, and empties the array once they are read: a batch's parsed events are then not
   * kept (by the request that holds its body) while its statement runs. Kept, every young-generation
   * collection during that wait copies them; at a few batches in flight that was most of what each
   * collection copied (docs/performance.md, issue #25, twentieth session).
   */
  async ingest(events: unknown[], reportedBy: string): Promise<ReportUsageBatchResponse> {
    const now = this.clock.now();
    const results = new Array<UsageEventResult>(events.length);
    const definitions = await this.catalog.recent();
    const alertMark: AlertMark = { batchId: newId('uab'), watchedFeatures: definitions.alerts };
    const parsed = parseEvents(events, definitions, results);
    events.length = 0;
    const customers = await this.customers.resolve(parsed);
    // Returned, not awaited: this function's frame, which holds the parsed events, ends here.
    return this.write(planBatch(parsed, customers, now, results), { reportedBy, now, alertMark }, results);
  }

  /**
   * Not async, so that nothing of the plan is kept while the statement runs: a suspended async
   * function keeps its parameters and locals (and a closure's captures live as long as its scope).
   */
  private write(
    plan: BatchPlan,
    batch: WriteBatch,
    results: UsageEventResult[],
  ): Promise<ReportUsageBatchResponse> {
    if (plan.corrections.length > 0) return this.ingestWithCorrections(plan, batch, results);
    return this.writePrepared(
      encodeRows(plan.rows, batch.alertMark),
      afterWriteOf(plan, batch.alertMark, batch.now),
      batch,
      results,
    );
  }

  /** Only what answering needs is held across the statement: no row, no parsed event. */
  private async writePrepared(
    statement: EncodedRows | null,
    afterWrite: AfterWrite,
    batch: WriteBatch,
    results: UsageEventResult[],
  ): Promise<ReportUsageBatchResponse> {
    if (statement !== null) await this.runStatement(this.dataSource.manager, statement, batch, results);
    return this.answer(results, afterWrite, batch.alertMark);
  }

  /** A batch with corrections, in one transaction: the plain rows, then the corrections that check out. */
  private async ingestWithCorrections(
    plan: BatchPlan,
    batch: WriteBatch,
    results: UsageEventResult[],
  ): Promise<ReportUsageBatchResponse> {
    const afterWrite = afterWriteOf(plan, batch.alertMark, batch.now);
    await this.dataSource.transaction(async (manager) => {
      const plain = encodeRows(plan.rows, batch.alertMark);
      if (plain !== null) await this.runStatement(manager, plain, batch, results);
      const valid = encodeRows(
        await this.checkCorrections(manager, plan.corrections, results),
        batch.alertMark,
      );
      if (valid !== null) await this.runStatement(manager, valid, batch, results);
    });
    return this.answer(results, afterWrite, batch.alertMark);
  }

  /** Repeats take their first event's result; alerts are evaluated; the counts. */
  private async answer(
    results: UsageEventResult[],
    { repeats, views, alertPairs }: AfterWrite,
    alertMark: AlertMark,
  ): Promise<ReportUsageBatchResponse> {
    for (const { index, of } of repeats) {
      const first = results[of];
      results[index] =
        first.status === 'rejected'
          ? { ...first, index }
          : {
              index,
              status: 'duplicate',
              id: first.id,
              event: first.status === 'duplicate' ? first.event : (views.get(of) as UsageEventView),
            };
    }
    let accepted = 0;
    let duplicates = 0;
    for (const result of results) {
      if (result.status === 'accepted') accepted += 1;
      else if (result.status === 'duplicate') duplicates += 1;
    }
    if (accepted > 0 && alertPairs.length > 0) await this.afterCommit(alertPairs, results, alertMark);
    return { accepted, duplicates, rejected: results.length - accepted - duplicates, results };
  }

  /** The event as stored, for a single-event answer (accepted rows are built from what was written). */
  async storedEvent(customerRef: string, idempotencyKey: string): Promise<UsageEventView | null> {
    const [row]: StoredRow[] = await this.dataSource.query(
      `SELECT e.id, e.customer_id, e.feature_id, e.quantity, e.occurred_at, e.idempotency_key, e.service_id,
              e.properties, e.correction_of, e.received_at
         FROM billing.customers c
         JOIN billing.usage_event_keys k ON k.customer_id = c.id AND k.idempotency_key = $2
         JOIN ${EVENT_OF_KEY}
        WHERE c.id = $1 OR c.user_id = $1
        ORDER BY (c.id = $1) DESC LIMIT 1`,
      [customerRef, idempotencyKey],
    );
    return row ? storedView(row) : null;
  }

  /**
   * Claims the rows' keys and inserts the rows whose key it claimed, in one statement; answers each row:
   * accepted, or a duplicate with the event stored under its key.
   */
  private async runStatement(
    manager: EntityManager,
    { payload, features, watched, ids, indexes }: EncodedRows,
    { reportedBy, now, alertMark }: WriteBatch,
    results: UsageEventResult[],
  ): Promise<void> {
    // A row per event whose key was not claimed; its key's columns NULL when the claim was not seen.
    const unclaimed: UnclaimedRow[] =
      watched.length === 0
        ? await preparedQuery(manager, INSERT_SQL, [payload, reportedBy, now, features])
        : await preparedQuery(manager, INSERT_MARKING_SQL, [
            payload,
            reportedBy,
            now,
            features,
            alertMark.batchId,
            watched,
          ]);
    // Most batches claim every key: then no map of (fresh, not yet hashed) ids is looked up at all.
    const unclaimedById =
      unclaimed.length === 0 ? null : new Map(unclaimed.map((row) => [row.unclaimed, row]));
    const existing: Array<{ index: number; row: UnclaimedRow }> = [];
    for (let position = 0; position < ids.length; position++) {
      const index = indexes[position];
      const found = unclaimedById?.get(ids[position]);
      if (found === undefined) results[index] = { index, status: 'accepted', id: ids[position] };
      else existing.push({ index, row: found });
    }
    // Keys claimed by a batch that committed while this statement waited on it: read after that commit.
    const unseen = existing.filter(({ row }) => row.customer_id === null);
    const storedByKey = new Map<string, StoredKeyRow>();
    if (unseen.length > 0) {
      const stored: StoredKeyRow[] = await preparedQuery(manager, STORED_SQL, [
        JSON.stringify(unseen.map(({ row }) => ({ c: row.unclaimed_customer_id, k: row.unclaimed_key }))),
      ]);
      for (const row of stored) storedByKey.set(keyOf(row.customer_id, row.idempotency_key), row);
    }
    for (const { index, row } of existing) {
      const found =
        row.customer_id !== null ? row : storedByKey.get(keyOf(row.unclaimed_customer_id, row.unclaimed_key));
      if (!found) throw new Error(`usage event ${row.unclaimed_key} neither inserted nor found`);
      if (found.id === null) {
        // Its key was claimed by an event of a month since detached for archiving: still a duplicate,
        // but the event is no longer online to show.
        results[index] = {
          index,
          status: 'rejected',
          reason: 'timestamp_too_old',
          message: `idempotency key ${row.unclaimed_key} was used by an event of ${new Date(found.claimed_at).toISOString().slice(0, 7)}, a month archived since: this is a duplicate of it`,
        };
        continue;
      }
      results[index] = { index, status: 'duplicate', id: found.id, event: storedView(found) };
    }
  }

  /**
   * A correction names an earlier event of the same customer and feature that is not itself a correction;
   * sum features may be corrected in parts up to the original quantity, other metrics only in full, once.
   * The originals are locked so that two corrections racing cannot together take back more than was reported.
   */
  private async checkCorrections(
    manager: EntityManager,
    corrections: Row[],
    results: UsageEventResult[],
  ): Promise<Row[]> {
    const originals: Array<{
      customer_id: string;
      idempotency_key: string;
      feature_id: string;
      quantity: string;
      correction_of: string | null;
    }> = await manager.query(
      `SELECT e.customer_id, e.idempotency_key, e.feature_id, e.quantity, e.correction_of
         FROM json_to_recordset($1::json) AS r(c text, k text)
         JOIN billing.usage_event_keys k ON k.customer_id = r.c AND k.idempotency_key = r.k
         JOIN ${EVENT_OF_KEY}
        ORDER BY e.customer_id, e.idempotency_key
          FOR UPDATE OF e`,
      [JSON.stringify(corrections.map((row) => ({ c: row.customerId, k: row.event.correctionOf })))],
    );
    const corrected: Array<{ customer_id: string; correction_of: string; total: string; n: string }> =
      await manager.query(
        `SELECT e.customer_id, e.correction_of, sum(e.quantity) AS total, count(*) AS n
           FROM json_to_recordset($1::json) AS r(c text, k text)
           JOIN billing.usage_events e ON e.customer_id = r.c AND e.correction_of = r.k
          GROUP BY e.customer_id, e.correction_of`,
        [JSON.stringify(corrections.map((row) => ({ c: row.customerId, k: row.event.correctionOf })))],
      );
    const originalOf = new Map(originals.map((row) => [keyOf(row.customer_id, row.idempotency_key), row]));
    const correctedSoFar = new Map(
      corrected.map((row) => [keyOf(row.customer_id, row.correction_of), -Number(row.total)]),
    );
    const definitions = await this.catalog.recent();
    const valid: Row[] = [];
    for (const row of corrections) {
      const key = keyOf(row.customerId, String(row.event.correctionOf));
      const original = originalOf.get(key);
      const fail = (message: string) => {
        results[row.index] = { index: row.index, status: 'rejected', reason: 'invalid_correction', message };
      };
      if (!original) {
        fail(`no event ${row.event.correctionOf} of this customer to correct`);
        continue;
      }
      if (original.correction_of !== null) {
        fail(`event ${row.event.correctionOf} is itself a correction`);
        continue;
      }
      if (original.feature_id !== row.event.featureId) {
        fail(
          `event ${row.event.correctionOf} is usage of ${original.feature_id}, not ${row.event.featureId}`,
        );
        continue;
      }
      const originalQuantity = Number(original.quantity);
      const already = correctedSoFar.get(key) ?? 0;
      const taking = -row.event.quantity;
      const aggregation = definitions.features.get(original.feature_id)?.aggregation ?? 'sum';
      if (aggregation !== 'sum' && (already > 0 || taking !== originalQuantity)) {
        fail(`a ${aggregation} metric's event is corrected once and in full (quantity -${originalQuantity})`);
        continue;
      }
      if (already + taking > originalQuantity) {
        fail(
          `corrections of ${row.event.correctionOf} would take back ${already + taking}, more than its ${originalQuantity}`,
        );
        continue;
      }
      correctedSoFar.set(key, already + taking);
      valid.push(row);
    }
    return valid;
  }

  private async afterCommit(
    alertPairs: ReadonlyArray<{ index: number; pair: string }>,
    results: UsageEventResult[],
    alertMark: AlertMark,
  ): Promise<void> {
    // Only features that had alerts when the batch began (those its statement marked) are evaluated.
    const pairs = new Set<string>();
    for (const { index, pair } of alertPairs) {
      if (results[index]?.status === 'accepted') pairs.add(pair);
    }
    if (pairs.size === 0) return;
    try {
      await this.alerts.evaluate(pairs);
      await this.alerts.clearPending(alertMark.batchId);
    } catch (error) {
      // The events are stored and marked: the next event of the pair, or the sweep, evaluates them.
      this.logger.error({ err: error }, 'usage alerts could not be evaluated');
    }
  }
}

function storedView(row: StoredRow): UsageEventView {
  return {
    id: row.id,
    customerId: row.customer_id,
    featureId: row.feature_id,
    quantity: Number(row.quantity),
    timestamp: new Date(row.occurred_at).toISOString(),
    idempotencyKey: row.idempotency_key,
    serviceId: row.service_id,
    properties: row.properties,
    correctionOf: row.correction_of,
    receivedAt: new Date(row.received_at).toISOString(),
  };
}

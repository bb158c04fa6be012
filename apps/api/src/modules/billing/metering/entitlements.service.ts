import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { EntitlementCheckResponse, EntitlementList, UsageAggregation } from '@astrix/contracts';
import { Clock } from '../../../platform/clock';
import { CommitListener } from '../../../platform/database/commit-listener';
import { MetricsRegistry } from '../../../platform/metrics/metrics-registry';
import {
  CustomerSnapshot,
  CustomerSnapshots,
  readSnapshot,
  SnapshotMark,
  stateAt,
  type UsagePeriod,
} from './customer-snapshots';
import { aggregateUsage, aggregateUsageSeen, USAGE_METRIC_SQL, UsageWindow } from './usage-aggregates';
import {
  Basis,
  CustomerState,
  EntitlementBasis,
  entitlementAnswer,
  entitlementBasis,
} from './entitlement-decision';
import { EntitlementDefinitions, EntitlementsCatalog } from './entitlements-catalog';

interface StateRow {
  k: number;
  version: string;
  customer_id: string | null;
  fraud_status: string | null;
  /** The statement's snapshot (`pg_current_snapshot()`): what usage totals read in it saw. */
  seen: string | null;
  subscriptions: Array<{
    id: string;
    status: string;
    productId: string;
    currency: string;
    start: string;
    end: string;
    trialOverage?: 'refuse' | 'bill' | null;
    used?: number | string | null;
  }> | null;
  entitlements: Array<{
    featureId: string;
    kind: 'grant' | 'override';
    enabled: boolean;
    limit: number | string | null;
    expiresAt: string | null;
  }> | null;
}

/**
 * The state of many checks in one statement: for each item, the definitions' version, the customer (by
 * our id or their external reference), their subscriptions that are not canceled (each with the
 * feature's usage in its current period when the item asks for it), and their staff grants and
 * overrides not revoked (expired ones are dropped by the instant of each check). Checks that arrive while statements are running wait for the next
 * one, so under load one round trip serves many checks; each statement starts after the checks it
 * serves arrived, so every committed change is seen.
 */
const STATE_SQL = `
SELECT r.k, v.version, c.id AS customer_id, c.fraud_status, pg_current_snapshot()::text AS seen,
  (SELECT json_agg(json_build_object('id', s.id, 'status', s.status, 'productId', s.product_id,
                                     'currency', s.currency, 'start', s.current_period_start, 'end', s.current_period_end,
                                     'trialOverage', s.trial_overage,
                                     'used', CASE WHEN r.u THEN ${USAGE_METRIC_SQL} END)
                   ORDER BY s.created_at, s.id)
     FROM billing.subscriptions s WHERE s.customer_id = c.id AND s.status <> 'canceled') AS subscriptions,
  (SELECT json_agg(json_build_object('featureId', e.feature_id, 'kind', e.kind, 'enabled', e.enabled,
                                     'limit', e."limit", 'expiresAt', e.expires_at))
     FROM billing.customer_entitlements e
    WHERE e.customer_id = c.id AND e.revoked_at IS NULL) AS entitlements
FROM json_to_recordset($1::json) AS r(k int, ref text, f text, u boolean, a text, p text)
CROSS JOIN billing.entitlements_version v
LEFT JOIN LATERAL (
  SELECT id, fraud_status FROM billing.customers WHERE id = r.ref OR user_id = r.ref ORDER BY (id = r.ref) DESC LIMIT 1
) c ON true
WHERE v.id = 1`;
const STATE_STATEMENT = 'entitlement_state_batch';
/** Statements running at once; checks arriving meanwhile queue for the next one. */
const MAX_IN_FLIGHT = 3;
const MAX_BATCH = 500;

interface StateRequest {
  ref: string;
  featureId: string | null;
  withUsage: boolean;
  aggregation: UsageAggregation | null;
  property: string | null;
  resolve: (read: StateRead) => void;
  reject: (error: unknown) => void;
}

interface StateRead {
  row: StateRow;
  /** The customer's rows, null when the reference names no customer. */
  snapshot: CustomerSnapshot | null;
}

interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: StateRow[] }>;
}

/** Entitlement checks: allow or deny with a machine-readable reason, the limit and what is left. */
@Injectable()
export class EntitlementsService {
  private readonly pending: StateRequest[] = [];
  private inFlight = 0;
  private flushScheduled = false;
  /** Checks answered from memory, and from Postgres (the metric `astrix_entitlement_checks_total`). */
  private readonly answeredFromMemory: { inc(): void };
  private readonly answeredFromDatabase: { inc(): void };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: EntitlementsCatalog,
    private readonly clock: Clock,
    private readonly listener: CommitListener,
    private readonly snapshots: CustomerSnapshots,
    metrics: MetricsRegistry,
  ) {
    const answered = metrics.counter({
      name: 'astrix_entitlement_checks_total',
      help: 'Entitlement checks answered, by where the customer rows and usage came from: memory (held copies proven current by a sync with the commit listener) or database.',
      labelNames: ['source'],
    });
    this.answeredFromMemory = answered.labels('memory');
    this.answeredFromDatabase = answered.labels('database');
  }

  /**
   * Holds definitions and customers' rows in memory from commit notifications (processes that answer
   * checks; the CLI and workers read every time).
   */
  listenForChanges(): void {
    this.catalog.listenForChanges();
    this.snapshots.listenForChanges();
  }

  async check(customerRef: string, featureId: string, quantity = 1): Promise<EntitlementCheckResponse> {
    const now = this.clock.now();
    const answered = await this.checkFromMemory(customerRef, featureId, quantity, now);
    if (answered) {
      this.answeredFromMemory.inc();
      return answered;
    }
    this.answeredFromDatabase.inc();
    // The feature's kind and aggregation never change once created, so a copy of any age tells how to
    // count; whether the customer holds it is decided on the version read with their rows.
    let feature = this.catalog.latest()?.features.get(featureId);
    if (!feature) feature = (await this.catalog.recent(0)).features.get(featureId);
    const aggregation = feature && feature.kind !== 'boolean' ? (feature.aggregation ?? 'sum') : null;
    const { state, definitions, rowUsage } = await this.customerState(customerRef, now, featureId, {
      aggregation,
      withUsage: aggregation !== null,
      property: feature?.aggregationProperty ?? null,
    });
    const basis = this.basisFor(state, definitions, featureId, now);
    const customerId = state?.customerId ?? customerRef;
    let used: number | null = null;
    if (needsUsage(basis)) {
      const inline = basis.basis.subscriptionId ? rowUsage.get(basis.basis.subscriptionId) : undefined;
      used = inline ?? (await this.usageOf(customerId, basis.basis));
    }
    return entitlementAnswer({ customerId, featureId, basis, used, quantity });
  }

  /**
   * The answer from memory, when everything it needs is held and known current: after a sync with the
   * commit listener (every change committed before this check has been announced by then), the
   * customer's rows, the definitions, and the period's usage total still held.
   * Null sends the check to Postgres.
   */
  private async checkFromMemory(
    customerRef: string,
    featureId: string,
    quantity: number,
    now: Date,
  ): Promise<EntitlementCheckResponse | null> {
    if (!this.snapshots.get(customerRef)) return null;
    try {
      await this.listener.sync();
    } catch {
      return null;
    }
    const snapshot = this.snapshots.get(customerRef);
    const definitions = this.catalog.fresh();
    if (!snapshot || !definitions) return null;
    const basis = this.basisFor(stateAt(snapshot, now), definitions, featureId, now);
    let used: number | null = null;
    if (needsUsage(basis)) {
      const held = this.snapshots.usageOf(snapshot.customerId, featureId, periodOf(basis.basis));
      if (held === undefined) return null;
      used = held;
    }
    return entitlementAnswer({ customerId: snapshot.customerId, featureId, basis, used, quantity });
  }

  /** Every active feature with the customer's answer (for one unit). */
  async list(customerRef: string): Promise<EntitlementList> {
    const now = this.clock.now();
    const { state, definitions } = await this.customerState(customerRef, now, null);
    const customerId = state?.customerId ?? customerRef;
    const features = [...definitions.features.values()]
      .filter((feature) => feature.status === 'active')
      .sort((a, b) => a.id.localeCompare(b.id));
    const bases = features.map((feature) => this.basisFor(state, definitions, feature.id, now));
    const metered = bases.flatMap((basis) => (needsUsage(basis) ? [basis.basis] : []));
    const values = await aggregateUsage(
      this.dataSource,
      metered.map((basis) => windowOf(customerId, basis)),
    );
    const usage = new Map(metered.map((basis, index) => [basis, values[index]]));
    return {
      customerId,
      data: features.map((feature, index) => {
        const basis = bases[index];
        const used = basis.kind === 'basis' ? (usage.get(basis.basis) ?? null) : null;
        return entitlementAnswer({ customerId, featureId: feature.id, basis, used, quantity: 1 });
      }),
    };
  }

  /** The terms on which the customer holds a feature now (used by alerts to know the allowance). */
  async basis(customerId: string, featureId: string): Promise<Basis> {
    const now = this.clock.now();
    const { state, definitions } = await this.customerState(customerId, now, featureId);
    return this.basisFor(state, definitions, featureId, now);
  }

  private basisFor(
    state: CustomerState | null,
    definitions: EntitlementDefinitions,
    featureId: string,
    now: Date,
  ): Basis {
    const feature = definitions.features.get(featureId);
    if (!feature || feature.status !== 'active') {
      return { kind: 'denied', reason: 'unknown_feature', subscriptionId: null };
    }
    if (!state) return { kind: 'denied', reason: 'no_subscription', subscriptionId: null };
    return entitlementBasis({ state, feature, now, ...planLookupsOf(definitions) });
  }

  private async customerState(
    customerRef: string,
    now: Date,
    featureId: string | null,
    usage: { aggregation: UsageAggregation | null; withUsage: boolean; property: string | null } = {
      aggregation: null,
      withUsage: false,
      property: null,
    },
  ): Promise<{
    state: CustomerState | null;
    definitions: EntitlementDefinitions;
    rowUsage: Map<string, number>;
  }> {
    const { row, snapshot } = await new Promise<StateRead>((resolve, reject) => {
      this.pending.push({
        ref: customerRef,
        featureId,
        withUsage: usage.withUsage,
        aggregation: usage.aggregation,
        property: usage.property,
        resolve,
        reject,
      });
      this.schedule();
    });
    const definitions = await this.catalog.at(String(row.version));
    const rowUsage = new Map<string, number>();
    if (!snapshot) return { state: null, definitions, rowUsage };
    for (const subscription of row.subscriptions ?? []) {
      if (subscription.used !== undefined && subscription.used !== null) {
        rowUsage.set(subscription.id, Number(subscription.used));
      }
    }
    return { definitions, rowUsage, state: stateAt(snapshot, now) };
  }

  private schedule(): void {
    if (this.flushScheduled || this.inFlight >= MAX_IN_FLIGHT || this.pending.length === 0) return;
    this.flushScheduled = true;
    // Checks that arrive in the same turn of the event loop share the statement.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const batch = this.pending.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    this.inFlight += 1;
    const items = JSON.stringify(
      batch.map((item, k) => ({
        k,
        ref: item.ref,
        f: item.featureId,
        u: item.withUsage,
        a: item.aggregation,
        p: item.property,
      })),
    );
    const pool = (this.dataSource.driver as unknown as { master: PgPool }).master;
    // Taken before the statement is sent: copies made from its rows are checked against it.
    const mark = this.snapshots.beginRead();
    pool
      .query({ name: STATE_STATEMENT, text: STATE_SQL, values: [items] })
      .then(({ rows }) => {
        for (const row of rows) {
          const item = batch[row.k];
          const snapshot = snapshotOf(row);
          // Kept at once, before any later notification can be handled, so none is overlooked.
          if (snapshot) {
            this.snapshots.keep(item.ref, mark, snapshot);
            if (item.featureId) this.keepInlineUsage(row, item, mark);
          }
          item.resolve({ row, snapshot });
        }
      })
      .catch((error: unknown) => {
        for (const item of batch) item.reject(error);
      })
      .finally(() => {
        this.snapshots.endRead();
        this.inFlight -= 1;
        this.schedule();
      });
    this.schedule();
  }

  /** The usage totals the statement counted, one per subscription's current period. */
  private keepInlineUsage(row: StateRow, item: StateRequest, mark: SnapshotMark): void {
    if (!row.customer_id || !item.featureId || !item.aggregation) return;
    const read = { aggregation: item.aggregation, snapshot: readSnapshot(row.seen) };
    for (const subscription of row.subscriptions ?? []) {
      if (subscription.used === undefined || subscription.used === null) continue;
      const period = { startMs: Date.parse(subscription.start), endMs: Date.parse(subscription.end) };
      this.snapshots.keepUsage(
        row.customer_id,
        item.featureId,
        period,
        Number(subscription.used),
        mark,
        read,
      );
    }
  }

  private async usageOf(customerId: string, basis: EntitlementBasis): Promise<number> {
    const mark = this.snapshots.beginRead();
    try {
      const window = windowOf(customerId, basis);
      const {
        values: [value],
        snapshot,
      } = await aggregateUsageSeen(this.dataSource, [window]);
      this.snapshots.keepUsage(customerId, basis.feature.id, periodOf(basis), value, mark, {
        aggregation: window.aggregation,
        snapshot: readSnapshot(snapshot),
      });
      return value;
    } finally {
      this.snapshots.endRead();
    }
  }
}

function snapshotOf(row: StateRow): CustomerSnapshot | null {
  if (!row.customer_id) return null;
  return {
    customerId: row.customer_id,
    onHold: row.fraud_status !== null && row.fraud_status !== 'clear',
    subscriptions: (row.subscriptions ?? []).map((subscription) => ({
      id: subscription.id,
      status: subscription.status as CustomerState['subscriptions'][number]['status'],
      productId: subscription.productId,
      currency: subscription.currency,
      currentPeriodStart: new Date(subscription.start),
      currentPeriodEnd: new Date(subscription.end),
      trialOverage: subscription.trialOverage ?? null,
    })),
    entitlements: (row.entitlements ?? []).map((entitlement) => [
      entitlement.featureId,
      {
        kind: entitlement.kind,
        enabled: entitlement.enabled,
        limit: entitlement.limit === null ? null : Number(entitlement.limit),
        expiresAt: entitlement.expiresAt === null ? null : new Date(entitlement.expiresAt),
      },
    ]),
  };
}

type PlanLookups = Pick<Parameters<typeof entitlementBasis>[0], 'planLimit' | 'overageBilled'>;
const planLookups = new WeakMap<EntitlementDefinitions, PlanLookups>();

/** What a decision asks of the plans, built once per set of definitions rather than per check. */
function planLookupsOf(definitions: EntitlementDefinitions): PlanLookups {
  let lookups = planLookups.get(definitions);
  if (!lookups) {
    lookups = {
      planLimit: (productId, id) => {
        const plan = definitions.planFeatures.get(productId);
        return plan?.has(id) ? { limit: plan.get(id) ?? null } : undefined;
      },
      overageBilled: (productId, id) => definitions.billedUsage.has(`${productId}|${id}`),
    };
    planLookups.set(definitions, lookups);
  }
  return lookups;
}

function periodOf(basis: EntitlementBasis): UsagePeriod {
  return { startMs: basis.periodStart.getTime(), endMs: basis.periodEnd.getTime() };
}

function needsUsage(basis: Basis): basis is { kind: 'basis'; basis: EntitlementBasis } {
  return basis.kind === 'basis' && basis.basis.feature.kind !== 'boolean';
}

function windowOf(customerId: string, basis: EntitlementBasis): UsageWindow {
  return {
    customerId,
    featureId: basis.feature.id,
    aggregation: basis.feature.aggregation ?? 'sum',
    property: basis.feature.aggregationProperty,
    from: basis.periodStart,
    to: basis.periodEnd,
  };
}

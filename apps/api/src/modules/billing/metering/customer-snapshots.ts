import { Injectable } from '@nestjs/common';
import { CommitListener, CUSTOMER_ROWS_CHANNEL } from '../../../platform/database/commit-listener';
import type { CustomerState } from './entitlement-decision';

/** A customer's rows as an entitlement check reads them, whatever the instant (grants keep their expiry). */
export interface CustomerSnapshot {
  customerId: string;
  onHold: boolean;
  subscriptions: CustomerState['subscriptions'];
  /** Staff grants and overrides not revoked, expired or not. */
  entitlements: Array<[string, CustomerEntitlementRow]>;
}

type CustomerEntitlementRow =
  CustomerState['customerEntitlements'] extends ReadonlyMap<string, infer Row> ? Row : never;

/** Taken before a read of customers' rows: what a copy made from that read is checked against. */
export interface SnapshotMark {
  generation: number;
  seen: number;
}

/** A usage period by its bounds in epoch milliseconds (compared as numbers on every check). */
export interface UsagePeriod {
  startMs: number;
  endMs: number;
}

/**
 * The snapshot a read ran in (`pg_current_snapshot()`): which transactions it saw. A transaction id
 * under xmin had ended; from xmin to xmax, all had ended but those in progress; from xmax on, none.
 */
export interface ReadSnapshot {
  xmin: bigint;
  xmax: bigint;
  inProgress: ReadonlySet<bigint>;
}

/** `pg_current_snapshot()::text` ("xmin:xmax:xip,…"), or null if it is not one. */
export function readSnapshot(text: string | null | undefined): ReadSnapshot | null {
  const parts = text?.split(':');
  if (!parts || parts.length !== 3 || !/^\d+$/.test(parts[0]) || !/^\d+$/.test(parts[1])) return null;
  const inProgress = parts[2] === '' ? [] : parts[2].split(',');
  if (!inProgress.every((xid) => /^\d+$/.test(xid))) return null;
  return { xmin: BigInt(parts[0]), xmax: BigInt(parts[1]), inProgress: new Set(inProgress.map(BigInt)) };
}

/** Whether a read in `snapshot` saw the rows of committed transaction `xid`. */
function saw(snapshot: ReadSnapshot, xid: bigint): boolean {
  return xid < snapshot.xmin || (xid < snapshot.xmax && !snapshot.inProgress.has(xid));
}

/** How a usage total was read: its aggregation (sums and counts take added amounts) and snapshot. */
export interface UsageRead {
  aggregation: string;
  snapshot: ReadSnapshot | null;
}

interface HeldUsage extends UsagePeriod, UsageRead {
  value: number;
}

/**
 * A notice of usage inserted (migration 1795810000000): `usage;<xid>;` then, per customer and feature,
 * `customer,feature,firstMs,lastMs,sum,events,corrections` (the corrections among the events),
 * `;`-separated. No customer id starts so.
 */
const USAGE_ADDED = 'usage;';

/** The staff grants of a customer who has none: one shared, never written. */
const NO_ENTITLEMENTS: CustomerState['customerEntitlements'] = new Map();

const MAX_SNAPSHOTS = 200_000;
const MAX_CHANGES_TRACKED = 100_000;

/**
 * Customers' rows, and their usage totals per feature and period, held in memory for entitlement
 * checks; all of a customer's are dropped when a commit notification says the customer changed
 * (`astrix_customer_rows`, sent by triggers in the changing transaction: subscriptions, staff grants,
 * the customer row, and usage events updated or deleted). Usage inserted is announced with its amounts:
 * a held sum or count takes them, unless its read already saw that transaction, so a check after
 * ingest reads nothing (issue #25: usage counted at ingest); a total the amounts cannot update
 * exactly (another aggregation, events outside its period) is dropped.
 *
 * A copy answers only after `CommitListener.sync()`: then every change committed before the check
 * arrived has been announced, so a copy still held is current. A copy is kept only when it cannot
 * have missed a notification: read while the listener was connected (same connection throughout,
 * armed by its reconnection signal), and the customer not announced as changed since the read began.
 */
@Injectable()
export class CustomerSnapshots {
  private readonly byRef = new Map<string, CustomerSnapshot>();
  private readonly refsById = new Map<string, Set<string>>();
  /** Customer id → feature id → the usage total of one period (its bounds in epoch milliseconds). */
  private readonly usage = new Map<string, Map<string, HeldUsage>>();
  /** Customer id → the notification count when it last changed; kept while reads are out. */
  private readonly changedAt = new Map<string, number>();
  private notifications = 0;
  private everythingChangedAt = -1;
  private armedGeneration = -1;
  private readsOut = 0;
  private listening = false;

  constructor(private readonly listener: CommitListener) {}

  /** Starts holding copies (processes that answer checks). Until then nothing is held. */
  listenForChanges(): void {
    if (this.listening) return;
    this.listening = true;
    this.listener.on(CUSTOMER_ROWS_CHANNEL, (payload) => this.changed(payload));
  }

  /** The copy of the customer this reference names, if held; current once `CommitListener.sync()` resolved. */
  get(ref: string): CustomerSnapshot | undefined {
    if (!this.armed()) return undefined;
    return this.byRef.get(ref);
  }

  /** The usage total of this customer's feature over this period, if held (current after a sync, as rows). */
  usageOf(customerId: string, featureId: string, period: UsagePeriod): number | undefined {
    if (!this.armed()) return undefined;
    const held = this.usage.get(customerId)?.get(featureId);
    return held && held.startMs === period.startMs && held.endMs === period.endMs ? held.value : undefined;
  }

  /** Keeps a usage total read after `mark`, on the terms of `keep`; `read` says how it was counted. */
  keepUsage(
    customerId: string,
    featureId: string,
    period: UsagePeriod,
    value: number,
    mark: SnapshotMark,
    read: UsageRead,
  ): void {
    if (!this.keepable(customerId, mark)) return;
    if (this.usage.size >= MAX_SNAPSHOTS) this.usage.clear();
    const held: HeldUsage = {
      startMs: period.startMs,
      endMs: period.endMs,
      value,
      aggregation: read.aggregation,
      snapshot: read.snapshot,
    };
    const features = this.usage.get(customerId);
    if (features) features.set(featureId, held);
    else this.usage.set(customerId, new Map([[featureId, held]]));
  }

  beginRead(): SnapshotMark {
    this.readsOut += 1;
    return { generation: this.listener.generation, seen: this.notifications };
  }

  endRead(): void {
    this.readsOut -= 1;
    if (this.readsOut === 0) this.changedAt.clear();
  }

  /** Keeps a copy read after `mark`, unless the customer may have changed since or a notice was missed. */
  keep(ref: string, mark: SnapshotMark, snapshot: CustomerSnapshot): void {
    if (!this.keepable(snapshot.customerId, mark)) return;
    if (this.byRef.size >= MAX_SNAPSHOTS) this.clear();
    this.byRef.set(ref, snapshot);
    const refs = this.refsById.get(snapshot.customerId);
    if (refs) refs.add(ref);
    else this.refsById.set(snapshot.customerId, new Set([ref]));
  }

  private keepable(customerId: string, mark: SnapshotMark): boolean {
    if (!this.armed() || mark.generation !== this.listener.generation) return false;
    if (this.everythingChangedAt > mark.seen) return false;
    return (this.changedAt.get(customerId) ?? -1) <= mark.seen;
  }

  /** Listening on the connection that is up now, from its start: no notification can have been missed. */
  private armed(): boolean {
    return this.listener.listening && this.armedGeneration === this.listener.generation;
  }

  private changed(payload: string | null): void {
    this.notifications += 1;
    if (payload === null || payload === '') {
      // A (re)connection (anything may have been missed meanwhile) or a table emptied outright.
      this.clear();
      this.everythingChangedAt = this.notifications;
      if (payload === null) this.armedGeneration = this.listener.generation;
      return;
    }
    if (payload.startsWith(USAGE_ADDED)) {
      this.usageAdded(payload);
      return;
    }
    // One customer id, or several separated by commas (usage events changed: one notice per statement).
    for (const customerId of payload.split(',')) {
      this.drop(customerId);
      this.changedDuringReads(customerId);
    }
  }

  /** A read out now may have missed this change: its copies of the customer are not kept. */
  private changedDuringReads(customerId: string): void {
    if (this.readsOut === 0) return;
    if (this.changedAt.size >= MAX_CHANGES_TRACKED) {
      this.changedAt.clear();
      this.everythingChangedAt = this.notifications;
    } else {
      this.changedAt.set(customerId, this.notifications);
    }
  }

  /** Usage inserted by one transaction: each held total takes its amounts, or is dropped. */
  private usageAdded(payload: string): void {
    const groups = payload.split(';');
    const xid = /^\d+$/.test(groups[1] ?? '') ? BigInt(groups[1]) : null;
    for (let at = 2; at < groups.length; at += 1) {
      const group = groups[at];
      const customerId = group.slice(0, group.indexOf(','));
      this.changedDuringReads(customerId);
      // Most notices name customers of whom nothing is held (ingest runs in every API process).
      const features = this.usage.get(customerId);
      if (!features) continue;
      const fields = group.split(',');
      const held = features.get(fields[1]);
      if (!held) continue;
      if (xid === null || !added(held, xid, fields)) features.delete(fields[1]);
    }
  }

  private drop(customerId: string): void {
    this.usage.delete(customerId);
    const refs = this.refsById.get(customerId);
    if (!refs) return;
    for (const ref of refs) this.byRef.delete(ref);
    this.refsById.delete(customerId);
  }

  private clear(): void {
    this.byRef.clear();
    this.refsById.clear();
    this.usage.clear();
  }
}

/**
 * Adds a notice's amounts for one customer and feature to a held total; false when the total after
 * them cannot be told (then it is dropped and read again).
 */
function added(held: HeldUsage, xid: bigint, fields: string[]): boolean {
  if (held.snapshot === null || fields.length !== 7) return false;
  if (!fields.slice(2).every((field) => /^-?\d+$/.test(field))) return false;
  // The read that counted the total already saw this transaction's events.
  if (saw(held.snapshot, xid)) return true;
  const [firstMs, lastMs, sum, events, corrections] = fields.slice(2).map(Number);
  if (![firstMs, lastMs, sum, events, corrections].every(Number.isSafeInteger)) return false;
  if (lastMs < held.startMs || firstMs >= held.endMs) return true; // none of them in the period
  if (firstMs < held.startMs || lastMs >= held.endMs) return false; // some in it, some not
  // As usage-aggregates.ts counts: a sum takes corrections' (negative) quantities; a count, the events
  // that are not corrections less the corrections. Other aggregations depend on the events themselves.
  const amount =
    held.aggregation === 'sum' ? sum : held.aggregation === 'count' ? events - 2 * corrections : null;
  if (amount === null || !Number.isSafeInteger(held.value + amount)) return false;
  held.value += amount;
  return true;
}

/** The customer's state at `now`: staff grants past their expiry no longer count. */
export function stateAt(snapshot: CustomerSnapshot, now: Date): CustomerState {
  const nowMs = now.getTime();
  return {
    customerId: snapshot.customerId,
    onHold: snapshot.onHold,
    subscriptions: snapshot.subscriptions,
    customerEntitlements:
      snapshot.entitlements.length === 0
        ? NO_ENTITLEMENTS
        : new Map(
            snapshot.entitlements.filter(
              ([, row]) => row.expiresAt === null || row.expiresAt.getTime() > nowMs,
            ),
          ),
  };
}

import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { UsageAlertKind } from '@astrix/contracts';
import { Clock } from '../../../platform/clock';
import { CommitListener, ENTITLEMENTS_CHANNEL } from '../../../platform/database/commit-listener';
import { Feature } from './feature.entity';

export interface AlertDefinition {
  id: string;
  customerId: string | null;
  featureId: string;
  kind: UsageAlertKind;
  threshold: number;
}

/** Features, plan grants, which plans bill usage, and alert definitions: small, read on every check. */
export interface EntitlementDefinitions {
  version: string;
  features: Map<string, Feature>;
  /** productId → featureId → limit (null = unlimited). */
  planFeatures: Map<string, Map<string, number | null>>;
  /** `${productId}|${featureId}` of plans with a usage price for the feature (any currency). */
  billedUsage: Set<string>;
  /** featureId → alert definitions. */
  alerts: Map<string, AlertDefinition[]>;
}

/**
 * An in-memory copy of the entitlement definitions, keyed by the version row that every change bumps in
 * its own transaction. Checks read the version with the customer's rows and call `at(version)`: a copy
 * older than a committed change is never used, in any process. Ingest, which only needs the feature
 * list, may use a copy up to a second old (`recent`).
 *
 * The copy is also invalidated by `LISTEN/NOTIFY`: a trigger on the version row notifies
 * `astrix_entitlements` when a change commits (whoever made it), and every process loads the new
 * definitions at once, so the first check after a change does not wait for the load. The version read
 * with each check stays the guarantee (a notification arrives after the commit, never before it).
 */
@Injectable()
export class EntitlementsCatalog {
  private readonly logger = new Logger(EntitlementsCatalog.name);
  private current: EntitlementDefinitions | null = null;
  private loadedAt = 0;
  private loading: Promise<EntitlementDefinitions> | null = null;
  private listening = false;
  /** Notifications (and reconnections) heard so far, and how many had been when `current` was read. */
  private notifications = 0;
  private currentSeen = -1;
  /** Changes heard of so far: notifications and this process's own invalidations. */
  private changes = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly listener: CommitListener,
  ) {}

  /**
   * Keeps the copy current from commit notifications. Called by the HTTP check route, so only
   * processes that answer checks hold the listening connection (not the CLI, not workers).
   */
  listenForChanges(): void {
    if (this.listening) return;
    this.listening = true;
    // Also fires after each (re)connection of the listener: changes made meanwhile are picked up.
    this.listener.on(ENTITLEMENTS_CHANNEL, () => {
      this.notifications += 1;
      this.changes += 1;
      // A load already running may have read before the change committed: load once more after it.
      const running = this.loading;
      const reloaded = running ? running.catch(() => undefined).then(() => this.reload()) : this.reload();
      reloaded.catch((error: unknown) =>
        this.logger.warn({ err: error }, 'entitlement definitions reload after a change failed'),
      );
    });
  }

  /** The definitions of exactly this version (or newer). */
  async at(version: string): Promise<EntitlementDefinitions> {
    const current = this.current;
    if (current && current.version === version) return current; // the common case: nothing changed
    const wanted = BigInt(version);
    for (;;) {
      const current = this.current;
      if (current && BigInt(current.version) >= wanted) return current;
      // A load already running may have started before this version committed: then load again.
      const loaded = await this.reload();
      if (BigInt(loaded.version) >= wanted) return loaded;
    }
  }

  /**
   * The copy in memory when it is known to be current: read after the last notification this process
   * has received, while listening. After `CommitListener.sync()`, that is every change committed before
   * the sync. Null when that is not known (not listening, a change announced and not reloaded yet).
   */
  fresh(): EntitlementDefinitions | null {
    const current = this.current;
    return this.listening && current && this.currentSeen === this.notifications ? current : null;
  }

  /** The copy in memory, of whatever age, or null before the first load. */
  latest(): EntitlementDefinitions | null {
    return this.current;
  }

  /** Definitions at most `maxAgeMs` old. */
  async recent(maxAgeMs = 1000): Promise<EntitlementDefinitions> {
    const current = this.current;
    if (current && this.clock.now().getTime() - this.loadedAt < maxAgeMs) return current;
    const askedAt = this.clock.now().getTime();
    const changes = this.changes;
    const [{ version }] = await this.dataSource.query(
      'SELECT version FROM billing.entitlements_version WHERE id = 1',
    );
    const definitions = await this.at(String(version));
    // Current as of the version read, unless a change was heard of since (then not fresh at all).
    if (changes === this.changes && this.current === definitions) this.loadedAt = askedAt;
    return definitions;
  }

  /** Bumps the version inside a change's transaction; call `invalidate()` after it commits. */
  async bump(manager: EntityManager): Promise<void> {
    await manager.query(
      'UPDATE billing.entitlements_version SET version = version + 1, updated_at = $1 WHERE id = 1',
      [this.clock.now()],
    );
  }

  invalidate(): void {
    this.changes += 1;
    this.current = null;
    this.currentSeen = -1;
  }

  private reload(): Promise<EntitlementDefinitions> {
    // One load at a time: a burst of checks after a change waits for the same query.
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(): Promise<EntitlementDefinitions> {
    const loadedAt = this.clock.now().getTime();
    const seen = this.notifications;
    const changes = this.changes;
    const definitions = await this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const [{ version }] = await manager.query(
        'SELECT version FROM billing.entitlements_version WHERE id = 1',
      );
      const features = await manager.find(Feature);
      const grants: Array<{ product_id: string; feature_id: string; limit: string | null }> =
        await manager.query(
          'SELECT product_id, feature_id, "limit" FROM billing.plan_features WHERE archived_at IS NULL',
        );
      const billed: Array<{ product_id: string; feature_id: string }> = await manager.query(
        'SELECT DISTINCT product_id, feature_id FROM billing.usage_prices WHERE effective_to IS NULL',
      );
      const alerts: Array<{
        id: string;
        customer_id: string | null;
        feature_id: string;
        kind: UsageAlertKind;
        threshold: string;
      }> = await manager.query(
        'SELECT id, customer_id, feature_id, kind, threshold FROM billing.usage_alerts WHERE deleted_at IS NULL ORDER BY id',
      );
      const planFeatures = new Map<string, Map<string, number | null>>();
      for (const grant of grants) {
        let plan = planFeatures.get(grant.product_id);
        if (!plan) planFeatures.set(grant.product_id, (plan = new Map()));
        plan.set(grant.feature_id, grant.limit === null ? null : Number(grant.limit));
      }
      const alertsByFeature = new Map<string, AlertDefinition[]>();
      for (const alert of alerts) {
        const list = alertsByFeature.get(alert.feature_id) ?? [];
        list.push({
          id: alert.id,
          customerId: alert.customer_id,
          featureId: alert.feature_id,
          kind: alert.kind,
          threshold: Number(alert.threshold),
        });
        alertsByFeature.set(alert.feature_id, list);
      }
      return {
        version: String(version),
        features: new Map(features.map((feature) => [feature.id, feature])),
        planFeatures,
        billedUsage: new Set(billed.map((row) => `${row.product_id}|${row.feature_id}`)),
        alerts: alertsByFeature,
      };
    });
    const current = this.current;
    if (!current || BigInt(definitions.version) >= BigInt(current.version)) {
      this.current = definitions;
      // A load overtaken by a change (it read before the change committed) is kept, but not as a
      // fresh copy: `recent` asks for the version again, `fresh` refuses it.
      this.loadedAt = changes === this.changes ? loadedAt : 0;
      this.currentSeen = seen;
    }
    return definitions;
  }
}

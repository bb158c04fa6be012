import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { CreateUsageAlertRequest, UsageAlertView } from '@astrix/contracts';
import { type Price, parseCurrencyCode } from '@astrix/pricing';
import { AuditService } from '../../../platform/audit/audit.service';
import { actorReference, RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { OutboxService } from '../../../platform/events/outbox.service';
import { AppError, NotFoundError } from '../../../platform/http/app-error';
import { newId } from '../../../platform/ids';
import { calendarMonth } from './entitlement-decision';
import { AlertDefinition, EntitlementsCatalog } from './entitlements-catalog';
import { EntitlementsService } from './entitlements.service';
import { Customer } from '../customers/customer.entity';
import { aggregateUsage, UsageWindow } from './usage-aggregates';
import { UsageAlert } from './usage-alert.entity';
import { priceUsage } from './usage-pricing';

export function toUsageAlertView(alert: UsageAlert): UsageAlertView {
  return {
    id: alert.id,
    customerId: alert.customerId,
    featureId: alert.featureId,
    kind: alert.kind,
    threshold: alert.threshold,
    createdAt: alert.createdAt.toISOString(),
    createdBy: alert.createdBy,
  };
}

interface Candidate {
  alert: AlertDefinition;
  customerId: string;
  limit: number | null;
  /** Units at which a percent or quantity alert fires; null for amount alerts. */
  thresholdQuantity: number | null;
  /** Amount alerts: the plan and currency the usage is priced in. */
  pricing: { productId: string; currency: string } | null;
  window: UsageWindow;
}

type Crossed = Candidate & { used: number; amount: number | null; currency: string | null };

/** A mark this old was left by a batch that did not get to evaluate it. */
const PENDING_SWEEP_AGE_MS = 60_000;

/**
 * Threshold alerts on usage: after events are stored, the alerts of the customers and features they
 * touched are compared with the period's usage; a crossing is recorded once per alert, customer and
 * period (the firing row's key) and announced by `billing.usage.threshold_reached` in the same commit.
 * Evaluated after the events commit, so concurrent batches cannot each miss the other's usage: the
 * later one sees both.
 */
@Injectable()
export class UsageAlertsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: EntitlementsCatalog,
    private readonly entitlements: EntitlementsService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  /** `pairs` are `${customerId}|${featureId}` whose usage just grew. */
  async evaluate(pairs: Iterable<string>): Promise<void> {
    const definitions = await this.catalog.recent();
    if (definitions.alerts.size === 0) return;
    const watched = [...pairs].flatMap((pair) => {
      const [customerId, featureId] = pair.split('|');
      const alerts = (definitions.alerts.get(featureId) ?? []).filter(
        (alert) => alert.customerId === null || alert.customerId === customerId,
      );
      const feature = definitions.features.get(featureId);
      return alerts.length > 0 && feature ? [{ customerId, featureId, alerts, feature }] : [];
    });
    if (watched.length === 0) return;
    // Concurrently: the entitlement service answers them with a few shared statements.
    const bases = await Promise.all(
      watched.map(({ customerId, featureId }) => this.entitlements.basis(customerId, featureId)),
    );
    const candidates: Candidate[] = [];
    for (const [index, { customerId, featureId, alerts, feature }] of watched.entries()) {
      const basis = bases[index];
      const month = calendarMonth(this.clock.now());
      const limit = basis.kind === 'basis' ? basis.basis.limit : null;
      const window: UsageWindow = {
        customerId,
        featureId,
        aggregation: feature.aggregation ?? 'sum',
        property: feature.aggregationProperty,
        from: basis.kind === 'basis' ? basis.basis.periodStart : month.start,
        to: basis.kind === 'basis' ? basis.basis.periodEnd : month.end,
      };
      for (const alert of alerts) {
        if (alert.kind === 'amount') {
          const terms = basis.kind === 'basis' ? basis.basis : null;
          if (terms?.productId && terms.currency) {
            const pricing = { productId: terms.productId, currency: terms.currency };
            candidates.push({ alert, customerId, limit, thresholdQuantity: null, pricing, window });
          }
          continue;
        }
        const thresholdQuantity =
          alert.kind === 'quantity'
            ? alert.threshold
            : limit === null || limit <= 0
              ? null
              : Math.ceil((limit * alert.threshold) / 100);
        if (thresholdQuantity !== null) {
          candidates.push({ alert, customerId, limit, thresholdQuantity, pricing: null, window });
        }
      }
    }
    const open = await this.notFiredYet(candidates);
    if (open.length === 0) return;
    const used = await aggregateUsage(
      this.dataSource,
      open.map((candidate) => candidate.window),
    );
    const prices = await this.usagePrices(open);
    const crossed = open.flatMap((candidate, index): Crossed[] => {
      const quantity = used[index];
      if (candidate.pricing === null) {
        const reached = candidate.thresholdQuantity !== null && quantity >= candidate.thresholdQuantity;
        return reached ? [{ ...candidate, used: quantity, amount: null, currency: null }] : [];
      }
      const { productId, currency } = candidate.pricing;
      const price = prices.get(`${productId}|${candidate.window.featureId}|${currency}`);
      if (!price) return [];
      const amount = priceUsage({
        price,
        quantity,
        currency: parseCurrencyCode(currency),
        allowance: candidate.limit,
      }).amount.amountMinor;
      return amount >= candidate.alert.threshold ? [{ ...candidate, used: quantity, amount, currency }] : [];
    });
    if (crossed.length === 0) return;
    await this.dataSource.transaction(async (manager) => {
      const customers = await manager.find(Customer, {
        where: crossed.map((candidate) => ({ id: candidate.customerId })),
        select: { id: true, userId: true },
      });
      const userIdOf = new Map(customers.map((customer) => [customer.id, customer.userId]));
      for (const candidate of crossed) {
        const inserted: unknown[] = await manager.query(
          `INSERT INTO billing.usage_alert_firings (alert_id, customer_id, period_start, used, fired_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING alert_id`,
          [candidate.alert.id, candidate.customerId, candidate.window.from, candidate.used, this.clock.now()],
        );
        if (inserted.length === 0) continue;
        await this.outbox.append(manager, {
          type: 'billing.usage.threshold_reached',
          subject: candidate.customerId,
          data: {
            alertId: candidate.alert.id,
            customerId: candidate.customerId,
            userId: userIdOf.get(candidate.customerId) ?? '',
            featureId: candidate.window.featureId,
            kind: candidate.alert.kind,
            threshold: candidate.alert.threshold,
            thresholdQuantity: candidate.thresholdQuantity,
            amount: candidate.amount,
            currency: candidate.currency,
            used: candidate.used,
            limit: candidate.limit,
            periodStart: candidate.window.from.toISOString(),
            periodEnd: candidate.window.to.toISOString(),
          },
        });
      }
    });
  }

  /**
   * Clears the marks a batch left once its alerts were evaluated (a later batch's marks stay). The rows
   * are locked in (customer, feature) order first, the order batches write marks in, so that clearing
   * and marking the same customers wait for each other instead of deadlocking.
   */
  async clearPending(batchId: string): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM billing.usage_alert_pending p
        USING (SELECT customer_id, feature_id FROM billing.usage_alert_pending WHERE marked_by = $1
                ORDER BY customer_id, feature_id FOR UPDATE) AS locked
        WHERE p.customer_id = locked.customer_id AND p.feature_id = locked.feature_id AND p.marked_by = $1`,
      [batchId],
    );
  }

  /**
   * Evaluates usage marked longer ago than `olderThanMs` and never cleared: the batch's process died
   * between storing the events and evaluating their alerts (or evaluating failed). Run by the
   * scheduled billing job; returns how many customer–feature pairs it evaluated.
   */
  async sweepPending(options: { olderThanMs?: number; limit?: number } = {}): Promise<number> {
    const { olderThanMs = PENDING_SWEEP_AGE_MS, limit = 1000 } = options;
    const pending: Array<{ customer_id: string; feature_id: string; marked_by: string }> =
      await this.dataSource.query(
        `SELECT customer_id, feature_id, marked_by FROM billing.usage_alert_pending
          WHERE marked_at <= $1 ORDER BY marked_at LIMIT $2`,
        [new Date(this.clock.now().getTime() - olderThanMs), limit],
      );
    if (pending.length === 0) return 0;
    await this.evaluate(pending.map((row) => `${row.customer_id}|${row.feature_id}`));
    // Only the marks read above: one a batch wrote since then is that batch's to clear.
    await this.dataSource.query(
      `DELETE FROM billing.usage_alert_pending p
        USING (SELECT q.customer_id, q.feature_id, q.marked_by FROM billing.usage_alert_pending q
                 JOIN unnest($1::text[], $2::text[], $3::text[]) AS done(customer_id, feature_id, marked_by)
                   ON q.customer_id = done.customer_id AND q.feature_id = done.feature_id
                  AND q.marked_by = done.marked_by
                ORDER BY q.customer_id, q.feature_id FOR UPDATE OF q) AS locked
        WHERE p.customer_id = locked.customer_id AND p.feature_id = locked.feature_id
          AND p.marked_by = locked.marked_by`,
      [
        pending.map((row) => row.customer_id),
        pending.map((row) => row.feature_id),
        pending.map((row) => row.marked_by),
      ],
    );
    return pending.length;
  }

  /** Candidates whose alert has not fired for the customer in this period (most, once all have fired, none). */
  private async notFiredYet(candidates: Candidate[]): Promise<Candidate[]> {
    if (candidates.length === 0) return [];
    const fired: Array<{ alert_id: string; customer_id: string }> = await this.dataSource.query(
      `SELECT f.alert_id, f.customer_id
         FROM json_to_recordset($1::json) AS r(a text, c text, p timestamptz)
         JOIN billing.usage_alert_firings f ON f.alert_id = r.a AND f.customer_id = r.c AND f.period_start = r.p`,
      [
        JSON.stringify(
          candidates.map((candidate) => ({
            a: candidate.alert.id,
            c: candidate.customerId,
            p: candidate.window.from.toISOString(),
          })),
        ),
      ],
    );
    const done = new Set(fired.map((row) => `${row.alert_id}|${row.customer_id}`));
    return candidates.filter((candidate) => !done.has(`${candidate.alert.id}|${candidate.customerId}`));
  }

  /** The usage prices amount alerts need, by `${productId}|${featureId}|${currency}`. */
  private async usagePrices(candidates: Candidate[]): Promise<Map<string, Price>> {
    const wanted = candidates.flatMap((candidate) =>
      candidate.pricing
        ? [{ p: candidate.pricing.productId, f: candidate.window.featureId, c: candidate.pricing.currency }]
        : [],
    );
    if (wanted.length === 0) return new Map();
    const rows: Array<{ product_id: string; feature_id: string; currency: string; price: Price }> =
      await this.dataSource.query(
        `SELECT up.product_id, up.feature_id, up.currency, up.price
           FROM json_to_recordset($1::json) AS r(p text, f text, c text)
           JOIN billing.usage_prices up ON up.product_id = r.p AND up.feature_id = r.f AND up.currency = r.c
                AND up.effective_to IS NULL`,
        [JSON.stringify(wanted)],
      );
    return new Map(rows.map((row) => [`${row.product_id}|${row.feature_id}|${row.currency}`, row.price]));
  }

  async create(input: CreateUsageAlertRequest, context: RequestContext): Promise<UsageAlertView> {
    const definitions = await this.catalog.recent(0);
    const feature = definitions.features.get(input.featureId);
    if (!feature) throw new NotFoundError('feature', input.featureId);
    if (feature.kind === 'boolean') {
      throw new AppError(
        422,
        'VALIDATION_ERROR',
        `feature ${feature.id} takes no usage: it cannot have alerts`,
      );
    }
    if (input.kind === 'amount' && feature.kind !== 'metered') {
      throw new AppError(
        422,
        'VALIDATION_ERROR',
        `only metered features are priced: ${feature.id} is ${feature.kind}`,
      );
    }
    if (input.kind === 'percent_of_allowance' && input.threshold > 1000) {
      throw new AppError(422, 'VALIDATION_ERROR', 'a percent threshold must be at most 1000');
    }
    const view = await this.dataSource.transaction(async (manager) => {
      let customerId: string | null = null;
      if (input.customerId) {
        const customer = await manager.findOne(Customer, {
          where: [{ id: input.customerId }, { userId: input.customerId }],
        });
        if (!customer) throw new NotFoundError('customer', input.customerId);
        customerId = customer.id;
      }
      const alert = manager.create(UsageAlert, {
        id: newId('ual'),
        customerId,
        featureId: feature.id,
        kind: input.kind,
        threshold: input.threshold,
        createdBy: actorReference(context.actor).id,
        createdAt: this.clock.now(),
        deletedAt: null,
      });
      await manager.insert(UsageAlert, alert);
      const created = toUsageAlertView(alert);
      await this.audit.record(manager, context, {
        action: 'usage_alert.created',
        resourceType: 'usage_alert',
        resourceId: alert.id,
        after: { ...created },
      });
      await this.catalog.bump(manager);
      return created;
    });
    this.catalog.invalidate();
    return view;
  }

  async list(query: { featureId?: string; customerId?: string }): Promise<{ data: UsageAlertView[] }> {
    const alerts = await this.dataSource.getRepository(UsageAlert).find({
      where: {
        ...(query.featureId ? { featureId: query.featureId } : {}),
        ...(query.customerId ? { customerId: query.customerId } : {}),
      },
      order: { id: 'ASC' },
    });
    return { data: alerts.filter((alert) => alert.deletedAt === null).map(toUsageAlertView) };
  }

  async remove(id: string, context: RequestContext): Promise<UsageAlertView> {
    const view = await this.dataSource.transaction(async (manager) => {
      const alert = await manager.findOne(UsageAlert, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!alert || alert.deletedAt) throw new NotFoundError('usage alert', id);
      await manager.update(UsageAlert, { id }, { deletedAt: this.clock.now() });
      const before = toUsageAlertView(alert);
      await this.audit.record(manager, context, {
        action: 'usage_alert.deleted',
        resourceType: 'usage_alert',
        resourceId: id,
        before: { ...before },
      });
      await this.catalog.bump(manager);
      return before;
    });
    this.catalog.invalidate();
    return view;
  }
}

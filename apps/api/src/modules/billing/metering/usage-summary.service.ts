import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { UsageSummary } from '@astrix/contracts';
import { Clock } from '../../../platform/clock';
import { AppError, NotFoundError } from '../../../platform/http/app-error';
import { calendarMonth } from './entitlement-decision';
import { EntitlementsCatalog } from './entitlements-catalog';
import { EntitlementsService } from './entitlements.service';
import { aggregateUsage, aggregateUsageByDay, UsageWindow } from './usage-aggregates';

const MAX_RANGE_MS = 400 * 24 * 60 * 60 * 1000;

/** Consumption dashboards: a feature's metric over a range (default: the current period) and per day. */
@Injectable()
export class UsageSummaryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: EntitlementsCatalog,
    private readonly entitlements: EntitlementsService,
    private readonly clock: Clock,
  ) {}

  /** Our customer id of an id or external reference, or null. */
  async customerIdOf(ref: string): Promise<string | null> {
    const [row] = await this.dataSource.query(
      'SELECT id FROM billing.customers WHERE id = $1 OR user_id = $1 ORDER BY (id = $1) DESC LIMIT 1',
      [ref],
    );
    return (row?.id as string | undefined) ?? null;
  }

  async summary(query: {
    customerId: string;
    featureId: string;
    from?: Date;
    to?: Date;
  }): Promise<UsageSummary> {
    const customerId = await this.customerIdOf(query.customerId);
    if (!customerId) throw new NotFoundError('customer', query.customerId.slice(0, 64));
    const feature = (await this.catalog.recent()).features.get(query.featureId);
    if (!feature || feature.kind === 'boolean') throw new NotFoundError('metered feature', query.featureId);
    let { from, to } = query;
    if (!from || !to) {
      const basis = await this.entitlements.basis(customerId, feature.id);
      const period =
        basis.kind === 'basis'
          ? { start: basis.basis.periodStart, end: basis.basis.periodEnd }
          : calendarMonth(this.clock.now());
      from ??= period.start;
      to ??= period.end;
    }
    if (to.getTime() <= from.getTime() || to.getTime() - from.getTime() > MAX_RANGE_MS) {
      throw new AppError(400, 'VALIDATION_ERROR', 'to must be after from, at most 400 days later', [
        { field: 'to', message: 'must be after from, at most 400 days later' },
      ]);
    }
    const window: UsageWindow = {
      customerId,
      featureId: feature.id,
      aggregation: feature.aggregation ?? 'sum',
      property: feature.aggregationProperty,
      from,
      to,
    };
    const [value] = await aggregateUsage(this.dataSource, [window]);
    const days = await aggregateUsageByDay(this.dataSource, window);
    return {
      customerId,
      featureId: feature.id,
      aggregation: window.aggregation,
      unit: feature.unit,
      from: from.toISOString(),
      to: to.toISOString(),
      value,
      days,
    };
  }
}

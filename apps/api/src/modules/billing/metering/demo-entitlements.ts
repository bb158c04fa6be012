import type { EntityManager } from 'typeorm';
import type { FeatureKind, UsageAggregation } from '@astrix/contracts';
import { type CurrencyCode, type Price, assertPrice, moneyFromDecimal } from '@astrix/pricing';
import type { AuditService } from '../../../platform/audit/audit.service';
import type { RequestContext } from '../../../platform/auth/actor';
import { UsagePrice } from './usage-price.entity';
import { Feature } from './feature.entity';
import { PlanFeature } from './plan-feature.entity';

interface DemoFeature {
  id: string;
  name: string;
  description: string;
  kind: FeatureKind;
  unit: string | null;
  aggregation: UsageAggregation | null;
  /** What the demo plan `pro-monthly` grants: the cap or allowance (null = unlimited). */
  proMonthly: { limit: number | null; prices?: Partial<Record<CurrencyCode, Price>> };
}

/** $1.00 (or €0.90) per started 1,000 calls beyond the allowance. */
const perThousandCalls = (amount: string, currency: CurrencyCode): Price => ({
  model: 'package',
  packageSize: 1000,
  packageAmount: { [currency]: moneyFromDecimal(amount, currency).amountMinor },
});

export const DEMO_FEATURES: readonly DemoFeature[] = [
  {
    id: 'advanced-analytics',
    name: 'Advanced analytics',
    description: 'Equity curves, drawdown and expectancy reports across accounts.',
    kind: 'boolean',
    unit: null,
    aggregation: null,
    proMonthly: { limit: null },
  },
  {
    id: 'trade-journal-entries',
    name: 'Trade journal entries',
    description: 'Journal entries with screenshots, per billing period.',
    kind: 'limit',
    unit: 'entries',
    aggregation: 'count',
    proMonthly: { limit: 500 },
  },
  {
    id: 'market-data-api-calls',
    name: 'Market data API calls',
    description: 'Calls to the historical market data API; beyond the allowance, billed per 1,000.',
    kind: 'metered',
    unit: 'calls',
    aggregation: 'sum',
    proMonthly: {
      limit: 10_000,
      prices: { USD: perThousandCalls('1.00', 'USD'), EUR: perThousandCalls('0.90', 'EUR') },
    },
  },
];

/**
 * Inserts the demo features that do not exist yet and grants them to `pro-monthly` (when that plan
 * exists and does not grant them already), in the demo catalog seed's transaction, audited. Nothing
 * existing is changed. Returns the ids of the features created.
 */
export async function insertMissingDemoEntitlements(
  manager: EntityManager,
  audit: AuditService,
  context: RequestContext,
  now: Date,
): Promise<string[]> {
  const created: string[] = [];
  const [plan] = await manager.query(`SELECT id FROM billing.products WHERE slug = 'pro-monthly'`);
  const planId = (plan?.id as string | undefined) ?? null;
  for (const demo of DEMO_FEATURES) {
    if (await manager.exists(Feature, { where: { id: demo.id } })) continue;
    const feature = manager.create(Feature, {
      id: demo.id,
      name: demo.name,
      description: demo.description,
      kind: demo.kind,
      unit: demo.unit,
      aggregation: demo.aggregation,
      aggregationProperty: null,
      status: 'active',
      createdAt: now,
      updatedAt: now,
    });
    await manager.insert(Feature, feature);
    await audit.record(manager, context, {
      action: 'feature.created',
      resourceType: 'feature',
      resourceId: demo.id,
      after: { id: demo.id, name: demo.name, kind: demo.kind, aggregation: demo.aggregation },
    });
    created.push(demo.id);
    if (
      !planId ||
      (await manager.exists(PlanFeature, { where: { productId: planId, featureId: demo.id } }))
    ) {
      continue;
    }
    await manager.insert(PlanFeature, {
      productId: planId,
      featureId: demo.id,
      limit: demo.proMonthly.limit,
      createdAt: now,
      updatedAt: now,
    });
    const prices = Object.entries(demo.proMonthly.prices ?? {}).map(([currency, price]) => {
      assertPrice(price);
      return manager.create(UsagePrice, {
        productId: planId,
        featureId: demo.id,
        currency,
        price,
        effectiveFrom: now,
        effectiveTo: null,
        createdAt: now,
        updatedAt: now,
      });
    });
    if (prices.length > 0) await manager.insert(UsagePrice, prices);
    await audit.record(manager, context, {
      action: 'plan_feature.granted',
      resourceType: 'plan_feature',
      resourceId: `${planId}/${demo.id}`,
      after: { limit: demo.proMonthly.limit, currencies: prices.map((price) => price.currency) },
    });
  }
  if (created.length > 0) {
    await manager.query(
      'UPDATE billing.entitlements_version SET version = version + 1, updated_at = $1 WHERE id = 1',
      [now],
    );
  }
  return created;
}

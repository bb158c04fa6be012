import type {
  CustomerEntitlementView,
  FeatureView,
  PlanFeatureView,
  UsagePriceInput,
  UsagePriceView,
} from '@astrix/contracts';
import type { CurrencyCode, Price } from '@astrix/pricing';
import type { CustomerEntitlement } from './customer-entitlement.entity';
import type { Feature } from './feature.entity';
import type { PlanFeature } from './plan-feature.entity';
import type { UsagePrice } from './usage-price.entity';

/** Views and price conversions of the entitlement admin: pure, no I/O. */

export function toFeatureView(feature: Feature): FeatureView {
  return {
    id: feature.id,
    name: feature.name,
    description: feature.description,
    kind: feature.kind,
    unit: feature.unit,
    aggregation: feature.aggregation,
    aggregationProperty: feature.aggregationProperty,
    status: feature.status,
    createdAt: feature.createdAt.toISOString(),
    updatedAt: feature.updatedAt.toISOString(),
  };
}

export function toCustomerEntitlementView(row: CustomerEntitlement): CustomerEntitlementView {
  return {
    id: row.id,
    customerId: row.customerId,
    featureId: row.featureId,
    kind: row.kind,
    enabled: row.enabled,
    limit: row.limit,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    reason: row.reason,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    revokedBy: row.revokedBy,
  };
}

/** The stored @astrix/pricing price of one currency, from the API's flat shape. */
export function toPricingPrice(input: UsagePriceInput, currency: CurrencyCode): Price {
  const amount = (value: number | undefined) => (value === undefined ? undefined : { [currency]: value });
  const free = input.freeQuantity === undefined ? {} : { freeQuantity: input.freeQuantity };
  switch (input.model) {
    case 'per_unit':
      return { model: 'per_unit', unitAmount: { [currency]: input.unitAmount ?? 0 }, ...free };
    case 'package':
      return {
        model: 'package',
        packageSize: input.packageSize ?? 0,
        packageAmount: { [currency]: input.packageAmount ?? 0 },
        ...free,
      };
    case 'graduated':
    case 'volume':
      return {
        model: input.model,
        tiers: (input.tiers ?? []).map((tier) => ({
          upTo: tier.upTo,
          ...(tier.unitAmount === undefined ? {} : { unitAmount: amount(tier.unitAmount) }),
          ...(tier.flatAmount === undefined ? {} : { flatAmount: amount(tier.flatAmount) }),
        })),
        ...free,
      };
  }
}

function toUsagePriceView(row: UsagePrice): UsagePriceView {
  const price = row.price;
  const currency = row.currency as CurrencyCode;
  const base = {
    currency: row.currency,
    ...('freeQuantity' in price && price.freeQuantity !== undefined
      ? { freeQuantity: price.freeQuantity }
      : {}),
  };
  switch (price.model) {
    case 'per_unit':
      return { ...base, model: 'per_unit', unitAmount: price.unitAmount[currency] };
    case 'package':
      return {
        ...base,
        model: 'package',
        packageSize: price.packageSize,
        packageAmount: price.packageAmount[currency],
      };
    case 'graduated':
    case 'volume':
      return {
        ...base,
        model: price.model,
        tiers: price.tiers.map((tier) => ({
          upTo: tier.upTo,
          ...(tier.unitAmount ? { unitAmount: tier.unitAmount[currency] } : {}),
          ...(tier.flatAmount ? { flatAmount: tier.flatAmount[currency] } : {}),
        })),
      };
    default:
      throw new Error(`usage price of model ${price.model} is not supported`);
  }
}

export function samePrice(a: Price, b: Price): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function planFeatureView(grant: PlanFeature, prices: UsagePrice[]): PlanFeatureView {
  return {
    productId: grant.productId,
    featureId: grant.featureId,
    limit: grant.limit,
    prices: prices.filter((price) => price.featureId === grant.featureId).map(toUsagePriceView),
    updatedAt: grant.updatedAt.toISOString(),
  };
}

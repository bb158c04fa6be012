import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { UsageAggregation } from '@astrix/contracts';
import { type CurrencyCode, type Price, divide, parseCurrencyCode } from '@astrix/pricing';
import { ClosedUsagePeriod, UsageCharges, UsageInvoiceLine } from '../subscriptions/usage-charges.port';
import { aggregateUsage, UsageWindow } from './usage-aggregates';
import { priceUsage } from './usage-pricing';

interface PriceRow {
  product_id: string;
  feature_id: string;
  currency: string;
  price: Price;
  name: string;
  unit: string | null;
  aggregation: UsageAggregation;
  aggregation_property: string | null;
  allowance: string | null;
}

/**
 * Usage lines of closed subscription periods, in arrears: for every usage price of the period's plan in
 * its currency, the feature's metric over the period, priced by @astrix/pricing with the plan's allowance
 * (or the price's own free quantity, or a staff override's limit live at the period's end) free.
 * Three statements per call whatever the number of periods: prices, overrides, usage.
 */
@Injectable()
export class UsageChargesService extends UsageCharges {
  async linesFor(
    manager: EntityManager,
    periods: readonly ClosedUsagePeriod[],
  ): Promise<Map<string, UsageInvoiceLine[]>> {
    const lines = new Map<string, UsageInvoiceLine[]>();
    if (periods.length === 0) return lines;
    const prices: PriceRow[] = await manager.query(
      `SELECT up.product_id, up.feature_id, up.currency, up.price, f.name, f.unit, f.aggregation,
              f.aggregation_property, pf."limit" AS allowance
         FROM billing.usage_prices up
         JOIN billing.features f ON f.id = up.feature_id
         LEFT JOIN billing.plan_features pf ON pf.product_id = up.product_id AND pf.feature_id = up.feature_id
        WHERE up.product_id = ANY($1::text[]) AND up.currency = ANY($2::text[])
        ORDER BY up.feature_id`,
      [[...new Set(periods.map((p) => p.productId))], [...new Set(periods.map((p) => p.currency))]],
    );
    if (prices.length === 0) return lines;
    const byPlan = new Map<string, PriceRow[]>();
    for (const price of prices) {
      const key = `${price.product_id}|${price.currency}`;
      byPlan.set(key, [...(byPlan.get(key) ?? []), price]);
    }
    const items = periods.flatMap((period) =>
      (byPlan.get(`${period.productId}|${period.currency}`) ?? []).map((price) => ({ period, price })),
    );
    if (items.length === 0) return lines;
    const overrides: Array<{ customer_id: string; feature_id: string; limit: string | null }> =
      await manager.query(
        `SELECT DISTINCT ON (e.customer_id, e.feature_id) e.customer_id, e.feature_id, e."limit"
         FROM json_to_recordset($1::json) AS r(c text, f text, at timestamptz)
         JOIN billing.customer_entitlements e ON e.customer_id = r.c AND e.feature_id = r.f
        WHERE e.enabled AND e.created_at < r.at AND (e.revoked_at IS NULL OR e.revoked_at >= r.at)
          AND (e.expires_at IS NULL OR e.expires_at >= r.at)
        ORDER BY e.customer_id, e.feature_id, e.created_at DESC`,
        [
          JSON.stringify(
            items.map(({ period, price }) => ({
              c: period.customerId,
              f: price.feature_id,
              at: period.periodEnd,
            })),
          ),
        ],
      );
    const overrideOf = new Map(overrides.map((row) => [`${row.customer_id}|${row.feature_id}`, row.limit]));
    const windows: UsageWindow[] = items.map(({ period, price }) => ({
      customerId: period.customerId,
      featureId: price.feature_id,
      aggregation: price.aggregation,
      property: price.aggregation_property,
      from: period.periodStart,
      to: period.periodEnd,
    }));
    const usage = await aggregateUsage(manager, windows);
    items.forEach(({ period, price }, index) => {
      const quantity = Math.max(0, usage[index]);
      if (quantity === 0) return;
      const currency: CurrencyCode = parseCurrencyCode(period.currency);
      const overridden = overrideOf.get(`${period.customerId}|${price.feature_id}`);
      const allowance = overridden !== undefined ? overridden : price.allowance;
      const priced = priceUsage({
        price: price.price,
        quantity,
        currency,
        allowance: allowance === null ? null : Number(allowance),
      });
      const unitAmount =
        priced.billableQuantity > 0 ? divide(priced.amount, priced.billableQuantity).amountMinor : 0;
      const unit = price.unit ? ` ${price.unit}` : '';
      const line: UsageInvoiceLine = {
        featureId: price.feature_id,
        description:
          priced.freeQuantity > 0
            ? `${price.name}: ${quantity}${unit}, ${priced.freeQuantity} included, ${priced.billableQuantity} billed`
            : `${price.name}: ${quantity}${unit}`,
        quantity: priced.billableQuantity,
        unitAmount,
        amount: priced.amount.amountMinor,
        periodStart: period.periodStart,
        periodEnd: period.periodEnd,
      };
      lines.set(period.subscriptionId, [...(lines.get(period.subscriptionId) ?? []), line]);
    });
    return lines;
  }
}

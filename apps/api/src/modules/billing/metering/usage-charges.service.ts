import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { UsageAggregation } from '@astrix/contracts';
import { type CurrencyCode, type Price, divide, parseCurrencyCode } from '@astrix/pricing';
import { newId } from '../../../platform/ids';
import {
  ClosedUsagePeriod,
  UsageCharges,
  UsageCloseReason,
  UsageInvoiceLine,
} from '../subscriptions/usage-charges.port';
import { aggregateUsage, UsageWindow } from './usage-aggregates';
import { UsagePeriod } from './usage-period.entity';
import { priceUsage } from './usage-pricing';
import { priceWindowsOf, type PriceVersion } from './usage-price-versions';
import { preparedQuery } from '../../../platform/database/prepared-query';

interface PriceRow {
  k: number;
  product_id: string;
  feature_id: string;
  currency: string;
  price: Price;
  effective_from: Date;
  effective_to: Date | null;
  name: string;
  unit: string | null;
  aggregation: UsageAggregation;
  aggregation_property: string | null;
  allowance: string | null;
}

/** One stretch of usage to price: a subscription's plan over [from, to). */
interface Stretch {
  subscriptionId: string;
  customerId: string;
  productId: string;
  currency: string;
  from: Date;
  to: Date;
}

/**
 * Where each period's open stretch starts: after the last stretch closed early since the period
 * started, if any (at or past the period's end when that stretch ran beyond it: nothing is open).
 * `windows` names the parameter holding `openStartWindows`; rows are (k, start).
 */
const openStartSql = (windows: string): string => `
  SELECT r.k, (SELECT max(p.period_end) FROM billing.usage_periods p
                WHERE p.subscription_id = r.s AND p.period_end > r.f) AS start
    FROM json_to_recordset(${windows}::json) AS r(k int, s text, f timestamptz)`;

function openStartWindows(periods: readonly ClosedUsagePeriod[]): string {
  return JSON.stringify(
    periods.map((period, k) => ({ k, s: period.subscriptionId, f: period.periodStart.toISOString() })),
  );
}

/** Each period's open start from `openStartSql`'s rows (the period's start where none closed early). */
function openStartsOf(
  periods: readonly ClosedUsagePeriod[],
  rows: ReadonlyArray<{ k: number | null; start: Date | null }>,
): Date[] {
  const byIndex = new Map(rows.map((row) => [Number(row.k), row.start]));
  return periods.map((period, k) => byIndex.get(k) ?? period.periodStart);
}

/**
 * Usage lines of subscription periods, in arrears: for every usage price version of the plan in force
 * over each stretch of the period (stretches closed early by a cancel now, a pause or a plan change
 * now, then the rest), the feature's metric over the time that version was in force, priced by
 * @astrix/pricing with the plan's allowance (or the price's own free quantity, or a staff override's
 * limit live at the stretch's end) free, consumed in time order. A fixed number of statements per call
 * whatever the number of periods.
 */
@Injectable()
export class UsageChargesService extends UsageCharges {
  async closeEarly(
    manager: EntityManager,
    period: ClosedUsagePeriod,
    reason: UsageCloseReason,
    now: Date,
  ): Promise<void> {
    const from = (await this.openStarts(manager, [period]))[0];
    if (from >= period.periodEnd) return;
    await manager.insert(UsagePeriod, {
      id: newId('usp'),
      subscriptionId: period.subscriptionId,
      customerId: period.customerId,
      productId: period.productId,
      currency: period.currency,
      periodStart: from,
      periodEnd: period.periodEnd,
      closedBy: reason,
      invoiceKey: null,
      invoicedAt: null,
      createdAt: now,
    });
  }

  async linesFor(
    manager: EntityManager,
    periods: readonly ClosedUsagePeriod[],
  ): Promise<Map<string, UsageInvoiceLine[]>> {
    const lines = new Map<string, UsageInvoiceLine[]>();
    if (periods.length === 0) return lines;
    const keyed = periods.filter((period) => period.invoiceKey !== undefined);
    // One statement: the stretches closed early and not yet invoiced (marked with the invoice key
    // where there is one), and where each period's open stretch starts (`openStartSql`).
    const rows: Array<{
      k: number | null;
      start: Date | null;
      subscription_id: string | null;
      customer_id: string;
      product_id: string;
      currency: string;
      period_start: Date;
      period_end: Date;
    }> = await preparedQuery(
      manager,
      `WITH closed AS (
         SELECT id, subscription_id, customer_id, product_id, currency, period_start, period_end
           FROM billing.usage_periods WHERE subscription_id = ANY($1::text[]) AND invoice_key IS NULL
       ), marked AS (
         UPDATE billing.usage_periods p SET invoice_key = r.k, invoiced_at = now()
           FROM json_to_recordset($2::json) AS r(s text, k text)
          WHERE p.subscription_id = r.s AND p.invoice_key IS NULL AND p.id IN (SELECT id FROM closed)
       )
       SELECT NULL::int AS k, NULL::timestamptz AS start, subscription_id, customer_id, product_id, currency,
              period_start, period_end
         FROM closed
       UNION ALL
       SELECT o.k, o.start, NULL, NULL, NULL, NULL, NULL, NULL FROM (${openStartSql('$3')}) o`,
      [
        [...new Set(periods.map((period) => period.subscriptionId))],
        JSON.stringify(keyed.map((period) => ({ s: period.subscriptionId, k: period.invoiceKey }))),
        openStartWindows(periods),
      ],
    );
    const closed = rows
      .filter((row) => row.subscription_id !== null)
      .map((row) => ({
        subscriptionId: row.subscription_id as string,
        customerId: row.customer_id,
        productId: row.product_id,
        currency: row.currency,
        periodStart: row.period_start,
        periodEnd: row.period_end,
      }))
      .sort((a, b) => a.periodStart.getTime() - b.periodStart.getTime());
    const starts = openStartsOf(
      periods,
      rows.filter((row) => row.subscription_id === null),
    );
    const stretches: Stretch[] = [];
    for (const [index, period] of periods.entries()) {
      for (const stretch of closed.filter((row) => row.subscriptionId === period.subscriptionId)) {
        stretches.push({ ...stretch, from: stretch.periodStart, to: stretch.periodEnd });
      }
      if (starts[index] < period.periodEnd) {
        stretches.push({ ...period, from: starts[index], to: period.periodEnd });
      }
    }
    for (const [subscriptionId, line] of await this.price(manager, stretches)) {
      lines.set(subscriptionId, [...(lines.get(subscriptionId) ?? []), line]);
    }
    return lines;
  }

  private async openStarts(manager: EntityManager, periods: readonly ClosedUsagePeriod[]): Promise<Date[]> {
    return openStartsOf(
      periods,
      await preparedQuery(manager, openStartSql('$1'), [openStartWindows(periods)]),
    );
  }

  /** The lines of each stretch, keyed by subscription, in stretch then feature then time order. */
  private async price(
    manager: EntityManager,
    stretches: readonly Stretch[],
  ): Promise<Array<[string, UsageInvoiceLine]>> {
    if (stretches.length === 0) return [];
    // The price versions and the plan allowance in force at some time of each stretch.
    const prices: PriceRow[] = await preparedQuery(
      manager,
      `SELECT r.k, up.product_id, up.feature_id, up.currency, up.price, up.effective_from, up.effective_to,
              f.name, f.unit, f.aggregation, f.aggregation_property, pf."limit" AS allowance
         FROM json_to_recordset($1::json) AS r(k int, p text, c text, f timestamptz, t timestamptz)
         JOIN billing.usage_prices up ON up.product_id = r.p AND up.currency = r.c
              AND up.effective_from < r.t AND (up.effective_to IS NULL OR up.effective_to > r.f)
         JOIN billing.features f ON f.id = up.feature_id
         LEFT JOIN billing.plan_features pf ON pf.product_id = up.product_id AND pf.feature_id = up.feature_id
              AND (pf.archived_at IS NULL OR pf.archived_at > r.f)
        ORDER BY r.k, up.feature_id, up.effective_from`,
      [
        JSON.stringify(
          stretches.map((stretch, k) => ({
            k,
            p: stretch.productId,
            c: stretch.currency,
            f: stretch.from.toISOString(),
            t: stretch.to.toISOString(),
          })),
        ),
      ],
    );
    if (prices.length === 0) return [];
    const overrides: Array<{ k: number; feature_id: string; limit: string | null }> = await preparedQuery(
      manager,
      `SELECT DISTINCT ON (r.k, e.feature_id) r.k, e.feature_id, e."limit"
         FROM json_to_recordset($1::json) AS r(k int, c text, f text, at timestamptz)
         JOIN billing.customer_entitlements e ON e.customer_id = r.c AND e.feature_id = r.f
        WHERE e.enabled AND e.created_at < r.at AND (e.revoked_at IS NULL OR e.revoked_at >= r.at)
          AND (e.expires_at IS NULL OR e.expires_at >= r.at)
        ORDER BY r.k, e.feature_id, e.created_at DESC`,
      [
        JSON.stringify(
          prices.map((price) => ({
            k: Number(price.k),
            c: stretches[Number(price.k)].customerId,
            f: price.feature_id,
            at: stretches[Number(price.k)].to.toISOString(),
          })),
        ),
      ],
    );
    const overrideOf = new Map(overrides.map((row) => [`${row.k}|${row.feature_id}`, row.limit]));
    // Each version priced over the part of the stretch it was in force.
    const pieces = prices.flatMap((price) => {
      const stretch = stretches[Number(price.k)];
      const version: PriceVersion = { from: price.effective_from, to: price.effective_to };
      const window = priceWindowsOf(stretch, version);
      return window ? [{ price, stretch, window }] : [];
    });
    const windows: UsageWindow[] = pieces.map(({ price, stretch, window }) => ({
      customerId: stretch.customerId,
      featureId: price.feature_id,
      aggregation: price.aggregation,
      property: price.aggregation_property,
      from: window.from,
      to: window.to,
    }));
    const usage = await aggregateUsage(manager, windows);
    const result: Array<[string, UsageInvoiceLine]> = [];
    // The allowance is per stretch and feature, used up by its versions in time order.
    const used = new Map<string, number>();
    pieces.forEach(({ price, stretch, window }, index) => {
      const quantity = Math.max(0, usage[index]);
      if (quantity === 0) return;
      const key = `${price.k}|${price.feature_id}`;
      const currency: CurrencyCode = parseCurrencyCode(stretch.currency);
      const overridden = overrideOf.get(key);
      const granted = overridden !== undefined ? overridden : price.allowance;
      const before = used.get(key) ?? 0;
      used.set(key, before + quantity);
      const allowance = granted === null ? null : Math.max(0, Number(granted) - before);
      const priced = priceUsage({ price: price.price, quantity, currency, allowance });
      const unitAmount =
        priced.billableQuantity > 0 ? divide(priced.amount, priced.billableQuantity).amountMinor : 0;
      const unit = price.unit ? ` ${price.unit}` : '';
      result.push([
        stretch.subscriptionId,
        {
          featureId: price.feature_id,
          productId: stretch.productId,
          description:
            priced.freeQuantity > 0
              ? `${price.name}: ${quantity}${unit}, ${priced.freeQuantity} included, ${priced.billableQuantity} billed`
              : `${price.name}: ${quantity}${unit}`,
          quantity: priced.billableQuantity,
          unitAmount,
          amount: priced.amount.amountMinor,
          periodStart: window.from,
          periodEnd: window.to,
        },
      ]);
    });
    return result;
  }
}

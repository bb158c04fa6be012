import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type {
  ProductKind,
  ReportGroupBy,
  RevenueRow,
  RevenueTotals,
  SubscriptionMetricsRow,
} from '@astrix/contracts';
import { add, divide, divideRounded, subtract, sum } from '@astrix/pricing';
import { storedMoney } from '../money';

export interface ReportRange {
  from: Date;
  to: Date;
  groupBy: ReportGroupBy;
}

interface FactRow {
  period: string;
  currency: string;
  kind: ProductKind;
  charges: number;
  gross: string;
  discounts: string;
  refunds: string;
  disputes: string;
}

/**
 * Revenue facts, bucketed in UTC: a sale on the day it was paid, a refund on the day it succeeded,
 * a dispute's fee on the day it opened and its lost amount on the day it closed.
 */
const REVENUE_FACTS = `
  WITH facts AS (
    SELECT c.paid_at AS at, c.currency, p.kind, 1 AS charges, c.amount + c.discount_amount AS gross,
           c.discount_amount AS discounts, 0 AS refunds, 0 AS disputes
      FROM billing.charges c JOIN billing.products p ON p.id = c.product_id
     WHERE c.paid_at >= $1 AND c.paid_at < $2
    UNION ALL
    SELECT r.processed_at, r.currency, p.kind, 0, 0, 0, r.amount, 0
      FROM billing.refunds r JOIN billing.charges c ON c.id = r.charge_id JOIN billing.products p ON p.id = c.product_id
     WHERE r.status = 'succeeded' AND r.processed_at >= $1 AND r.processed_at < $2
    UNION ALL
    SELECT d.created_at, d.currency, p.kind, 0, 0, 0, 0, d.fee_amount
      FROM billing.disputes d JOIN billing.charges c ON c.id = d.charge_id JOIN billing.products p ON p.id = c.product_id
     WHERE d.fee_amount > 0 AND d.created_at >= $1 AND d.created_at < $2
    UNION ALL
    SELECT d.closed_at, d.currency, p.kind, 0, 0, 0, 0, d.lost_amount
      FROM billing.disputes d JOIN billing.charges c ON c.id = d.charge_id JOIN billing.products p ON p.id = c.product_id
     WHERE d.lost_amount > 0 AND d.closed_at >= $1 AND d.closed_at < $2
  )
  SELECT to_char(date_trunc($3, at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS period, currency, kind,
         sum(charges)::int AS charges, sum(gross)::bigint AS gross, sum(discounts)::bigint AS discounts,
         sum(refunds)::bigint AS refunds, sum(disputes)::bigint AS disputes
    FROM facts GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;

const MONTHS_PER_INTERVAL = { month: 1, year: 12 } as const;

/** Finance's revenue figures, per currency (never converted: each currency is its own ledger). */
@Injectable()
export class RevenueReports {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async revenue(range: ReportRange): Promise<{ rows: RevenueRow[]; totals: RevenueTotals[] }> {
    const facts = (await this.dataSource.query(REVENUE_FACTS, [
      range.from,
      range.to,
      range.groupBy,
    ])) as FactRow[];
    const rows = facts.map((fact): RevenueRow => {
      const money = (amount: string) => storedMoney(amount, fact.currency);
      const gross = money(fact.gross);
      const net = subtract(
        subtract(subtract(gross, money(fact.discounts)), money(fact.refunds)),
        money(fact.disputes),
      );
      return {
        period: fact.period,
        currency: fact.currency,
        productKind: fact.kind,
        charges: fact.charges,
        gross: gross.amountMinor,
        discounts: money(fact.discounts).amountMinor,
        refunds: money(fact.refunds).amountMinor,
        disputes: money(fact.disputes).amountMinor,
        net: net.amountMinor,
      };
    });
    return { rows, totals: totalsOf(rows) };
  }

  /**
   * MRR now (active and past-due subscriptions, price × seats per period as a monthly amount) and
   * churn over the range (canceled in it ÷ active at its start), per currency.
   */
  async subscriptionMetrics(range: ReportRange): Promise<SubscriptionMetricsRow[]> {
    const recurring = (await this.dataSource.query(
      `SELECT currency, interval, interval_count, sum(unit_amount * quantity)::bigint AS amount
         FROM billing.subscriptions
        WHERE status IN ('active', 'past_due')
        GROUP BY currency, interval, interval_count`,
    )) as Array<{ currency: string; interval: 'month' | 'year'; interval_count: number; amount: string }>;
    // Active at the start: created before it and neither ended nor canceled before it.
    const churn = (await this.dataSource.query(
      `SELECT currency,
              count(*) FILTER (WHERE created_at < $1 AND status <> 'incomplete'
                                 AND (canceled_at IS NULL OR canceled_at >= $1))::int AS active_at_start,
              count(*) FILTER (WHERE canceled_at >= $1 AND canceled_at < $2)::int AS canceled
         FROM billing.subscriptions GROUP BY currency`,
      [range.from, range.to],
    )) as Array<{ currency: string; active_at_start: number; canceled: number }>;

    const currencies = [
      ...new Set([...recurring.map((r) => r.currency), ...churn.map((c) => c.currency)]),
    ].sort();
    return currencies.map((currency) => {
      const monthly = recurring
        .filter((row) => row.currency === currency)
        .map((row) =>
          divide(storedMoney(row.amount, currency), MONTHS_PER_INTERVAL[row.interval] * row.interval_count),
        );
      const counts = churn.find((row) => row.currency === currency);
      const activeAtStart = counts?.active_at_start ?? 0;
      const canceled = counts?.canceled ?? 0;
      return {
        currency,
        mrr: sum(monthly, storedMoney(0, currency).currency).amountMinor,
        activeAtStart,
        canceledInPeriod: canceled,
        churnRate:
          activeAtStart === 0
            ? null
            : ratioText(divideRounded(BigInt(canceled) * 10_000n, BigInt(activeAtStart))),
      };
    });
  }
}

/** Ten-thousandths as a decimal string: 1250n → "0.1250". */
function ratioText(tenThousandths: bigint): string {
  const digits = tenThousandths.toString().padStart(5, '0');
  return `${digits.slice(0, -4)}.${digits.slice(-4)}`;
}

function totalsOf(rows: RevenueRow[]): RevenueTotals[] {
  const byCurrency = new Map<string, RevenueTotals>();
  for (const row of rows) {
    const total = byCurrency.get(row.currency);
    if (!total) {
      byCurrency.set(row.currency, {
        currency: row.currency,
        charges: row.charges,
        gross: row.gross,
        discounts: row.discounts,
        refunds: row.refunds,
        disputes: row.disputes,
        net: row.net,
      });
      continue;
    }
    const plus = (a: number, b: number) =>
      add(storedMoney(a, row.currency), storedMoney(b, row.currency)).amountMinor;
    total.charges += row.charges;
    total.gross = plus(total.gross, row.gross);
    total.discounts = plus(total.discounts, row.discounts);
    total.refunds = plus(total.refunds, row.refunds);
    total.disputes = plus(total.disputes, row.disputes);
    total.net = plus(total.net, row.net);
  }
  return [...byCurrency.values()];
}

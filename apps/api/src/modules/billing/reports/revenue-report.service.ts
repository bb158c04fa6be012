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
import { add, divideRounded, subtract, sum } from '@astrix/pricing';
import { Clock } from '../../../platform/clock';
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

/** A Gregorian year ÷ 12. */
const AVERAGE_MONTH_MS = (365.2425 / 12) * 86_400_000;

/** Finance's revenue figures, per currency (never converted: each currency is its own ledger). */
@Injectable()
export class RevenueReports {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

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
   * MRR at the end of the range (or now, if that is later) and churn over the range (canceled in it
   * ÷ active at its start), per currency. MRR is what subscriptions were billed for the instant the
   * range ends: every line of a non-void subscription invoice covering it, plan lines divided by
   * their period in months, and prorations of a mid-period change scaled up from the part of the
   * period they cover, so an upgrade counts at its new price from the day it was made. Discounts are
   * taken off; trials, ended and paused subscriptions count nothing.
   */
  async subscriptionMetrics(range: ReportRange): Promise<SubscriptionMetricsRow[]> {
    const asOf = new Date(Math.min(range.to.getTime(), this.clock.now().getTime()));
    const recurring = (await this.dataSource.query(
      `WITH covering AS (
         SELECT i.subscription_id, i.currency, l.kind, l.amount - l.discount AS net, l.period_start, l.period_end
           FROM billing.invoice_lines l
           JOIN billing.invoices i ON i.id = l.invoice_id
           JOIN billing.subscriptions s ON s.id = i.subscription_id
          WHERE i.status <> 'void' AND l.kind IN ('plan', 'proration_credit', 'proration_charge')
            AND l.period_start < $1 AND l.period_end >= $1
            AND (s.ended_at IS NULL OR s.ended_at >= $1)
            AND NOT (s.status = 'paused' AND s.paused_at < $1)
       )
       SELECT line.currency, line.net,
              (extract(epoch FROM line.period_end - line.period_start) * 1000)::bigint AS line_ms,
              (extract(epoch FROM plan.period_end - plan.period_start) * 1000)::bigint AS plan_ms
         FROM covering line
         JOIN covering plan ON plan.subscription_id = line.subscription_id AND plan.kind = 'plan'
                           AND plan.period_end = line.period_end`,
      [asOf],
    )) as Array<{ currency: string; net: string; line_ms: string; plan_ms: string }>;
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
        .map((row) => {
          const planMs = BigInt(row.plan_ms);
          // A period of 28–31 days is a month, 89–92 days a quarter, 365–366 a year.
          const months = BigInt(Math.max(1, Math.round(Number(planMs) / AVERAGE_MONTH_MS)));
          const amount = divideRounded(BigInt(row.net) * planMs, BigInt(row.line_ms) * months);
          return storedMoney(amount.toString(), currency);
        });
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

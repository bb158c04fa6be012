import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../../../platform/clock';
import { USAGE_LATE_GRACE_MS } from './usage-batch-plan';

/** How many months past the current one the job keeps partitions for. */
export const USAGE_PARTITION_MONTHS_AHEAD = 3;

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export interface UsagePartitionView {
  /** YYYY-MM, or `default` for the partition of events whose month has none yet. */
  month: string;
  table: string;
  /** Attached (`billing_usage`) or detached for archiving (`billing_archive`). */
  state: 'attached' | 'archived';
  /** Estimated rows (planner statistics): cheap on big months. */
  estimatedRows: number;
}

export interface DetachedUsageMonth {
  month: string;
  rows: number;
  archivedAs: string;
}

/** Why a month may not be detached: each reason names what still needs its usage. */
export class UsageMonthNotDetachable extends Error {
  constructor(
    readonly month: string,
    readonly reasons: string[],
  ) {
    super(`usage month ${month} cannot be detached: ${reasons.join('; ')}`);
  }
}

function monthStart(year: number, monthIndex: number): Date {
  return new Date(Date.UTC(year, monthIndex, 1));
}

/**
 * The usage events' month partitions (docs/deploy.md "Retention"). `ensureAhead` creates them for the
 * current month and USAGE_PARTITION_MONTHS_AHEAD more (the workers' job, idempotent); `detachMonth`
 * moves a closed month out of the table into `billing_archive` — detached, not deleted: its rows stay
 * in the database, append-only, until an operator has archived them (pg_dump) and drops the table by hand.
 */
@Injectable()
export class UsagePartitions {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async ensureAhead(
    monthsAhead = USAGE_PARTITION_MONTHS_AHEAD,
  ): Promise<{ created: number; through: string }> {
    const now = this.clock.now();
    const through = monthStart(now.getUTCFullYear(), now.getUTCMonth() + monthsAhead);
    const [{ created }]: Array<{ created: number }> = await this.dataSource.query(
      'SELECT billing.create_usage_event_partitions($1, $2) AS created',
      [now, through],
    );
    return { created, through: through.toISOString().slice(0, 7) };
  }

  async list(): Promise<UsagePartitionView[]> {
    const rows: Array<{ schema: string; table: string; estimated: string }> = await this.dataSource.query(
      `SELECT n.nspname AS schema, c.relname AS table, greatest(c.reltuples, 0)::bigint::text AS estimated
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('billing_usage', 'billing_archive') AND c.relkind = 'r'
          AND c.relname ~ '^usage_events_(y[0-9]{4}m[0-9]{2}|default)$'
        ORDER BY c.relname`,
    );
    return rows.map((row) => {
      const match = /^usage_events_y(\d{4})m(\d{2})$/.exec(row.table);
      return {
        month: match ? `${match[1]}-${match[2]}` : 'default',
        table: `${row.schema}.${row.table}`,
        state: row.schema === 'billing_archive' ? 'archived' : 'attached',
        estimatedRows: Number(row.estimated),
      };
    });
  }

  /**
   * Detaches a closed month (YYYY-MM, UTC). Refused while anything may still need its usage online:
   * the month is not over (or is within the late-event grace), a subscription's open period began
   * before its end (late events and the period's usage lines still read it), a usage stretch closed
   * early is not invoiced yet, or an invoice with usage lines over it is still draft or open.
   */
  async detachMonth(month: string): Promise<DetachedUsageMonth> {
    const match = MONTH.exec(month);
    if (!match) throw new UsageMonthNotDetachable(month, ['the month must be YYYY-MM']);
    const start = monthStart(Number(match[1]), Number(match[2]) - 1);
    const end = monthStart(Number(match[1]), Number(match[2]));
    const now = this.clock.now();
    const reasons: string[] = [];
    if (start.getTime() >= monthStart(now.getUTCFullYear(), now.getUTCMonth()).getTime()) {
      reasons.push('it is the current month or a future one');
    } else if (end.getTime() + USAGE_LATE_GRACE_MS > now.getTime()) {
      reasons.push('late events of it are still accepted (grace after the month end)');
    }
    if (reasons.length === 0) {
      const open: Array<{ id: string; current_period_start: Date }> = await this.dataSource.query(
        `SELECT id, current_period_start FROM billing.subscriptions
          WHERE status <> 'canceled' AND current_period_start < $1
          ORDER BY current_period_start LIMIT 3`,
        [end],
      );
      for (const row of open) {
        reasons.push(
          `subscription ${row.id}'s open period began ${row.current_period_start.toISOString()}: its usage is not invoiced yet`,
        );
      }
      const stretches: Array<{ id: string }> = await this.dataSource.query(
        `SELECT id FROM billing.usage_periods WHERE invoice_key IS NULL AND period_start < $1 ORDER BY period_start LIMIT 3`,
        [end],
      );
      for (const row of stretches) reasons.push(`usage period ${row.id} (closed early) is not invoiced yet`);
      const invoices: Array<{ id: string; status: string }> = await this.dataSource.query(
        `SELECT DISTINCT i.id, i.status FROM billing.invoice_lines l JOIN billing.invoices i ON i.id = l.invoice_id
          WHERE l.kind = 'usage' AND i.status IN ('draft', 'open') AND l.period_start < $2 AND l.period_end > $1
          ORDER BY i.id LIMIT 3`,
        [start, end],
      );
      for (const row of invoices)
        reasons.push(`invoice ${row.id} bills usage of it and is still ${row.status}`);
    }
    if (reasons.length > 0) throw new UsageMonthNotDetachable(month, reasons);
    const [{ rows }]: Array<{ rows: string }> = await this.dataSource.query(
      'SELECT billing.detach_usage_event_month($1)::text AS rows',
      [start],
    );
    return {
      month,
      rows: Number(rows),
      archivedAs: `billing_archive.usage_events_y${match[1]}m${match[2]}`,
    };
  }
}

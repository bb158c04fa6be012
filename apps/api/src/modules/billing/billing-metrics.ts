import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Histogram } from 'prom-client';
import { DataSource } from 'typeorm';
import { Clock } from '../../platform/clock';
import { MetricsRegistry } from '../../platform/metrics/metrics-registry';

const PAYMENT_EVENTS = { succeeded: 'billing.payment.completed', failed: 'billing.payment.failed' } as const;

function ageSeconds(now: Date, since: Date | string | null): number {
  return since ? Math.max(0, now.getTime() - new Date(since).getTime()) / 1000 : 0;
}

/**
 * Billing's metrics (docs/observability.md): payments by outcome, invoice generation latency,
 * billing-run progress, open dunning cases by stage and reconciliation. Gauges are read on scrape,
 * each with one small query; the reconciliation ones only once its tables exist.
 */
@Injectable()
export class BillingMetrics {
  private readonly invoiceGeneration: Histogram;

  constructor(metrics: MetricsRegistry, @InjectDataSource() dataSource: DataSource, clock: Clock) {
    // Committed payments: derived on scrape from the events the outbox relay handed on, so a
    // transaction rolled back and retried counts once.
    metrics.counterOnScrape(
      {
        name: 'astrix_payments_total',
        help: 'Payments recorded, by outcome (succeeded: billing.payment.completed; failed: billing.payment.failed).',
        labelNames: ['outcome'],
      },
      async (counter) => {
        for (const [outcome, type] of Object.entries(PAYMENT_EVENTS))
          counter.inc({ outcome }, await metrics.eventCount(type));
      },
    );

    this.invoiceGeneration = metrics.histogram({
      name: 'astrix_invoice_generation_duration_seconds',
      help: 'Billing run: time from the start of the batch that generated an invoice to its commit, one observation per invoice.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 30],
    });

    const runs = metrics.sharedRead(async () => {
      const [row] = (await dataSource.query(
        `SELECT (SELECT count(*)::int FROM billing.billing_runs WHERE status = 'running') AS running,
                (SELECT min(started_at) FROM billing.billing_runs WHERE status = 'running') AS oldest_running,
                last.due_at_start, last.invoices_created, last.periods_closed, last.failed
           FROM (SELECT 1) one
           LEFT JOIN LATERAL (SELECT * FROM billing.billing_runs ORDER BY started_at DESC, id DESC LIMIT 1) last ON true`,
      )) as Array<{
        running: number;
        oldest_running: Date | null;
        due_at_start: number | null;
        invoices_created: number | null;
        periods_closed: number | null;
        failed: number | null;
      }>;
      return row;
    });
    metrics.gaugeOnScrape(
      {
        name: 'astrix_billing_run_subscriptions',
        help: 'The latest billing run: subscriptions due at its start, invoiced, closed without invoice, failed.',
        labelNames: ['progress'],
      },
      async (gauge) => {
        const run = await runs();
        if (run.due_at_start === null) return;
        gauge.set({ progress: 'due_at_start' }, run.due_at_start);
        gauge.set({ progress: 'invoiced' }, run.invoices_created ?? 0);
        gauge.set({ progress: 'closed' }, run.periods_closed ?? 0);
        gauge.set({ progress: 'failed' }, run.failed ?? 0);
      },
    );
    metrics.gaugeOnScrape(
      { name: 'astrix_billing_runs_running', help: 'Billing runs in progress.' },
      async (gauge) => gauge.set((await runs()).running),
    );
    metrics.gaugeOnScrape(
      {
        name: 'astrix_billing_run_oldest_running_age_seconds',
        help: 'Age of the oldest billing run still running (0 when none).',
      },
      async (gauge) => gauge.set(ageSeconds(clock.now(), (await runs()).oldest_running)),
    );

    metrics.gaugeOnScrape(
      {
        name: 'astrix_dunning_cases_open',
        help: 'Open dunning cases (active or paused) by status and failed attempts so far (the stage).',
        labelNames: ['status', 'failed_attempts'],
      },
      async (gauge) => {
        const rows = (await dataSource.query(
          `SELECT status, failed_attempts, count(*)::int AS count FROM billing.dunning_cases
            WHERE status IN ('active', 'paused') GROUP BY status, failed_attempts`,
        )) as Array<{ status: string; failed_attempts: number; count: number }>;
        for (const row of rows)
          gauge.set({ status: row.status, failed_attempts: String(row.failed_attempts) }, row.count);
      },
    );

    // Reconciliation's tables are another folder's (reconciliation/); read only when they exist.
    const reconciliation = metrics.sharedRead(async () => {
      const [exists] = (await dataSource.query(
        `SELECT to_regclass('billing.reconciliation_exceptions') IS NOT NULL
            AND to_regclass('billing.reconciliation_runs') IS NOT NULL AS present`,
      )) as Array<{ present: boolean }>;
      if (!exists.present) return null;
      const [exceptions, [runsRow]] = (await Promise.all([
        dataSource.query(
          `SELECT kind, count(*)::int AS count FROM billing.reconciliation_exceptions
            WHERE status = 'open' GROUP BY kind`,
        ),
        dataSource.query(
          `SELECT (SELECT min(started_at) FROM billing.reconciliation_runs WHERE status = 'running') AS oldest_running,
                  (SELECT extract(epoch FROM completed_at - started_at)::float8 FROM billing.reconciliation_runs
                    WHERE status = 'completed' ORDER BY completed_at DESC LIMIT 1) AS last_duration,
                  (SELECT max(completed_at) FROM billing.reconciliation_runs WHERE status = 'completed') AS last_completed`,
        ),
      ])) as [
        Array<{ kind: string; count: number }>,
        Array<{ oldest_running: Date | null; last_duration: number | null; last_completed: Date | null }>,
      ];
      return { exceptions, ...runsRow };
    });
    metrics.gaugeOnScrape(
      {
        name: 'astrix_reconciliation_open_exceptions',
        help: 'Open reconciliation exceptions by kind.',
        labelNames: ['kind'],
      },
      async (gauge) => {
        for (const row of (await reconciliation())?.exceptions ?? [])
          gauge.set({ kind: row.kind }, row.count);
      },
    );
    metrics.gaugeOnScrape(
      {
        name: 'astrix_reconciliation_running_age_seconds',
        help: 'Age of the oldest reconciliation run still running (0 when none).',
      },
      async (gauge) => gauge.set(ageSeconds(clock.now(), (await reconciliation())?.oldest_running ?? null)),
    );
    metrics.gaugeOnScrape(
      {
        name: 'astrix_reconciliation_last_duration_seconds',
        help: 'How long the last completed reconciliation run took.',
      },
      async (gauge) => {
        const last = await reconciliation();
        if (last?.last_duration !== null && last?.last_duration !== undefined) gauge.set(last.last_duration);
      },
    );
    metrics.gaugeOnScrape(
      {
        name: 'astrix_reconciliation_last_completed_age_seconds',
        help: 'Time since the last reconciliation run completed (absent before the first).',
      },
      async (gauge) => {
        const last = await reconciliation();
        if (last?.last_completed) gauge.set(ageSeconds(clock.now(), last.last_completed));
      },
    );
  }

  /** One billing-run batch committed `invoices` invoices after `seconds`. */
  invoicesGenerated(invoices: number, seconds: number): void {
    for (let index = 0; index < invoices; index += 1) this.invoiceGeneration.observe(seconds);
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { Clock } from '../../platform/clock';
import { MetricsRegistry } from '../../platform/metrics/metrics-registry';

/** How one recorded webhook attempt ended. */
export type WebhookAttemptOutcome = 'succeeded' | 'retrying' | 'failed';

/**
 * Outbound webhooks: attempts by outcome (counted after their row commits) and the delivery
 * backlog — attempts due now and not yet made, and how late the oldest is — read on scrape from the
 * partial index of pending deliveries.
 */
@Injectable()
export class OutboundMetrics {
  private readonly attempts: Counter<'outcome'>;

  constructor(metrics: MetricsRegistry, @InjectDataSource() dataSource: DataSource, clock: Clock) {
    this.attempts = metrics.counter({
      name: 'astrix_webhook_delivery_attempts_total',
      help: 'Outbound webhook attempts by outcome: succeeded, retrying (failed, another attempt scheduled), failed (given up).',
      labelNames: ['outcome'],
    });
    const backlog = metrics.sharedRead(async () => {
      const now = clock.now();
      const [row] = (await dataSource.query(
        `SELECT count(*)::int AS due, min(next_attempt_at) AS oldest FROM platform.webhook_deliveries
          WHERE status = 'pending' AND next_attempt_at <= $1`,
        [now],
      )) as Array<{ due: number; oldest: Date | null }>;
      return {
        due: row.due,
        lagSeconds: row.oldest ? Math.max(0, now.getTime() - new Date(row.oldest).getTime()) / 1000 : 0,
      };
    });
    metrics.gaugeOnScrape(
      { name: 'astrix_webhook_delivery_backlog', help: 'Webhook delivery attempts due and not yet made.' },
      async (gauge) => gauge.set((await backlog()).due),
    );
    metrics.gaugeOnScrape(
      {
        name: 'astrix_webhook_delivery_lag_seconds',
        help: 'How late the most overdue webhook delivery attempt is (0 when none is due).',
      },
      async (gauge) => gauge.set((await backlog()).lagSeconds),
    );
  }

  attempted(outcome: WebhookAttemptOutcome): void {
    this.attempts.inc({ outcome });
  }
}

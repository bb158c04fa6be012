import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AstrixEvent } from '@astrix/contracts';
import { Clock } from '../../../platform/clock';
import { OnEvent } from '../../../platform/events/event-handler.decorator';
import { JobQueue } from '../../../platform/queues/job-queue.service';

/**
 * How long an open subscription invoice may wait for its first collection attempt before the sweep
 * enqueues it again: far more than the outbox and the queue take, less than a day of a renewal unpaid.
 */
export const UNCOLLECTED_AFTER_MS = 30 * 60_000;

/** The first attempt's job: the same id whoever asks, so the event and the sweep never both run it. */
export const firstCollectionJob = (invoiceId: string) =>
  ({
    name: 'billing.collect-invoice',
    payload: { invoiceId, attempt: 1 },
    jobId: `collect-${invoiceId}-1`,
  }) as const;

/**
 * Nothing a transaction decides to collect is left to a call after its commit:
 *
 * - Billing-run invoices are collected from their `billing.invoice.finalized` event, which the run's
 *   transaction writes to the outbox with the invoice: the relay delivers it after commit, and this
 *   consumer enqueues the first attempt (a Redis failure fails the delivery, which is retried).
 * - The sweep (the scheduler's tick) finds open subscription invoices that never had an attempt nor a
 *   dunning case, issued longer than {@link UNCOLLECTED_AFTER_MS} ago, whatever lost their collection
 *   (a delivery that exhausted its retries, a crash after a subscribe or plan change committed), and
 *   enqueues their first attempt again. Attempt 1 carries its own processor idempotency key and is
 *   claimed on the invoice, so a repeat can never charge twice.
 */
@Injectable()
export class UncollectedInvoices {
  private readonly logger = new Logger(UncollectedInvoices.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
  ) {}

  /** A renewal the billing run issued open: its first attempt is enqueued (once per event, inbox). */
  @OnEvent('billing.invoice.finalized', 'billing.collection.billing-run-invoices')
  async onInvoiceFinalized(event: AstrixEvent): Promise<void> {
    if (event.type !== 'billing.invoice.finalized') return;
    const invoice = event.data;
    // Other subscription invoices (subscribe, plan change, resume) are collected by the request that
    // issued them, on session; the sweep is their safety net.
    if (invoice.billingReason !== 'subscription_cycle') return;
    if (invoice.status !== 'open' || invoice.amountDue <= 0) return;
    await this.jobs.enqueue(firstCollectionJob(invoice.invoiceId));
  }

  /**
   * Enqueues the first attempt of every open subscription invoice left without one; returns how many.
   * A job of that id still waiting or running is kept; a finished one is replaced.
   */
  async sweep(limit = 500): Promise<number> {
    const stranded: Array<{ id: string }> = await this.dataSource.query(
      `SELECT i.id FROM billing.invoices i
        WHERE i.status = 'open' AND i.subscription_id IS NOT NULL AND i.amount_due > 0
          AND i.attempt_count = 0 AND i.payment_intent_id IS NULL AND i.issued_at <= $1
          AND NOT EXISTS (SELECT 1 FROM billing.dunning_cases d WHERE d.invoice_id = i.id)
        ORDER BY i.issued_at, i.id
        LIMIT $2`,
      [new Date(this.clock.now().getTime() - UNCOLLECTED_AFTER_MS), limit],
    );
    for (const { id } of stranded) {
      this.logger.warn(`invoice ${id} was never collected; enqueuing its first attempt`);
      await this.jobs.requeue(firstCollectionJob(id));
    }
    return stranded.length;
  }
}

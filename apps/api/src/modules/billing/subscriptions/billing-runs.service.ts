import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, LessThan, SelectQueryBuilder } from 'typeorm';
import type { BillingRunView, EventType, Page } from '@astrix/contracts';
import { Clock } from '../../../platform/clock';
import { actorLabel, type RequestContext } from '../../../platform/auth/actor';
import { OutboxService, type NewEvent } from '../../../platform/events/outbox.service';
import { AppError, ConflictError, NotFoundError } from '../../../platform/http/app-error';
import { toPage } from '../../../platform/http/pagination';
import { newId } from '../../../platform/ids';
import { JobQueue } from '../../../platform/queues/job-queue.service';
import { BillingRun, BillingRunFailure, BillingRunTrigger } from './billing-run.entity';
import { runView } from './billing-run-view';
import { CustomerBalances } from '../customers/customer-balances.service';
import { DraftLine, draftInvoice, usageLine, withCoupon } from './invoice-drafts';
import { periodCouponsOf } from './subscription-coupons';
import { periodPlanLine, renewalInvoiceKey, renewalOf, usagePeriodOf, type Renewal } from './renewal';
import { Subscription } from './subscription.entity';
import { InvoiceToIssue, SubscriptionInvoicing } from './subscription-invoicing.service';
import { subscriptionEvent } from './subscription-views';
import { UsageCharges } from './usage-charges.port';
import { BillingMetrics } from '../billing-metrics';
import { USAGE_LATE_GRACE_MS } from '../metering/usage-batch-plan';
import { batchNames } from './batch-names';
import {
  DEFAULT_BILLING_RUN_BATCH_SIZE,
  DEFAULT_BILLING_RUN_PARALLELISM,
  type ExecuteOptions,
} from './billing-run-options';
import { type CommitWith, transactionCommittedWith } from '../../../platform/database/commit-together';
import { issuedTogether } from '../../../platform/database/issued-together';
import { preparedQuery } from '../../../platform/database/prepared-query';

/**
 * A period is invoiced once it ended at least the late-usage grace before the run's `asOf`: usage for
 * it is accepted until then, and must be on its invoice. With direction −1: when a period ending at
 * `asOf` becomes billable.
 */
export function billableUntil(asOf: Date, direction: 1 | -1 = 1): Date {
  return new Date(asOf.getTime() - direction * USAGE_LATE_GRACE_MS);
}

const BILLING_RUN_ACTOR = { kind: 'system', name: 'billing-run' } as const;

/**
 * A run started on demand is worked by its own job, enqueued after the run's row committed. One still
 * running this long after it started lost that job (Redis failed at the enqueue) or is simply long:
 * the scheduler works it too, which is safe, as runs may run concurrently.
 */
export const ABANDONED_RUN_AFTER_MS = 15 * 60_000;

interface BatchResult {
  processed: number;
  invoicesCreated: number;
  periodsClosed: number;
}

/**
 * The run's work list: renewing subscriptions whose period ended by the run's cut-off, less those
 * that already failed in this run.
 */
function dueSubscriptions(
  manager: EntityManager,
  asOf: Date,
  runId: string,
): SelectQueryBuilder<Subscription> {
  return (
    manager
      .createQueryBuilder(Subscription, 's')
      // Literal statuses: the planner then uses the partial index ix_subscriptions_due.
      .where(`s.status IN ('trialing', 'active', 'past_due')`)
      .andWhere('s.current_period_end <= :until', { until: billableUntil(asOf) })
      .andWhere(
        'NOT EXISTS (SELECT 1 FROM billing.billing_run_failures f WHERE f.run_id = :runId AND f.subscription_id = s.id)',
        { runId },
      )
  );
}

/**
 * The billing run: every subscription whose period ended by the run's `asOf` gets exactly one invoice
 * per period. The work list is the data (periods not yet advanced), rows are claimed with
 * FOR UPDATE SKIP LOCKED and each invoice carries the (subscription, period) key, so runs may be
 * retried, duplicated or run concurrently, and a crashed run resumes where it stopped.
 */
@Injectable()
export class BillingRuns {
  private readonly logger = new Logger(BillingRuns.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly invoicing: SubscriptionInvoicing,
    private readonly balances: CustomerBalances,
    private readonly usage: UsageCharges,
    private readonly outbox: OutboxService,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
    private readonly metrics: BillingMetrics,
  ) {}

  /** Records a run and hands it to the workers. */
  async start(
    trigger: BillingRunTrigger,
    context: RequestContext,
    asOf: Date = this.clock.now(),
  ): Promise<BillingRunView> {
    if (asOf.getTime() > this.clock.now().getTime()) {
      throw new ConflictError(
        `a billing run cannot bill periods ending in the future (${asOf.toISOString()})`,
      );
    }
    const run = await this.create(trigger, context, asOf);
    await this.jobs.enqueue({
      name: 'billing.run-billing',
      payload: { runId: run.id },
      jobId: `billing-run-${run.id}`,
    });
    return this.get(run.id);
  }

  /**
   * The scheduler's run: resumes a scheduled run left running (e.g. by a crashed worker) or an
   * on-demand one running for longer than {@link ABANDONED_RUN_AFTER_MS} (its job may never have been
   * enqueued), else starts one as of now when anything is due. Runs inline in the scheduler's job.
   */
  async startScheduled(): Promise<BillingRunView | null> {
    const abandonedBefore = new Date(this.clock.now().getTime() - ABANDONED_RUN_AFTER_MS);
    const unfinished = await this.dataSource.getRepository(BillingRun).findOne({
      where: [
        { status: 'running', trigger: 'schedule' },
        { status: 'running', startedAt: LessThan(abandonedBefore) },
      ],
      order: { id: 'ASC' },
    });
    // Nothing due and nothing to resume: no run (the schedule ticks every few minutes).
    if (!unfinished && (await this.countDue(this.clock.now())) === 0) return null;
    const run =
      unfinished ??
      (await this.create('schedule', { actor: BILLING_RUN_ACTOR, requestId: null }, this.clock.now()));
    return this.execute(run.id);
  }

  async create(trigger: BillingRunTrigger, context: RequestContext, asOf: Date): Promise<BillingRun> {
    const requestedBy = actorLabel(context.actor);
    const run = this.dataSource.getRepository(BillingRun).create({
      id: newId('brun'),
      trigger,
      status: 'running',
      asOf,
      dueAtStart: await this.countDue(asOf),
      invoicesCreated: 0,
      periodsClosed: 0,
      failed: 0,
      requestedBy,
      startedAt: this.clock.now(),
      finishedAt: null,
    });
    await this.dataSource.getRepository(BillingRun).insert({ ...run });
    return run;
  }

  async get(runId: string): Promise<BillingRunView> {
    const run = await this.dataSource.getRepository(BillingRun).findOne({ where: { id: runId } });
    if (!run) throw new NotFoundError('billing run', runId);
    return this.viewOf(run);
  }

  async list(page: { limit: number; cursor?: string }): Promise<Page<BillingRunView>> {
    const runs = await this.dataSource.getRepository(BillingRun).find({
      where: page.cursor ? { id: LessThan(page.cursor) } : {},
      order: { id: 'DESC' },
      take: page.limit + 1,
    });
    const views = await Promise.all(runs.slice(0, page.limit).map((run) => this.viewOf(run)));
    const byId = new Map(views.map((view) => [view.id, view]));
    return toPage(runs, page.limit, (run) => byId.get(run.id) as BillingRunView);
  }

  /** Works the run until nothing of it is due; safe to call again after a crash, or twice at once. */
  async execute(runId: string, options: ExecuteOptions = {}): Promise<BillingRunView> {
    const run = await this.dataSource.getRepository(BillingRun).findOne({ where: { id: runId } });
    if (!run) throw new NotFoundError('billing run', runId);
    if (run.status !== 'running') return this.viewOf(run);
    const batchSize = options.batchSize ?? DEFAULT_BILLING_RUN_BATCH_SIZE;
    const parallelism = options.parallelism ?? DEFAULT_BILLING_RUN_PARALLELISM;
    let batchesLeft = options.maxBatches ?? Number.POSITIVE_INFINITY;
    const worker = async (): Promise<void> => {
      while (batchesLeft > 0) {
        batchesLeft -= 1;
        const processed = await this.processBatchIsolatingFailures(run, batchSize, options.onBatch);
        if (processed === 0) return;
      }
    };
    await Promise.all(Array.from({ length: parallelism }, () => worker()));
    if (options.maxBatches === undefined || (await this.countDue(run.asOf, run.id)) === 0) {
      await this.dataSource
        .getRepository(BillingRun)
        .update({ id: run.id, status: 'running' }, { status: 'completed', finishedAt: this.clock.now() });
    }
    return this.get(run.id);
  }

  /** One batch; if it fails, each subscription alone, so one bad subscription cannot stop the run. */
  private async processBatchIsolatingFailures(
    run: BillingRun,
    batchSize: number,
    onBatch?: ExecuteOptions['onBatch'],
  ): Promise<number> {
    try {
      return await this.processBatch(run, batchSize, undefined, onBatch);
    } catch (error) {
      this.logger.warn(`billing run ${run.id}: a batch failed (${String(error)}); invoicing one by one`);
    }
    const ids = await this.dueIds(run, batchSize);
    for (const id of ids) {
      try {
        await this.processBatch(run, 1, [id]);
      } catch (error) {
        await this.recordFailure(run, id, error);
      }
    }
    return ids.length;
  }

  private async processBatch(
    run: BillingRun,
    batchSize: number,
    onlyIds?: string[],
    onBatch?: ExecuteOptions['onBatch'],
  ): Promise<number> {
    const started = performance.now();
    // The batch's last statements leave with its COMMIT: the invoice series lock, taken by the first of
    // them, is held for Postgres's work and the commit alone (docs/performance.md, #25 14th session).
    const result = await transactionCommittedWith(this.dataSource, (manager, commitWith) =>
      this.invoiceDueSubscriptions(manager, run, batchSize, commitWith, onlyIds),
    );
    // Nothing happens after commit: the open invoices' collection follows from their
    // billing.invoice.finalized events, written to the outbox in the batch's transaction
    // (collection's UncollectedInvoices), so a Redis failure here cannot leave them uncollected.
    this.metrics.invoicesGenerated(result.invoicesCreated, (performance.now() - started) / 1000);
    if (result.processed > 0) {
      onBatch?.({
        subscriptions: result.processed,
        invoices: result.invoicesCreated,
        durationMs: performance.now() - started,
      });
    }
    return result.processed;
  }

  private async invoiceDueSubscriptions(
    manager: EntityManager,
    run: BillingRun,
    batchSize: number,
    commitWith: CommitWith,
    onlyIds?: string[],
  ): Promise<BatchResult> {
    const query = dueSubscriptions(manager, run.asOf, run.id)
      .orderBy('s.current_period_end', 'ASC')
      .addOrderBy('s.id', 'ASC')
      .limit(batchSize)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked');
    if (onlyIds) query.andWhere('s.id IN (:...onlyIds)', { onlyIds });
    const subscriptions = await query.getMany();
    if (subscriptions.length === 0) return { processed: 0, invoicesCreated: 0, periodsClosed: 0 };

    const renewals = subscriptions.map(renewalOf);
    const productIds = [
      ...new Set(
        renewals.flatMap((renewal, index) => [renewal.plan.productId, subscriptions[index].productId]),
      ),
    ];
    // The batch's reads are independent of each other: issued together, they share one round trip
    // (the pool pipelines a connection's statements; data-source-options.ts).
    const [names, usageLines, coupons, credits] = await issuedTogether(manager, () =>
      Promise.all([
        batchNames(
          manager,
          productIds,
          subscriptions.map((subscription) => subscription.customerId),
        ),
        this.usage.linesFor(
          manager,
          // Stretches of the period closed early (pause, plan change now) are billed here, marked by the key.
          subscriptions.flatMap((subscription, index) =>
            renewals[index].closedPeriodWasTrial
              ? []
              : [
                  {
                    ...usagePeriodOf(subscription),
                    invoiceKey: renewalInvoiceKey(subscription.id, renewals[index].boundary),
                  },
                ],
          ),
        ),
        periodCouponsOf(manager, subscriptions),
        this.balances.lockedPositiveBalances(
          manager,
          subscriptions.map((subscription) => ({
            customerId: subscription.customerId,
            currency: subscription.currency,
          })),
        ),
      ]),
    );
    const products = new Map(names.products.map((product) => [product.id, product]));
    const customers = new Map(names.customers.map((customer) => [customer.id, customer]));

    const toIssue: InvoiceToIssue[] = [];
    const issuedFor: number[] = [];
    for (const [index, subscription] of subscriptions.entries()) {
      const renewal = renewals[index];
      const lines: DraftLine[] = [];
      if (renewal.nextPeriod) {
        lines.push(
          periodPlanLine({
            productId: renewal.plan.productId,
            planName: products.get(renewal.plan.productId)?.name ?? renewal.plan.productId,
            currency: subscription.currency,
            unitAmount: renewal.plan.unitAmount,
            quantity: renewal.plan.quantity,
            period: renewal.nextPeriod,
          }),
        );
      }
      for (const usage of usageLines.get(subscription.id) ?? []) {
        lines.push(usageLine(subscription.productId, usage));
      }
      if (lines.length === 0) continue;
      const creditKey = `${subscription.customerId}:${subscription.currency}`;
      const draft = draftInvoice(
        subscription.currency,
        withCoupon(subscription.currency, lines, coupons.get(subscription.id) ?? null),
        credits.get(creditKey) ?? 0,
      );
      if (draft.creditApplied > 0)
        credits.set(creditKey, (credits.get(creditKey) ?? 0) - draft.creditApplied);
      toIssue.push({
        subscription,
        customerEmail: customers.get(subscription.customerId)?.email ?? null,
        reason: 'subscription_cycle',
        idempotencyKey: renewalInvoiceKey(subscription.id, renewal.boundary),
        periodStart: renewal.nextPeriod?.start ?? renewal.closedPeriod.start,
        periodEnd: renewal.nextPeriod?.end ?? renewal.closedPeriod.end,
        draft,
      });
      issuedFor.push(index);
    }
    const now = this.clock.now();
    const context: RequestContext = { actor: BILLING_RUN_ACTOR, requestId: null };
    let periodsClosed = 0;
    // Everything but the numbering happens before the series lock is taken: parallel batches overlap.
    const invoices = await this.invoicing.issueMany(
      manager,
      toIssue,
      now,
      context,
      async (issued) => {
        const latestInvoice = new Map<string, string>();
        issued.forEach((invoice, position) =>
          latestInvoice.set(subscriptions[issuedFor[position]].id, invoice.id),
        );
        await Promise.all([
          this.advance(manager, subscriptions, renewals, latestInvoice, now),
          this.outbox.appendMany(manager, this.changeEvents(subscriptions, renewals)),
        ]);
        periodsClosed = subscriptions.length - issued.length;
        // The run's counts commit with the batch, after numbering (in its events' statement): the series lock
        // held from there to commit already orders the run's batches, so locking the run's row there adds no
        // wait (nor a round trip or a commit of its own).
        return {
          sql: `UPDATE billing.billing_runs SET invoices_created = invoices_created + $2, periods_closed = periods_closed + $3
               WHERE id = $1`,
          params: [run.id, issued.length, periodsClosed],
        };
      },
      commitWith,
    );
    return { processed: subscriptions.length, invoicesCreated: invoices.length, periodsClosed };
  }

  /** Moves every subscription of the batch past its boundary in one statement. */
  private async advance(
    manager: EntityManager,
    subscriptions: Subscription[],
    renewals: Renewal[],
    latestInvoice: Map<string, string>,
    now: Date,
  ): Promise<void> {
    await preparedQuery(
      manager,
      `UPDATE billing.subscriptions s SET
         status = u.status, product_id = u.product_id, price_id = u.price_id, unit_amount = u.unit_amount,
         quantity = u.quantity, current_period_start = u.period_start, current_period_end = u.period_end,
         scheduled_change = CASE WHEN u.plan_changed THEN NULL ELSE s.scheduled_change END,
         ended_at = u.ended_at, canceled_at = COALESCE(s.canceled_at, u.ended_at),
         latest_invoice_id = COALESCE(u.latest_invoice_id, s.latest_invoice_id), updated_at = $1,
         coupon_periods_billed = s.coupon_periods_billed
           + CASE WHEN u.period_billed AND s.coupon_id IS NOT NULL THEN 1 ELSE 0 END
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::int[], $8::timestamptz[],
                   $9::timestamptz[], $10::bool[], $11::timestamptz[], $12::text[], $13::bool[])
         AS u(id, status, product_id, price_id, unit_amount, quantity, period_start, period_end, plan_changed,
              ended_at, latest_invoice_id, period_billed)
       WHERE s.id = u.id`,
      [
        now,
        subscriptions.map((subscription) => subscription.id),
        renewals.map((renewal) => renewal.status.to),
        renewals.map((renewal) => renewal.plan.productId),
        renewals.map((renewal) => renewal.plan.priceId),
        renewals.map((renewal) => renewal.plan.unitAmount),
        renewals.map((renewal) => renewal.plan.quantity),
        renewals.map((renewal) => renewal.nextPeriod?.start ?? renewal.closedPeriod.start),
        renewals.map((renewal) => renewal.nextPeriod?.end ?? renewal.closedPeriod.end),
        renewals.map((renewal) => renewal.planChanged),
        renewals.map((renewal) => (renewal.nextPeriod ? null : renewal.boundary)),
        subscriptions.map((subscription) => latestInvoice.get(subscription.id) ?? null),
        // A new period was invoiced: the coupon's next period comes after it.
        renewals.map((renewal) => renewal.nextPeriod !== null),
      ],
    );
  }

  private changeEvents(subscriptions: Subscription[], renewals: Renewal[]): NewEvent<EventType>[] {
    const events: NewEvent<EventType>[] = [];
    for (const [index, renewal] of renewals.entries()) {
      if (renewal.status.from === renewal.status.to && !renewal.planChanged) continue;
      const after: Subscription = {
        ...subscriptions[index],
        ...renewal.plan,
        status: renewal.status.to,
        currentPeriodStart: renewal.nextPeriod?.start ?? renewal.closedPeriod.start,
        currentPeriodEnd: renewal.nextPeriod?.end ?? renewal.closedPeriod.end,
      };
      events.push(
        subscriptionEvent(
          after,
          renewal.status.from,
          renewal.planChanged ? 'plan_changed' : 'status_changed',
        ),
      );
    }
    return events;
  }

  private async recordFailure(run: BillingRun, subscriptionId: string, error: unknown): Promise<void> {
    // An expected refusal keeps its code (TAX_RATE_MISSING: held, not advanced, retried next run).
    const text = error instanceof Error ? error.message : String(error);
    const message = error instanceof AppError ? `${error.code}: ${text}` : text;
    this.logger.error(`billing run ${run.id}: subscription ${subscriptionId} failed: ${message}`);
    await this.dataSource.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO billing.billing_run_failures (run_id, subscription_id, error, failed_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING run_id`,
        [run.id, subscriptionId, message.slice(0, 2000), this.clock.now()],
      );
      if (inserted.length > 0) {
        await manager.query(`UPDATE billing.billing_runs SET failed = failed + 1 WHERE id = $1`, [run.id]);
      }
    });
  }

  private async dueIds(run: BillingRun, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await dueSubscriptions(this.dataSource.manager, run.asOf, run.id)
      .select('s.id', 'id')
      .orderBy('s.current_period_end', 'ASC')
      .addOrderBy('s.id', 'ASC')
      .limit(limit)
      .getRawMany();
    return rows.map((row) => row.id);
  }

  private countDue(asOf: Date, runId?: string): Promise<number> {
    return dueSubscriptions(this.dataSource.manager, asOf, runId ?? '').getCount();
  }

  private async viewOf(run: BillingRun): Promise<BillingRunView> {
    const failures = await this.dataSource.getRepository(BillingRunFailure).find({
      where: { runId: run.id },
      order: { failedAt: 'ASC' },
      take: 100,
    });
    const remaining = run.status === 'running' ? await this.countDue(run.asOf, run.id) : 0;
    return runView(run, remaining, failures);
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ReconciliationExceptionView, ReconciliationView } from '@astrix/contracts';
import { DataSource, MoreThan, type EntityManager } from 'typeorm';
import { AuditService } from '../../../platform/audit/audit.service';
import { actorLabel, type RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { AppError } from '../../../platform/http/app-error';
import { parseCalendarDay } from '../../../platform/http/instant';
import { newId } from '../../../platform/ids';
import { JobQueue } from '../../../platform/queues/job-queue.service';
import { ReconciliationException, ReconciliationRun } from './reconciliation.entity';
import { ReconciliationRunner } from './reconciliation-runner.service';

/** The one processor account this deployment reconciles. */
export const DEFAULT_ACCOUNT = 'default';
/** A run `running` without a committed page for this long has crashed: the next request resumes it. */
const STALE_AFTER_MS = 2 * 60_000;

/** What asking for a day did: started it, walks it again (completed before), resumed it, or found it running. */
export type ReconciliationStart = 'started' | 'rerun' | 'resumed' | 'already_running';

export function exceptionView(row: ReconciliationException): ReconciliationExceptionView {
  return {
    id: row.id,
    reconciliationId: row.runId,
    date: row.day,
    kind: row.kind,
    subject: row.subject,
    balanceTransactionId: row.balanceTransactionId,
    ourSourceType: row.ourSourceType,
    ourSourceId: row.ourSourceId,
    currency: row.currency,
    processorAmount: row.processorAmount,
    ourAmount: row.ourAmount,
    message: row.message,
    status: row.status,
    resolvedBy: row.resolvedBy,
    resolution: row.resolution,
    createdAt: row.createdAt.toISOString(),
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
  };
}

/**
 * Reconciliation runs as staff and the scheduler see them: ask for a day (once per day and
 * account; asking again walks it again, resumes a crashed run or finds it running), read a run
 * with its exceptions, resolve an exception (the finance task).
 */
@Injectable()
export class Reconciliations {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly runner: ReconciliationRunner,
    private readonly jobs: JobQueue,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Starts (or resumes, or re-runs) a day's run and leaves it to the billing queue. */
  async request(
    day: string,
    context: RequestContext,
  ): Promise<{ run: ReconciliationRun; start: ReconciliationStart }> {
    const { run, start } = await this.start(day, context);
    if (start !== 'already_running') {
      // One job per run: asking again (a re-run, a resume) replaces the finished one; a job still
      // waiting or active is the run asked for.
      await this.jobs.requeue({
        name: 'billing.reconcile-day',
        payload: { runId: run.id },
        jobId: `reconcile-day-${run.id}`,
      });
    }
    return { run, start };
  }

  /** Starts (or resumes) and works the run here, to the end (the CLI, the daily job). */
  async runNow(day: string, context: RequestContext): Promise<ReconciliationRun> {
    const { run, start } = await this.start(day, context);
    if (start === 'already_running') {
      throw new AppError(
        409,
        'RECONCILIATION_RUNNING',
        `the reconciliation of ${day} is running (${run.id})`,
      );
    }
    return this.runner.execute(run.id);
  }

  async start(
    day: string,
    context: RequestContext,
  ): Promise<{ run: ReconciliationRun; start: ReconciliationStart }> {
    if (parseCalendarDay(day) === null) {
      throw new AppError(400, 'VALIDATION_ERROR', 'date must be a day, YYYY-MM-DD', [
        { field: 'date', message: 'must be a UTC day, YYYY-MM-DD' },
      ]);
    }
    const now = this.clock.now();
    if (new Date(`${day}T00:00:00Z`).getTime() > now.getTime()) {
      throw new AppError(400, 'VALIDATION_ERROR', `${day} has not begun yet`, [
        { field: 'date', message: 'must not be in the future' },
      ]);
    }
    return this.dataSource.transaction(async (manager) => {
      const created: unknown[] = await manager.query(
        `INSERT INTO billing.reconciliation_runs (id, day, account, status, pages, requested_by, started_at, heartbeat_at)
         VALUES ($1, $2, $3, 'running', 0, $4, $5, $5)
         ON CONFLICT (day, account) DO NOTHING RETURNING id`,
        [newId('rec'), day, DEFAULT_ACCOUNT, actorLabel(context.actor), now],
      );
      const run = await manager
        .getRepository(ReconciliationRun)
        .createQueryBuilder('run')
        .setLock('pessimistic_write')
        .where('run.day = :day AND run.account = :account', { day, account: DEFAULT_ACCOUNT })
        .getOneOrFail();
      let start: ReconciliationStart;
      if (created.length > 0) start = 'started';
      else if (run.status === 'completed') {
        start = 'rerun';
        await this.reset(manager, run, {
          status: 'running',
          cursor: null,
          pages: 0,
          error: null,
          startedAt: now,
          heartbeatAt: now,
          completedAt: null,
          requestedBy: actorLabel(context.actor),
        });
      } else if (run.status === 'failed' || now.getTime() - run.heartbeatAt.getTime() > STALE_AFTER_MS) {
        start = 'resumed';
        await this.reset(manager, run, { status: 'running', error: null, heartbeatAt: now });
      } else start = 'already_running';
      await this.audit.record(manager, context, {
        action: `reconciliation.${start}`,
        resourceType: 'reconciliation',
        resourceId: run.id,
        after: { date: day, status: run.status, cursor: run.cursor },
      });
      return { run, start };
    });
  }

  private async reset(
    manager: EntityManager,
    run: ReconciliationRun,
    change: Partial<ReconciliationRun>,
  ): Promise<void> {
    await manager.update(ReconciliationRun, { id: run.id }, change);
    Object.assign(run, change);
  }

  async view(
    id: string,
    page: { limit: number; cursor?: string; kind?: string; status?: string },
  ): Promise<ReconciliationView> {
    const run = await this.dataSource.manager.findOneBy(ReconciliationRun, { id });
    if (!run) throw new AppError(404, 'NOT_FOUND', `no reconciliation ${id}`);
    const rows = await this.dataSource.manager.find(ReconciliationException, {
      where: {
        runId: id,
        ...(page.cursor ? { id: MoreThan(page.cursor) } : {}),
        ...(page.kind ? { kind: page.kind as ReconciliationException['kind'] } : {}),
        ...(page.status ? { status: page.status as ReconciliationException['status'] } : {}),
      },
      order: { id: 'ASC' },
      take: page.limit + 1,
    });
    const more = rows.length > page.limit;
    const data = rows.slice(0, page.limit).map(exceptionView);
    const counts = run.counts;
    return {
      id: run.id,
      date: run.day,
      account: run.account,
      status: run.status,
      pages: run.pages,
      counts,
      clean:
        counts === null
          ? null
          : counts.unmatchedInStripe +
              counts.unmatchedInBooks +
              counts.amountMismatch +
              counts.feeMismatch +
              counts.payoutMismatch ===
            0,
      error: run.error,
      requestedBy: run.requestedBy,
      startedAt: run.startedAt.toISOString(),
      completedAt: run.completedAt?.toISOString() ?? null,
      exceptions: { data, nextCursor: more ? data[data.length - 1].id : null },
    };
  }

  /** Every exception of a run, oldest first (the CSV). */
  async allExceptions(id: string): Promise<ReconciliationExceptionView[]> {
    const run = await this.dataSource.manager.findOneBy(ReconciliationRun, { id });
    if (!run) throw new AppError(404, 'NOT_FOUND', `no reconciliation ${id}`);
    const rows = await this.dataSource.manager.find(ReconciliationException, {
      where: { runId: id },
      order: { id: 'ASC' },
    });
    return rows.map(exceptionView);
  }

  /** Open exceptions, oldest first: finance's work queue. */
  async openExceptions(
    limit: number,
    cursor?: string,
  ): Promise<{ data: ReconciliationExceptionView[]; nextCursor: string | null }> {
    const rows = await this.dataSource.manager.find(ReconciliationException, {
      where: { status: 'open', ...(cursor ? { id: MoreThan(cursor) } : {}) },
      order: { id: 'ASC' },
      take: limit + 1,
    });
    const data = rows.slice(0, limit).map(exceptionView);
    return { data, nextCursor: rows.length > limit ? data[data.length - 1].id : null };
  }

  /** Closes a finance task with what was done about it (audited); resolving twice is refused. */
  async resolve(
    exceptionId: string,
    resolution: string,
    context: RequestContext,
  ): Promise<ReconciliationExceptionView> {
    return this.dataSource.transaction(async (manager) => {
      const row = await manager
        .getRepository(ReconciliationException)
        .createQueryBuilder('x')
        .setLock('pessimistic_write')
        .where('x.id = :id', { id: exceptionId })
        .getOne();
      if (!row) throw new AppError(404, 'NOT_FOUND', `no reconciliation exception ${exceptionId}`);
      if (row.status === 'resolved') {
        throw new AppError(
          409,
          'ALREADY_RESOLVED',
          `reconciliation exception ${exceptionId} is already resolved`,
        );
      }
      const resolvedAt = this.clock.now();
      const resolvedBy = actorLabel(context.actor);
      await manager.update(
        ReconciliationException,
        { id: row.id },
        { status: 'resolved', resolvedBy, resolution, resolvedAt },
      );
      await this.audit.record(manager, context, {
        action: 'reconciliation_exception.resolved',
        resourceType: 'reconciliation_exception',
        resourceId: row.id,
        before: { status: 'open' },
        after: { status: 'resolved', resolution },
      });
      return exceptionView({ ...row, status: 'resolved', resolvedBy, resolution, resolvedAt });
    });
  }
}

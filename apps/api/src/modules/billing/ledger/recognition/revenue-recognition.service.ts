import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../../../../platform/audit/audit.service';
import { actorLabel, type RequestContext } from '../../../../platform/auth/actor';
import { Clock } from '../../../../platform/clock';
import { AppError, NotFoundError } from '../../../../platform/http/app-error';
import type { RevenueKind } from '../chart-of-accounts';
import { type RecognitionMethod, RecognitionPolicy } from '../recognition.entity';
import { addDays, dayOf } from './recognition-rules';
import { RevenueSchedules } from './revenue-schedules.service';

/** Schedules advanced per transaction. */
const BATCH = 200;

export interface RecognitionRunResult {
  through: string;
  schedules: number;
  entries: number;
}

export interface RecognitionPolicyView {
  productKind: RevenueKind;
  method: RecognitionMethod;
  durationDays: number | null;
  description: string;
  updatedAt: string;
  updatedBy: string | null;
}

const toView = (policy: RecognitionPolicy): RecognitionPolicyView => ({
  productKind: policy.productKind,
  method: policy.method,
  durationDays: policy.durationDays,
  description: policy.description,
  updatedAt: policy.updatedAt.toISOString(),
  updatedBy: policy.updatedBy,
});

/**
 * The daily recognition run (job and `pnpm cli recognize --through D`) and the recognition
 * policies as staff read and change them.
 */
@Injectable()
export class RevenueRecognition {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly schedules: RevenueSchedules,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** The last day a run without a date recognizes: yesterday (UTC), the last day that has ended. */
  defaultThrough(): string {
    return addDays(dayOf(this.clock.now()), -1);
  }

  /**
   * Recognizes every schedule's days through `through` (default yesterday), in batches of their
   * own transactions; idempotent per (schedule, day), so a rerun or an overlapping run posts
   * nothing twice, and days missed are caught up.
   */
  async run(through: string = this.defaultThrough()): Promise<RecognitionRunResult> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(through) || dayOf(new Date(`${through}T00:00:00Z`)) !== through)
      throw new AppError(
        400,
        'VALIDATION_ERROR',
        `through must be a calendar day YYYY-MM-DD, got ${through}`,
      );
    let schedules = 0;
    let entries = 0;
    let after = '';
    for (;;) {
      const rows: Array<{ id: string }> = await this.dataSource.query(
        `SELECT id FROM billing.revenue_schedules
          WHERE first_day <= $1::date AND id > $2
            AND (recognized_through IS NULL OR recognized_through < least($1::date, last_day))
          ORDER BY id LIMIT ${BATCH}`,
        [through, after],
      );
      if (rows.length === 0) break;
      const ids = rows.map((row) => row.id);
      entries += await this.dataSource.transaction((manager) =>
        this.schedules.recognize(manager, ids, through),
      );
      schedules += ids.length;
      after = ids[ids.length - 1];
    }
    return { through, schedules, entries };
  }

  async listPolicies(): Promise<RecognitionPolicyView[]> {
    const rows = await this.dataSource
      .getRepository(RecognitionPolicy)
      .find({ order: { productKind: 'ASC' } });
    return rows.map(toView);
  }

  /**
   * Changes a kind's policy, audited. Applies to invoices finalized from then on: schedules already
   * made keep their window (what was sold does not change with the policy).
   */
  async updatePolicy(
    productKind: string,
    change: { method: RecognitionMethod; durationDays?: number | null; description?: string },
    context: RequestContext,
  ): Promise<RecognitionPolicyView> {
    const durationDays = change.durationDays ?? null;
    if ((change.method === 'expected_duration') !== (durationDays !== null))
      throw new AppError(
        422,
        'UNPROCESSABLE',
        'durationDays is required with expected_duration and only with it',
        [{ field: 'durationDays', message: 'required with expected_duration, absent otherwise' }],
      );
    return this.dataSource.transaction(async (manager) => {
      const policy = await manager.findOne(RecognitionPolicy, {
        where: { productKind: productKind as RevenueKind },
        lock: { mode: 'pessimistic_write' },
      });
      if (!policy) throw new NotFoundError('recognition policy', productKind);
      const before = toView(policy);
      policy.method = change.method;
      policy.durationDays = durationDays;
      if (change.description !== undefined) policy.description = change.description;
      policy.updatedAt = this.clock.now();
      policy.updatedBy = actorLabel(context.actor);
      await manager.update(
        RecognitionPolicy,
        { productKind: policy.productKind },
        {
          method: policy.method,
          durationDays: policy.durationDays,
          description: policy.description,
          updatedAt: policy.updatedAt,
          updatedBy: policy.updatedBy,
        },
      );
      const after = toView(policy);
      await this.audit.record(manager, context, {
        action: 'recognition_policy.updated',
        resourceType: 'recognition_policy',
        resourceId: policy.productKind,
        before: { ...before },
        after: { ...after },
      });
      return after;
    });
  }
}

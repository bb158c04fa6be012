import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, FindOptionsWhere, LessThan } from 'typeorm';
import type { Page, PayoutTaskEventData, PayoutTaskStatus, PayoutTaskView } from '@astrix/contracts';
import { actorReference, type RequestContext } from '../../platform/auth/actor';
import { AuditService } from '../../platform/audit/audit.service';
import { Clock } from '../../platform/clock';
import { OutboxService } from '../../platform/events/outbox.service';
import { AppError, ConflictError, NotFoundError } from '../../platform/http/app-error';
import { toPage } from '../../platform/http/pagination';
import { newId } from '../../platform/ids';
import { AccountsService } from '../accounts';
import { BillingService } from '../billing';
import { PayoutLedger } from './payout-ledger.service';
import { PayoutTask } from './payout-task.entity';
import { Payout } from './payout.entity';

const SYSTEM: RequestContext = { actor: { kind: 'system', name: 'payouts' }, requestId: null };
const REASON = 'evaluation fee refunded with first payout';

type RefundOutcome =
  | { ok: true; amount: number; reference: string | null }
  | { ok: false; chargeId: string; code: string; message: string };

export interface PayoutTaskFilter {
  status?: PayoutTaskStatus;
  limit: number;
  cursor?: string;
}

/**
 * The evaluation fee refunded with an account's first paid payout, recorded apart from the payout:
 * the payout is paid from its transfer alone; a refund billing or the processor refuses (a disputed
 * charge, a rejected refund) becomes an open task for finance instead of rolling the payout back.
 */
@Injectable()
export class PayoutFeeRefunds {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: PayoutLedger,
    private readonly accounts: AccountsService,
    private readonly billing: BillingService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  /**
   * Runs in the transaction that marks the payout paid, under its lock. Refunds the account's fee
   * once (a unique ledger entry); a refusal opens a task in the same transaction and returns 0.
   * Anything else (the database, a bug) throws, and the payout's settlement is retried.
   */
  async refundWithPayment(manager: EntityManager, payout: Payout): Promise<number> {
    // Serialises the payouts of one account, so only one of them refunds the fee or opens its task.
    await manager.query('SELECT 1 FROM payouts.accounts WHERE account_id = $1 FOR UPDATE', [
      payout.accountId,
    ]);
    if (await this.ledger.hasFeeRefund(manager, payout.accountId)) return 0;
    // Finance already owns this account's fee refund (open, or resolved by hand).
    if (await manager.exists(PayoutTask, { where: { accountId: payout.accountId, kind: 'fee_refund' } }))
      return 0;
    const outcome = await this.tryRefund(payout.accountId);
    if (outcome.ok) {
      await this.ledger.append(manager, payout, 'fee_refund', outcome.amount, outcome.reference);
      return outcome.amount;
    }
    const now = this.clock.now();
    const task = manager.create(PayoutTask, {
      id: newId('ptk'),
      kind: 'fee_refund',
      status: 'open',
      payoutId: payout.id,
      accountId: payout.accountId,
      userId: payout.userId,
      chargeId: outcome.chargeId,
      failureCode: outcome.code,
      failureReason: outcome.message,
      attempts: 1,
      resolution: null,
      resolutionNote: null,
      resolvedBy: null,
      createdAt: now,
      updatedAt: now,
      resolvedAt: null,
    });
    await manager.insert(PayoutTask, task);
    await this.audit.record(manager, SYSTEM, {
      action: 'payout_task.opened',
      resourceType: 'payout_task',
      resourceId: task.id,
      after: { payoutId: payout.id, kind: task.kind, failureCode: task.failureCode },
    });
    await this.outbox.append(manager, {
      type: 'payouts.fee_refund.failed',
      subject: payout.id,
      data: taskEventData(task),
    });
    return 0;
  }

  async list(filter: PayoutTaskFilter): Promise<Page<PayoutTaskView>> {
    const where: FindOptionsWhere<PayoutTask> = {
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.cursor ? { id: LessThan(filter.cursor) } : {}),
    };
    const rows = await this.dataSource
      .getRepository(PayoutTask)
      .find({ where, order: { id: 'DESC' }, take: filter.limit + 1 });
    return toPage(rows, filter.limit, toPayoutTaskView);
  }

  /** Finance tries the fee refund again (e.g. the dispute was won): refunded resolves the task. */
  retry(taskId: string, context: RequestContext): Promise<PayoutTaskView> {
    return this.change(taskId, async (manager, task) => {
      const payout = await manager.findOneOrFail(Payout, {
        where: { id: task.payoutId },
        lock: { mode: 'pessimistic_write' },
      });
      const before = { attempts: task.attempts, failureCode: task.failureCode };
      const now = this.clock.now();
      const outcome: RefundOutcome = (await this.ledger.hasFeeRefund(manager, task.accountId))
        ? { ok: true, amount: 0, reference: null }
        : await this.tryRefund(task.accountId);
      Object.assign(task, { attempts: task.attempts + 1, updatedAt: now });
      if (outcome.ok) {
        if (!(await this.ledger.hasFeeRefund(manager, task.accountId))) {
          await this.ledger.append(manager, payout, 'fee_refund', outcome.amount, outcome.reference);
          await manager.update(Payout, { id: payout.id }, { feeRefunded: outcome.amount, updatedAt: now });
        }
        Object.assign(task, {
          status: 'resolved',
          resolution: 'refunded',
          resolvedBy: actorReference(context.actor).id,
          resolvedAt: now,
          failureCode: null,
          failureReason: null,
        });
      } else {
        Object.assign(task, { failureCode: outcome.code, failureReason: outcome.message });
      }
      await manager.save(task);
      await this.audit.record(manager, context, {
        action: 'payout_task.retried',
        resourceType: 'payout_task',
        resourceId: task.id,
        before,
        after: { attempts: task.attempts, refunded: outcome.ok, failureCode: task.failureCode },
      });
      if (outcome.ok) await this.resolved(manager, task, context);
      else
        await this.outbox.append(manager, {
          type: 'payouts.fee_refund.failed',
          subject: task.payoutId,
          data: taskEventData(task),
          correlationId: context.requestId,
        });
    });
  }

  /** Finance settled it outside the API (e.g. the bank returned the fee through a lost dispute). */
  resolve(taskId: string, note: string, context: RequestContext): Promise<PayoutTaskView> {
    return this.change(taskId, async (manager, task) => {
      const now = this.clock.now();
      Object.assign(task, {
        status: 'resolved',
        resolution: 'manual',
        resolutionNote: note,
        resolvedBy: actorReference(context.actor).id,
        resolvedAt: now,
        updatedAt: now,
      });
      await manager.save(task);
      await this.resolved(manager, task, context);
    });
  }

  private async resolved(manager: EntityManager, task: PayoutTask, context: RequestContext): Promise<void> {
    await this.audit.record(manager, context, {
      action: 'payout_task.resolved',
      resourceType: 'payout_task',
      resourceId: task.id,
      before: { status: 'open' },
      after: { status: 'resolved', resolution: task.resolution, note: task.resolutionNote },
    });
    await this.outbox.append(manager, {
      type: 'payouts.payout_task.resolved',
      subject: task.payoutId,
      data: taskEventData(task),
      correlationId: context.requestId,
    });
  }

  /** Locks the task; a resolved one is a 409, so racing retries refund at most once. */
  private async change(
    taskId: string,
    apply: (manager: EntityManager, task: PayoutTask) => Promise<void>,
  ): Promise<PayoutTaskView> {
    return this.dataSource.transaction(async (manager) => {
      const task = await manager.findOne(PayoutTask, {
        where: { id: taskId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!task) throw new NotFoundError('payout task', taskId);
      if (task.status !== 'open')
        throw new ConflictError(`payout task ${taskId} is already resolved`, 'TASK_RESOLVED');
      await apply(manager, task);
      return toPayoutTaskView(task);
    });
  }

  /** Billing refunds each charge once (ALREADY_REFUNDED otherwise); its refusals come back as outcomes. */
  private async tryRefund(accountId: string): Promise<RefundOutcome> {
    const account = await this.accounts.get(accountId);
    try {
      const refund = await this.billing.refundOwedInFull(account.chargeId, REASON, SYSTEM);
      return { ok: true, amount: refund.amount.amount, reference: refund.id };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code === 'ALREADY_REFUNDED') return { ok: true, amount: 0, reference: null };
      return { ok: false, chargeId: account.chargeId, code: error.code, message: error.message };
    }
  }
}

export function toPayoutTaskView(task: PayoutTask): PayoutTaskView {
  return {
    id: task.id,
    kind: task.kind,
    status: task.status,
    payoutId: task.payoutId,
    accountId: task.accountId,
    userId: task.userId,
    chargeId: task.chargeId,
    failureCode: task.failureCode,
    failureReason: task.failureReason,
    attempts: task.attempts,
    resolution: task.resolution,
    resolutionNote: task.resolutionNote,
    resolvedBy: task.resolvedBy,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
    resolvedAt: task.resolvedAt?.toISOString() ?? null,
  };
}

function taskEventData(task: PayoutTask): PayoutTaskEventData {
  return {
    taskId: task.id,
    kind: task.kind,
    status: task.status,
    payoutId: task.payoutId,
    accountId: task.accountId,
    userId: task.userId,
    chargeId: task.chargeId,
    failureCode: task.failureCode,
    failureReason: task.failureReason,
    attempts: task.attempts,
    resolution: task.resolution,
    occurredAt: task.updatedAt.toISOString(),
  };
}

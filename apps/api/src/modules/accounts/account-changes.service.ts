import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { AccountStatus } from '@astrix/contracts';
import { AuditService } from '../../platform/audit/audit.service';
import { actorLabel, RequestContext } from '../../platform/auth/actor';
import { Clock } from '../../platform/clock';
import { OutboxService } from '../../platform/events/outbox.service';
import { AppError } from '../../platform/http/app-error';
import { Account } from './account.entity';
import { newId } from '../../platform/ids';
import { checkTransition, TRANSITIONS } from './account-lifecycle';
import { AccountStatusChange } from './account-status-change.entity';
import { toAccountView, toStateChangedData } from './account-views';

export interface StatusChange {
  /** Only from this status (reinstate leaves `suspended`, release leaves `on_hold`, nothing else). */
  from?: AccountStatus;
  to: AccountStatus;
  reason: string;
  /** When it happened, if not now (trading outcomes carry the platform's time). */
  occurredAt?: Date;
  /** Other fields that change with the status (phase, kind, suspension source…). */
  set?: Partial<Pick<Account, 'phase' | 'kind' | 'suspendedBy' | 'firstTradeAt' | 'resetCount'>>;
}

/**
 * The only writer of account state: every change updates the row, appends its history row, its
 * audit row and `accounts.account.state_changed` in the caller's transaction.
 */
@Injectable()
export class AccountChanges {
  constructor(
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  /** Inserts a new account in its first status (history `null → status`). */
  async create(
    manager: EntityManager,
    account: Account,
    reason: string,
    context: RequestContext,
  ): Promise<void> {
    await manager.insert(Account, account);
    await this.record(manager, account, null, { to: account.status, reason }, context, 'account.provisioned');
  }

  /** A status change the state machine must allow; 409 INVALID_TRANSITION listing what is allowed. */
  async transition(
    manager: EntityManager,
    account: Account,
    change: StatusChange,
    context: RequestContext,
  ): Promise<void> {
    const check =
      change.from === undefined || change.from === account.status
        ? checkTransition(account.kind, account.status, change.to)
        : { ok: false as const, allowed: TRANSITIONS[account.kind][account.status] };
    if (!check.ok) {
      const allowed = check.allowed.length > 0 ? check.allowed.join(', ') : 'nothing (final status)';
      throw new AppError(
        409,
        'INVALID_TRANSITION',
        `account ${account.id} cannot go from ${account.status} to ${change.to}; allowed: ${allowed}`,
        check.allowed.map((status) => ({ field: 'status', message: status })),
      );
    }
    await this.apply(manager, account, change, context, 'account.status_changed');
  }

  /** A change already vetted by its own rule (a reset, which may leave an active account active). */
  async apply(
    manager: EntityManager,
    account: Account,
    change: StatusChange,
    context: RequestContext,
    action: string,
  ): Promise<void> {
    const before = toAccountView(account);
    const now = this.clock.now();
    Object.assign(account, change.set ?? {}, {
      status: change.to,
      statusChangedAt: change.occurredAt ?? now,
      updatedAt: now,
    });
    await manager.update(
      Account,
      { id: account.id },
      {
        ...change.set,
        status: account.status,
        statusChangedAt: account.statusChangedAt,
        updatedAt: account.updatedAt,
      },
    );
    await this.record(manager, account, before, change, context, action);
  }

  private async record(
    manager: EntityManager,
    account: Account,
    before: ReturnType<typeof toAccountView> | null,
    change: StatusChange,
    context: RequestContext,
    action: string,
  ): Promise<void> {
    const history = manager.create(AccountStatusChange, {
      id: newId('ash'),
      accountId: account.id,
      fromStatus: before?.status ?? null,
      toStatus: change.to,
      reason: change.reason,
      actor: actorLabel(context.actor),
      occurredAt: change.occurredAt ?? this.clock.now(),
    });
    await manager.insert(AccountStatusChange, history);
    await this.audit.record(manager, context, {
      action,
      resourceType: 'account',
      resourceId: account.id,
      before: before ? { ...before } : null,
      after: { ...toAccountView(account), reason: change.reason },
    });
    await this.outbox.append(manager, {
      type: 'accounts.account.state_changed',
      subject: account.id,
      data: toStateChangedData(account, history),
      correlationId: context.requestId,
    });
  }
}

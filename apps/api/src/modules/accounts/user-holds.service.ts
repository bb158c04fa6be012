import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AstrixEvent } from '@astrix/contracts';
import { OnEvent } from '../../platform/events/event-handler.decorator';
import { AuditService } from '../../platform/audit/audit.service';
import { actorReference, RequestContext } from '../../platform/auth/actor';
import { Clock } from '../../platform/clock';
import { NotFoundError } from '../../platform/http/app-error';
import { UserHold } from './user-hold.entity';

export interface UserHoldView {
  userId: string;
  reason: string;
  createdBy: string;
  createdAt: string;
}

const FRAUD_FLAG_CONTEXT: RequestContext = {
  actor: { kind: 'system', name: 'fraud-flags' },
  requestId: null,
};

const toView = (hold: UserHold): UserHoldView => ({
  userId: hold.userId,
  reason: hold.reason,
  createdBy: hold.createdBy,
  createdAt: hold.createdAt.toISOString(),
});

/** Support's holds on customers (the default FraudHoldPort reads them). */
@Injectable()
export class UserHoldsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Puts a customer on hold; holding one already held keeps the first hold. */
  place(userId: string, reason: string, context: RequestContext): Promise<UserHoldView> {
    return this.dataSource.transaction((manager) => this.placeIn(manager, userId, reason, context));
  }

  /** Billing flagged or blocked the customer: hold their new accounts until support reviews them. */
  @OnEvent('billing.fraud.flagged', 'accounts.fraud-holds')
  async onFraudFlagged(event: AstrixEvent, manager: EntityManager): Promise<void> {
    if (event.type !== 'billing.fraud.flagged') return;
    await this.placeIn(
      manager,
      event.data.userId,
      `fraud ${event.data.severity}: ${event.data.reason}`,
      FRAUD_FLAG_CONTEXT,
    );
  }

  private async placeIn(
    manager: EntityManager,
    userId: string,
    reason: string,
    context: RequestContext,
  ): Promise<UserHoldView> {
    {
      const existing = await manager.findOne(UserHold, { where: { userId } });
      if (existing) return toView(existing);
      const hold = manager.create(UserHold, {
        userId,
        reason,
        createdBy: actorReference(context.actor).id,
        createdAt: this.clock.now(),
      });
      await manager.insert(UserHold, hold);
      await this.audit.record(manager, context, {
        action: 'user_hold.placed',
        resourceType: 'user_hold',
        resourceId: userId,
        after: { ...toView(hold) },
      });
      return toView(hold);
    }
  }

  /** Lifts a hold for future purchases; accounts already on hold are released one by one. */
  remove(userId: string, context: RequestContext): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      const hold = await manager.findOne(UserHold, {
        where: { userId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!hold) throw new NotFoundError('hold on user', userId);
      await manager.delete(UserHold, { userId });
      await this.audit.record(manager, context, {
        action: 'user_hold.removed',
        resourceType: 'user_hold',
        resourceId: userId,
        before: { ...toView(hold) },
      });
    });
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, FindOptionsWhere, LessThan } from 'typeorm';
import type {
  AccountKind,
  AccountStatus,
  AccountView,
  Page,
  ResetOffer,
  TradingOutcomeRequest,
} from '@astrix/contracts';
import type { RequestContext } from '../../platform/auth/actor';
import { NotFoundError } from '../../platform/http/app-error';
import { toPage } from '../../platform/http/pagination';
import type { ResetEligibility } from '../billing';
import { Account } from './account.entity';
import { AccountChanges, StatusChange } from './account-changes.service';
import { tradingStatus } from './account-lifecycle';
import { AccountStatusChange } from './account-status-change.entity';
import { toAccountView } from './account-views';
import { ResetsService } from './resets.service';
import { TradingOutcomesService } from './trading-outcomes.service';

export interface AccountFilter {
  userId?: string;
  status?: AccountStatus;
  kind?: AccountKind;
  limit: number;
  cursor?: string;
}

/**
 * The accounts context's public interface: controllers and other modules (payouts, admin) call
 * this, never the entities.
 */
@Injectable()
export class AccountsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly changes: AccountChanges,
    private readonly resets: ResetsService,
    private readonly outcomes: TradingOutcomesService,
  ) {}

  /** Newest first; without `userId` (staff only) every customer's. */
  async list(filter: AccountFilter): Promise<Page<AccountView>> {
    const where: FindOptionsWhere<Account> = {
      ...(filter.userId !== undefined ? { userId: filter.userId } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.kind ? { kind: filter.kind } : {}),
      ...(filter.cursor ? { id: LessThan(filter.cursor) } : {}),
    };
    const rows = await this.dataSource
      .getRepository(Account)
      .find({ where, order: { id: 'DESC' }, take: filter.limit + 1 });
    return toPage(rows, filter.limit, (account) => toAccountView(account));
  }

  /** An account with its status history; someone else's is not found. */
  async getForUser(userId: string, accountId: string): Promise<AccountView> {
    return this.get(accountId, userId);
  }

  async get(accountId: string, userId?: string): Promise<AccountView> {
    const account = await this.dataSource
      .getRepository(Account)
      .findOne({ where: { id: accountId, ...(userId !== undefined ? { userId } : {}) } });
    if (!account) throw new NotFoundError('account', accountId);
    const history = await this.dataSource
      .getRepository(AccountStatusChange)
      .find({ where: { accountId }, order: { id: 'ASC' } });
    return toAccountView(account, history);
  }

  resetOffer(
    userId: string,
    accountId: string,
    query: { currency?: string; couponCode?: string },
  ): Promise<ResetOffer> {
    return this.resets.offer(userId, accountId, query);
  }

  resetEligibility(input: {
    userId: string;
    accountId: string;
    productId: string;
  }): Promise<ResetEligibility> {
    return this.resets.resetEligibility(input);
  }

  recordTradingOutcome(
    accountId: string,
    request: TradingOutcomeRequest,
    context: RequestContext,
  ): Promise<AccountView> {
    return this.outcomes.record(accountId, request, context);
  }

  /** Support stops trading on an account (active or funded). */
  suspend(accountId: string, reason: string, context: RequestContext): Promise<AccountView> {
    return this.change(accountId, context, () => ({
      to: 'suspended',
      reason,
      set: { suspendedBy: 'support' },
    }));
  }

  /** Support lifts a suspension, whoever placed it. */
  reinstate(accountId: string, reason: string, context: RequestContext): Promise<AccountView> {
    return this.change(accountId, context, (account) => ({
      from: 'suspended',
      to: tradingStatus(account.kind),
      reason,
      set: { suspendedBy: null },
    }));
  }

  /** Support clears an account held for review; it starts trading. */
  releaseHold(accountId: string, reason: string, context: RequestContext): Promise<AccountView> {
    return this.change(accountId, context, (account) => ({
      from: 'on_hold',
      to: tradingStatus(account.kind),
      reason,
    }));
  }

  /** Locks the account and applies a staff change; the state machine has the last word (409). */
  private async change(
    accountId: string,
    context: RequestContext,
    changeFor: (account: Account) => StatusChange,
  ): Promise<AccountView> {
    await this.dataSource.transaction(async (manager) => {
      const account = await manager.findOne(Account, {
        where: { id: accountId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!account) throw new NotFoundError('account', accountId);
      await this.changes.transition(manager, account, changeFor(account), context);
    });
    return this.get(accountId);
  }
}

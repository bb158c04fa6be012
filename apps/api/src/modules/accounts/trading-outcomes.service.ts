import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AccountView, TradingOutcomeRequest } from '@astrix/contracts';
import type { RequestContext } from '../../platform/auth/actor';
import { Clock } from '../../platform/clock';
import { AppError, NotFoundError } from '../../platform/http/app-error';
import { canonicalJson } from '../../platform/idempotency/canonical-json';
import { Account } from './account.entity';
import { AccountChanges, StatusChange } from './account-changes.service';
import { toAccountView } from './account-views';
import { MAX_OUTCOME_CLOCK_SKEW_MS } from './accounts.config';
import { TradingPlatformEvent } from './trading-platform-event.entity';

/** The status changes one outcome makes: passing a phase that is not the last starts the next one. */
function changesFor(account: Account, request: TradingOutcomeRequest, occurredAt: Date): StatusChange[] {
  const reason = request.reason;
  switch (request.type) {
    case 'passed':
      return account.phase < account.phases
        ? [
            { to: 'passed', reason, occurredAt },
            {
              to: 'active',
              reason: `phase ${account.phase + 1} of ${account.phases} starts`,
              occurredAt,
              set: { phase: account.phase + 1 },
            },
          ]
        : [{ to: 'passed', reason, occurredAt }];
    case 'funded':
      return [{ to: 'funded', reason, occurredAt, set: { kind: 'funded' } }];
    default:
      return [{ to: request.type, reason, occurredAt }];
  }
}

/**
 * Outcomes reported by the trading platform, applied once per platform event id: a repeat returns
 * the first answer and changes nothing; the same id with another body is refused (422).
 */
@Injectable()
export class TradingOutcomesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly changes: AccountChanges,
    private readonly clock: Clock,
  ) {}

  record(accountId: string, request: TradingOutcomeRequest, context: RequestContext): Promise<AccountView> {
    const requestHash = createHash('sha256').update(canonicalJson({ accountId, request })).digest('hex');
    return this.dataSource.transaction(async (manager) => {
      // Serialises concurrent deliveries of one event id, whichever account they name.
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`trading-event:${request.eventId}`]);
      const seen = await manager.findOne(TradingPlatformEvent, { where: { eventId: request.eventId } });
      if (seen) {
        if (seen.requestHash !== requestHash) {
          throw new AppError(
            422,
            'EVENT_ID_REUSED',
            `event ${request.eventId} was already received with a different body`,
            [{ field: 'eventId', message: 'already used for another outcome' }],
          );
        }
        return seen.response;
      }
      const account = await manager.findOne(Account, {
        where: { id: accountId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!account) throw new NotFoundError('account', accountId);
      const occurredAt = new Date(request.occurredAt);
      if (occurredAt.getTime() > this.clock.now().getTime() + MAX_OUTCOME_CLOCK_SKEW_MS) {
        throw new AppError(422, 'OCCURRED_IN_FUTURE', `occurredAt ${request.occurredAt} is in the future`, [
          { field: 'occurredAt', message: 'must not be in the future' },
        ]);
      }
      if (occurredAt < account.statusChangedAt) {
        throw new AppError(
          409,
          'STALE_EVENT',
          `event ${request.eventId} happened at ${request.occurredAt}, before the account's last status change at ${account.statusChangedAt.toISOString()}`,
        );
      }
      const firstTradeAt = request.metrics?.firstTradeAt;
      const [first, ...rest] = changesFor(account, request, occurredAt);
      if (account.firstTradeAt === null && typeof firstTradeAt === 'string')
        first.set = { ...first.set, firstTradeAt: new Date(firstTradeAt) };
      for (const change of [first, ...rest]) await this.changes.transition(manager, account, change, context);

      const response = toAccountView(account);
      await manager.insert(TradingPlatformEvent, {
        eventId: request.eventId,
        accountId,
        requestHash,
        response,
        receivedAt: this.clock.now(),
      });
      return response;
    });
  }
}

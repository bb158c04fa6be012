import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { PaymentCompletedData, ResetOffer } from '@astrix/contracts';
import type { RequestContext } from '../../platform/auth/actor';
import { Clock } from '../../platform/clock';
import { AppError, NotFoundError } from '../../platform/http/app-error';
import { BillingService, type AccountsPort, type ResetEligibility } from '../billing';
import { Account } from './account.entity';
import { AccountChanges } from './account-changes.service';
import { newId } from '../../platform/ids';
import { resetRefusal } from './account-lifecycle';
import { AccountReset } from './account-reset.entity';
import { MAX_RESETS_PER_ACCOUNT } from './accounts.config';

/** Resets: who may buy one (billing asks through AccountsPort), its price, and applying it once paid. */
@Injectable()
export class ResetsService implements AccountsPort {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly billing: BillingService,
    private readonly changes: AccountChanges,
    private readonly clock: Clock,
  ) {}

  /** Billing's question before selling a reset; another user's account is simply "not found". */
  async resetEligibility(input: {
    userId: string;
    accountId: string;
    productId: string;
  }): Promise<ResetEligibility> {
    const account = await this.dataSource
      .getRepository(Account)
      .findOne({ where: { id: input.accountId, userId: input.userId } });
    if (!account) return { eligible: false, reason: `account ${input.accountId} was not found` };
    const refusal = resetRefusal(account, MAX_RESETS_PER_ACCOUNT);
    if (refusal) return { eligible: false, reason: refusal };
    const product = await this.billing.getProduct(input.productId);
    if (product.attributes.accountSize !== account.size) {
      return {
        eligible: false,
        reason: `product ${product.id} resets ${product.attributes.accountSize ?? 'no'} accounts; account ${account.id} is ${account.size}`,
      };
    }
    return { eligible: true };
  }

  /** Whether the caller's account can be reset, and at what price (with a coupon when given). */
  async offer(
    userId: string,
    accountId: string,
    query: { currency?: string; couponCode?: string },
  ): Promise<ResetOffer> {
    const account = await this.dataSource
      .getRepository(Account)
      .findOne({ where: { id: accountId, userId } });
    if (!account) throw new NotFoundError('account', accountId);
    const refusal = resetRefusal(account, MAX_RESETS_PER_ACCOUNT);
    if (refusal) return { eligible: false, accountId, reason: refusal };
    const quote = await this.billing.quoteReset({
      userId,
      accountSize: account.size,
      currency: query.currency ?? account.currency,
      couponCode: query.couponCode,
    });
    return quote.ok
      ? { eligible: true, accountId, productId: quote.productId, breakdown: quote.breakdown }
      : { eligible: false, accountId, reason: quote.reason };
  }

  /**
   * A paid reset: applied once per charge. When the account can no longer be reset (funded, closed,
   * gone) the payment is refunded instead, also once: the reset row remembers either outcome.
   */
  async applyPaidReset(
    manager: EntityManager,
    payment: PaymentCompletedData,
    context: RequestContext,
  ): Promise<void> {
    if (await manager.exists(AccountReset, { where: { chargeId: payment.chargeId } })) return;
    const account = payment.accountId
      ? await manager.findOne(Account, {
          where: { id: payment.accountId, userId: payment.userId },
          lock: { mode: 'pessimistic_write' },
        })
      : null;
    const refusal = account
      ? resetRefusal(account, MAX_RESETS_PER_ACCOUNT)
      : `account ${payment.accountId ?? '(none)'} was not found`;
    const reset = manager.create(AccountReset, {
      id: newId('rst'),
      accountId: payment.accountId ?? '',
      chargeId: payment.chargeId,
      outcome: refusal ? 'refunded' : 'applied',
      fromStatus: account?.status ?? null,
      resetCount: (account?.resetCount ?? 0) + (refusal ? 0 : 1),
      refusalReason: refusal,
      createdAt: this.clock.now(),
    });
    await manager.insert(AccountReset, reset);

    if (account && !refusal) {
      await this.changes.apply(
        manager,
        account,
        {
          to: 'active',
          reason: `reset paid by charge ${payment.chargeId}: back to the starting balance and phase 1`,
          set: { phase: 1, resetCount: reset.resetCount, suspendedBy: null },
        },
        context,
        'account.reset',
      );
      return;
    }
    // Last, so anything failing before it rolls back with the reset row and the job retries.
    await this.refundUnappliedReset(payment.chargeId, refusal ?? 'unknown', context);
  }

  private async refundUnappliedReset(
    chargeId: string,
    refusal: string,
    context: RequestContext,
  ): Promise<void> {
    try {
      await this.billing.refundOwedInFull(chargeId, `reset could not be applied: ${refusal}`, context);
    } catch (error) {
      // A retry after the refund went through: nothing left to give back.
      if (error instanceof AppError && error.code === 'ALREADY_REFUNDED') return;
      throw error;
    }
  }
}

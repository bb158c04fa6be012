import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import type { AccountView, PayoutEligibilityView, PayoutStatus } from '@astrix/contracts';
import { parseCurrencyCode } from '@astrix/pricing';
import { Clock } from '../../platform/clock';
import { AccountsService } from '../accounts';
import { BillingService } from '../billing';
import { KycStatusRecord } from './kyc-status.entity';
import { PayoutAccount } from './payout-account.entity';
import { PayoutLedger } from './payout-ledger.service';
import { decidePayout, lastFundedAt, PayoutRules, payoutRulesFor } from './payout-rules';
import { Payout } from './payout.entity';
import { ProductPayoutRules } from './product-payout-rules.entity';

/** Payouts that hold (or used) part of the profit; rejected and canceled ones gave it back. */
export const LIVE_PAYOUT_STATUSES: PayoutStatus[] = ['requested', 'approved', 'processing', 'paid', 'failed'];

export interface PayoutAssessment {
  view: PayoutEligibilityView;
  account: AccountView;
  rules: PayoutRules;
  /** Unpaid profit and the trader's full share of it (before the cap): a partial payout uses profit pro rata. */
  profit: number;
  traderAmount: number;
}

/** Gathers what decides whether and how much an account may pay out now; payout-rules decides. */
@Injectable()
export class PayoutEligibility {
  constructor(
    private readonly accounts: AccountsService,
    private readonly billing: BillingService,
    private readonly ledger: PayoutLedger,
    private readonly clock: Clock,
  ) {}

  async rulesFor(manager: EntityManager, productId: string): Promise<PayoutRules> {
    const custom = await manager.findOne(ProductPayoutRules, { where: { productId } });
    return payoutRulesFor(custom?.rules);
  }

  /** Run inside the transaction that holds the account's payout row lock when about to reserve. */
  async assess(manager: EntityManager, accountId: string, userId?: string): Promise<PayoutAssessment> {
    const account = await this.accounts.get(accountId, userId);
    const [rules, state, kyc, fraudStatus, payouts, paidOutTotal] = await Promise.all([
      this.rulesFor(manager, account.productId),
      manager.findOne(PayoutAccount, { where: { accountId } }),
      manager.findOne(KycStatusRecord, { where: { userId: account.userId } }),
      this.billing.customerFraudStatus(account.userId),
      manager.find(Payout, { where: { accountId, status: In(LIVE_PAYOUT_STATUSES) }, order: { id: 'DESC' } }),
      this.ledger.paidOutTotal(manager, accountId),
    ]);
    const decision = decidePayout(rules, {
      now: this.clock.now(),
      currency: parseCurrencyCode(account.currency),
      accountStatus: account.status,
      startingBalance: account.startingBalance,
      reportedBalance: state?.balance ?? null,
      fundedAt: lastFundedAt(account.history ?? []),
      kycStatus: kyc?.status ?? null,
      fraudStatus,
      livePayouts: payouts,
      paidOutTotal,
    });
    return {
      account,
      rules,
      profit: decision.profit,
      traderAmount: decision.traderAmount,
      view: {
        accountId,
        eligible: decision.eligible,
        reasons: decision.reasons,
        amountAvailable: decision.amountAvailable,
        currency: account.currency,
        split: decision.split,
        nextEligibleAt: decision.nextEligibleAt?.toISOString() ?? null,
        isFirstPayout: decision.isFirstPayout,
        paidOutTotal,
      },
    };
  }
}

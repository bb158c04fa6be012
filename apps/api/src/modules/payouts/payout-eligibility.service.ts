import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import type {
  AccountView,
  PayoutEligibilityView,
  PayoutIneligibilityReason,
  PayoutStatus,
} from '@astrix/contracts';
import { computePayoutSplit, money, parseCurrencyCode, subtract, max, zero } from '@astrix/pricing';
import { Clock } from '../../platform/clock';
import { AccountsService } from '../accounts';
import { BillingService } from '../billing';
import { KycStatusRecord } from './kyc-status.entity';
import { PayoutAccount } from './payout-account.entity';
import { PayoutLedger } from './payout-ledger.service';
import { DAY_MS, DEFAULT_PAYOUT_RULES, PayoutRules } from './payout-rules';
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

/** Decides whether and how much an account may pay out now. */
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
    return { ...DEFAULT_PAYOUT_RULES, ...custom?.rules };
  }

  /** Run inside the transaction that holds the account's payout row lock when about to reserve. */
  async assess(manager: EntityManager, accountId: string, userId?: string): Promise<PayoutAssessment> {
    const account = await this.accounts.get(accountId, userId);
    const currency = parseCurrencyCode(account.currency);
    const now = this.clock.now();
    const [rules, state, kyc, fraudStatus, payouts, paidOutTotal] = await Promise.all([
      this.rulesFor(manager, account.productId),
      manager.findOne(PayoutAccount, { where: { accountId } }),
      manager.findOne(KycStatusRecord, { where: { userId: account.userId } }),
      this.billing.customerFraudStatus(account.userId),
      manager.find(Payout, { where: { accountId, status: In(LIVE_PAYOUT_STATUSES) }, order: { id: 'DESC' } }),
      this.ledger.paidOutTotal(manager, accountId),
    ]);
    const reasons: PayoutIneligibilityReason[] = [];
    if (account.status === 'suspended') reasons.push('account_suspended');
    else if (account.status !== 'funded') reasons.push('account_not_funded');
    if (kyc?.status !== 'verified') reasons.push('kyc_required');
    if (fraudStatus !== 'clear') reasons.push('fraud_review');
    if (!state) reasons.push('no_balance_reported');

    const nextEligibleAt = this.nextEligibleAt(account, payouts[0], rules);
    if (nextEligibleAt !== null && nextEligibleAt > now) reasons.push('too_early');

    const cycleStart = new Date(now.getTime() - rules.cycleDays * DAY_MS);
    const reportedProfit = subtract(
      money(state?.balance ?? account.startingBalance, currency),
      money(account.startingBalance, currency),
    );
    const consumed = money(
      payouts.reduce((total, payout) => total + payout.profitConsumed, 0),
      currency,
    );
    const profit = max(subtract(reportedProfit, consumed), zero(currency));
    const split = computePayoutSplit({
      profit,
      splitTiers: rules.splitTiers.map((tier) => ({
        fromCumulative: money(tier.fromCumulative, currency),
        traderSharePercent: tier.traderSharePercent,
      })),
      cumulativePaidToTrader: money(paidOutTotal, currency),
      minimumPayout: money(rules.minimumPayout, currency),
      capPerCycle: rules.capPerCycle === null ? null : money(rules.capPerCycle, currency),
      paidThisCycle: money(
        payouts
          .filter((payout) => payout.requestedAt >= cycleStart)
          .reduce((total, payout) => total + payout.amount, 0),
        currency,
      ),
      isFirstPayout: payouts.length === 0,
    });
    if (split.status !== 'payable' && state) reasons.push(split.status);
    const eligible = reasons.length === 0;
    const segments = split.segments;
    return {
      account,
      rules,
      profit: profit.amountMinor,
      traderAmount: split.traderAmount.amountMinor,
      view: {
        accountId,
        eligible,
        reasons,
        amountAvailable: eligible ? split.payableToTrader.amountMinor : 0,
        currency: account.currency,
        split: {
          profit: profit.amountMinor,
          traderSharePercent:
            segments[segments.length - 1]?.traderSharePercent ?? rules.splitTiers[0].traderSharePercent,
          traderAmount: split.traderAmount.amountMinor,
          firmAmount: split.firmAmount.amountMinor,
          withheldByCap: split.withheldByCap.amountMinor,
        },
        nextEligibleAt: nextEligibleAt !== null && nextEligibleAt > now ? nextEligibleAt.toISOString() : null,
        isFirstPayout: payouts.length === 0,
        paidOutTotal,
      },
    };
  }

  /** Trading days after funding, then a cycle after the last payout; null before the account is funded. */
  private nextEligibleAt(
    account: AccountView,
    lastPayout: Payout | undefined,
    rules: PayoutRules,
  ): Date | null {
    const funded = [...(account.history ?? [])].reverse().find((change) => change.to === 'funded');
    if (!funded) return null;
    const afterFunding = new Date(Date.parse(funded.occurredAt) + rules.minTradingDays * DAY_MS);
    if (!lastPayout) return afterFunding;
    const afterLastPayout = new Date(lastPayout.requestedAt.getTime() + rules.cycleDays * DAY_MS);
    return afterLastPayout > afterFunding ? afterLastPayout : afterFunding;
  }
}

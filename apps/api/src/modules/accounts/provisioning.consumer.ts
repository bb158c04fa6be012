import { Injectable, Logger } from '@nestjs/common';
import { EntityManager, In, IsNull, Not } from 'typeorm';
import type {
  AccountKind,
  AccountRules,
  AccountTermsSnapshot,
  AstrixEvent,
  PaymentCompletedData,
} from '@astrix/contracts';
import { moneyFromDecimal, parseCurrencyCode } from '@astrix/pricing';
import type { RequestContext } from '../../platform/auth/actor';
import { Clock } from '../../platform/clock';
import { OnEvent } from '../../platform/events/event-handler.decorator';
import { Account } from './account.entity';
import { AccountChanges } from './account-changes.service';
import { newId } from '../../platform/ids';
import { tradingStatus } from './account-lifecycle';
import { FraudHoldPort } from './fraud-hold.port';
import { ResetsService } from './resets.service';

const systemContext = (name: string, event: AstrixEvent): RequestContext => ({
  actor: { kind: 'system', name },
  requestId: event.correlationId ?? event.id,
});

/**
 * The evaluation terms a payment bought, from the snapshot billing took when the money arrived (never
 * the product as it is now). A purchase without them is a catalog bug, so it fails loudly.
 */
function accountTerms(
  payment: PaymentCompletedData,
  kind: AccountKind,
): { size: number; phases: number; rules: AccountRules } {
  // Events from before the snapshot (v1) carry none: they need a person, not a guess.
  const bought: AccountTermsSnapshot | null = payment.accountTerms ?? null;
  if (!bought) {
    throw new Error(
      `charge ${payment.chargeId} (product ${payment.productId}) carries no account terms to provision`,
    );
  }
  const profitTargets = bought.profitTargetPercent;
  const phases = kind === 'evaluation' ? (bought.phases ?? profitTargets.length) : 0;
  const missing = [
    bought.maxDailyLossPercent === null && 'maxDailyLossPercent',
    bought.maxTotalLossPercent === null && 'maxTotalLossPercent',
    kind === 'evaluation' && (phases < 1 || profitTargets.length < phases) && 'profitTargetPercent per phase',
  ].filter((name): name is string => typeof name === 'string');
  if (missing.length > 0)
    throw new Error(
      `charge ${payment.chargeId} (product ${payment.productId}) cannot provision an account: missing ${missing.join(', ')}`,
    );
  return {
    size: bought.accountSize,
    phases,
    rules: {
      profitTargetPercent: profitTargets.slice(0, phases),
      maxDailyLossPercent: bought.maxDailyLossPercent ?? '0',
      maxTotalLossPercent: bought.maxTotalLossPercent ?? '0',
      minTradingDays: bought.minTradingDays ?? 0,
    },
  };
}

/** Turns billing's events into accounts: purchases provision or reset them, subscriptions gate them. */
@Injectable()
export class ProvisioningConsumer {
  private readonly logger = new Logger(ProvisioningConsumer.name);

  constructor(
    private readonly fraudHold: FraudHoldPort,
    private readonly changes: AccountChanges,
    private readonly resets: ResetsService,
    private readonly clock: Clock,
  ) {}

  @OnEvent('billing.payment.completed', 'accounts.provisioning')
  async onPaymentCompleted(event: AstrixEvent, manager: EntityManager): Promise<void> {
    if (event.type !== 'billing.payment.completed') return;
    const payment = event.data;
    // An invoice payment (a subscription's renewal or first invoice) pays for time, not for an
    // account; events from before `paidFor` existed were all purchases.
    if (payment.paidFor === 'invoice') return;
    const context = systemContext('accounts.provisioning', event);
    switch (payment.productKind) {
      case 'evaluation':
        return this.provision(manager, payment, 'evaluation', context);
      case 'instant_funded':
        return this.provision(manager, payment, 'funded', context);
      case 'reset':
        return this.resets.applyPaidReset(manager, payment, context);
      case 'subscription':
        return this.provisionForSubscription(manager, payment, context);
      case 'add_on':
        return;
    }
  }

  @OnEvent('billing.subscription.updated', 'accounts.subscription-status')
  async onSubscriptionUpdated(event: AstrixEvent, manager: EntityManager): Promise<void> {
    if (event.type !== 'billing.subscription.updated') return;
    const { userId, to, subscriptionId, productId } = event.data;
    const context = systemContext('accounts.subscription-status', event);
    const unpaid = to === 'past_due' || to === 'paused' || to === 'canceled';
    if (!unpaid && to !== 'active') return;
    const status = unpaid
      ? { status: In(['active', 'funded']) }
      : { status: 'suspended' as const, suspendedBy: 'subscription' as const };
    // The subscription's own accounts; accounts from before they named one follow the user's plan.
    const accounts = await manager.find(Account, {
      where: [
        { subscriptionId, ...status },
        { subscriptionId: IsNull(), userId, productId, productKind: 'subscription', ...status },
      ],
      order: { id: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
    for (const account of accounts) {
      await this.changes.transition(
        manager,
        account,
        unpaid
          ? {
              to: 'suspended',
              reason: `subscription ${subscriptionId} is ${to}`,
              set: { suspendedBy: 'subscription' },
            }
          : {
              to: tradingStatus(account.kind),
              reason: `subscription ${subscriptionId} is paid again`,
              set: { suspendedBy: null },
            },
        context,
      );
    }
  }

  /** A subscription that includes an evaluation: the first payment provisions it, renewals keep it. */
  private async provisionForSubscription(
    manager: EntityManager,
    payment: PaymentCompletedData,
    context: RequestContext,
  ): Promise<void> {
    if (payment.accountSize === null) return;
    const current = await manager.exists(Account, {
      where: payment.subscriptionId
        ? { subscriptionId: payment.subscriptionId, status: Not('closed') }
        : { userId: payment.userId, productId: payment.productId, status: Not('closed') },
    });
    if (current) {
      this.logger.log(`charge ${payment.chargeId} renews ${payment.productId} for ${payment.userId}`);
      return;
    }
    await this.provision(manager, payment, 'evaluation', context);
  }

  /** Creates the account of a purchase once per charge: provisioning → active/funded, or on_hold. */
  private async provision(
    manager: EntityManager,
    payment: PaymentCompletedData,
    kind: AccountKind,
    context: RequestContext,
  ): Promise<void> {
    if (await manager.exists(Account, { where: { chargeId: payment.chargeId } })) return;
    const terms = accountTerms(payment, kind);
    const currency = parseCurrencyCode(payment.currency);
    const now = this.clock.now();
    const account = manager.create(Account, {
      id: newId('acc'),
      userId: payment.userId,
      kind,
      status: 'provisioning',
      size: terms.size,
      currency,
      phase: terms.phases > 0 ? 1 : 0,
      phases: terms.phases,
      startingBalance: moneyFromDecimal(String(terms.size), currency).amountMinor,
      rules: terms.rules,
      productId: payment.productId,
      productKind: payment.productKind,
      chargeId: payment.chargeId,
      subscriptionId: payment.productKind === 'subscription' ? payment.subscriptionId : null,
      resetCount: 0,
      firstTradeAt: null,
      suspendedBy: null,
      statusChangedAt: now,
      createdAt: now,
      updatedAt: now,
    });
    await this.changes.create(manager, account, `bought with charge ${payment.chargeId}`, context);
    // In the consumer's transaction: a second pool connection per provisioning, taken while this one
    // is held, made concurrent consumers wait for each other's connections.
    const held = await this.fraudHold.isOnHold(payment.userId, manager);
    await this.changes.transition(
      manager,
      account,
      held
        ? { to: 'on_hold', reason: 'the customer is on hold pending review' }
        : { to: tradingStatus(kind), reason: 'provisioned' },
      context,
    );
  }
}

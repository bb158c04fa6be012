import { Injectable, Logger } from '@nestjs/common';
import type { AstrixEvent } from '@astrix/contracts';
import type { RequestContext } from '../../../platform/auth/actor';
import { AppConfig } from '../../../platform/config/app-config';
import { OnEvent } from '../../../platform/events/event-handler.decorator';
import { AppError } from '../../../platform/http/app-error';
import { RefundsService } from './refunds.service';

const DAY_MS = 86_400_000;
const COOLING_OFF: RequestContext = {
  actor: { kind: 'system', name: 'cooling-off-refunds' },
  requestId: null,
};

/**
 * An account closed before its first trade, within the cooling-off window after it was bought,
 * gets the fee that bought it refunded automatically. The inbox makes this run once per event,
 * and a charge with nothing left to refund is simply done.
 */
@Injectable()
export class CoolingOffRefunds {
  private readonly logger = new Logger(CoolingOffRefunds.name);

  constructor(
    private readonly refunds: RefundsService,
    private readonly config: AppConfig,
  ) {}

  // Only closings before the first trade can owe a refund: every other state change (two per
  // purchase) is not consumed at all, so it costs no transaction and no queue job.
  @OnEvent(
    'accounts.account.state_changed',
    'billing.cooling-off-refunds',
    (event) =>
      event.type === 'accounts.account.state_changed' &&
      event.data.to === 'closed' &&
      event.data.firstTradeAt === null,
  )
  async onAccountStateChanged(event: AstrixEvent): Promise<void> {
    if (event.type !== 'accounts.account.state_changed') return;
    const account = event.data;
    if (account.to !== 'closed' || account.firstTradeAt !== null) return;
    const heldForMs = new Date(account.occurredAt).getTime() - new Date(account.createdAt).getTime();
    if (heldForMs > this.config.coolingOffDays * DAY_MS) return;
    try {
      const refund = await this.refunds.refundCharge(
        account.chargeId,
        undefined,
        `cooling-off: account ${account.accountId} closed before its first trade`,
        { ...COOLING_OFF, requestId: event.id },
      );
      this.logger.log(`cooling-off refund ${refund.id} for account ${account.accountId} (${refund.status})`);
    } catch (error) {
      // Nothing left to give back: refunded already, or credited in full (settled outside Stripe).
      if (
        error instanceof AppError &&
        (error.code === 'ALREADY_REFUNDED' || error.code === 'ALREADY_CREDITED')
      ) {
        return;
      }
      // Disputed: the bank is returning the money through the dispute; a refund would pay it twice.
      // A decision, not a failure: throwing would fail the event for every consumer after this one.
      // The processor refused the refund (e.g. charged back before we heard of the dispute): the
      // refund is recorded as failed; asking again would be refused again.
      if (error instanceof AppError && ['CHARGE_DISPUTED', 'PROCESSOR_REJECTED'].includes(error.code)) {
        this.logger.warn(`no cooling-off refund for account ${account.accountId}: ${error.message}`);
        return;
      }
      throw error;
    }
  }
}

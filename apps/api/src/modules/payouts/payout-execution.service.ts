import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { parseCurrencyCode } from '@astrix/pricing';
import { PaymentProcessorError, type PaymentProcessor, type ProcessorTransfer } from '@astrix/stripe-client';
import { Clock } from '../../platform/clock';
import { OutboxService } from '../../platform/events/outbox.service';
import { InjectPaymentProcessor } from '../../platform/payment-processor/payment-processor.provider';
import { PayoutFeeRefunds } from './payout-fee-refunds.service';
import { PayoutJournal } from './payout-journal.service';
import { PayoutLedger } from './payout-ledger.service';
import { payoutEventData } from './payout-views';
import { Payout } from './payout.entity';

/** Stripe transfer events as the payment-processor port parses them. */
export interface TransferEvent {
  type: 'transfer.created' | 'transfer.updated' | 'transfer.reversed';
  object: ProcessorTransfer;
}

/** Moves an approved payout's money, and settles it from the processor's answer or its webhooks. */
@Injectable()
export class PayoutExecution {
  private readonly logger = new Logger(PayoutExecution.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly ledger: PayoutLedger,
    private readonly feeRefunds: PayoutFeeRefunds,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    private readonly journal: PayoutJournal,
  ) {}

  /** The transfer's idempotency key: the same attempt can never transfer twice. */
  static transferKey(payoutId: string, attempt: number): string {
    return `payout-${payoutId}-attempt-${attempt}`;
  }

  async execute(payoutId: string, attempt: number): Promise<void> {
    const payout = await this.dataSource.transaction(async (manager) => {
      const locked = await manager.findOne(Payout, {
        where: { id: payoutId },
        lock: { mode: 'pessimistic_write' },
      });
      // A stale job (an older attempt, or a payout already settled) has nothing to do.
      if (!locked || locked.attempt !== attempt || !['approved', 'processing'].includes(locked.status))
        return null;
      await manager.update(Payout, { id: payoutId }, { status: 'processing', updatedAt: this.clock.now() });
      return locked;
    });
    if (!payout) return;
    // Bank transfers are exported for finance and crypto goes to the manual desk: they stay processing.
    if (payout.method !== 'stripe_connect' || !payout.destination) return;
    let transfer: ProcessorTransfer;
    try {
      transfer = await this.processor.createTransfer(
        {
          destinationAccountId: payout.destination,
          amountMinor: payout.amount,
          currency: parseCurrencyCode(payout.currency),
          description: `payout ${payout.id}`,
          transferGroup: payout.id,
          metadata: { payoutId: payout.id, accountId: payout.accountId },
        },
        PayoutExecution.transferKey(payout.id, attempt),
      );
    } catch (error) {
      if (!(error instanceof PaymentProcessorError)) throw error;
      await this.fail(payout.id, error.message, error.retryable);
      return;
    }
    await this.markPaid(payout.id, transfer.id);
  }

  /** Transfer webhooks (routed here by billing's webhook processing): duplicates change nothing. */
  async handleTransferEvent(event: TransferEvent): Promise<boolean> {
    const payoutId = event.object.metadata.payoutId ?? event.object.transferGroup;
    if (!payoutId) return false;
    if (event.type === 'transfer.reversed') {
      await this.fail(payoutId, 'transfer reversed', false);
      return true;
    }
    await this.markPaid(payoutId, event.object.id);
    return true;
  }

  /** The reservation is kept: finance retries, or rejects nothing once money may have moved. */
  private async fail(payoutId: string, reason: string, outcomeUnknown: boolean): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const payout = await manager.findOne(Payout, {
        where: { id: payoutId },
        lock: { mode: 'pessimistic_write' },
      });
      if (payout?.status !== 'processing') return;
      payout.status = 'failed';
      payout.updatedAt = this.clock.now();
      await manager.update(
        Payout,
        { id: payoutId },
        { status: 'failed', failureReason: reason, outcomeUnknown, updatedAt: payout.updatedAt },
      );
      await this.outbox.append(manager, {
        type: 'payouts.payout.failed',
        subject: payoutId,
        data: payoutEventData(payout, reason),
      });
    });
  }

  /** Paid once: the payment entry, and with the account's first payment the evaluation fee refund (or its task). */
  async markPaid(payoutId: string, transferId: string | null): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const payout = await manager.findOne(Payout, {
        where: { id: payoutId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!payout || payout.status === 'paid') return;
      if (!['processing', 'failed'].includes(payout.status)) {
        this.logger.warn({ payoutId, status: payout.status }, 'transfer for a payout not in flight');
        return;
      }
      // The transfer alone makes the payout paid: a refused fee refund becomes a task, never a rollback.
      const feeRefunded = await this.feeRefunds.refundWithPayment(manager, payout);
      const now = this.clock.now();
      Object.assign(payout, { status: 'paid', transferId, paidAt: now, updatedAt: now, feeRefunded });
      await manager.update(
        Payout,
        { id: payoutId },
        { status: 'paid', transferId, paidAt: now, updatedAt: now, failureReason: null, feeRefunded },
      );
      await this.ledger.append(manager, payout, 'payment', payout.amount);
      await this.journal.paid(manager, payout, now);
      await this.outbox.append(manager, {
        type: 'payouts.payout.paid',
        subject: payoutId,
        data: payoutEventData(payout),
      });
    });
  }
}

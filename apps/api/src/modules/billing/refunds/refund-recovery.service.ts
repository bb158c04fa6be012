import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan } from 'typeorm';
import type { PaymentProcessor, ProcessorRefund } from '@astrix/stripe-client';
import { AppConfig } from '../../../platform/config/app-config';
import { Clock } from '../../../platform/clock';
import { AppError } from '../../../platform/http/app-error';
import { InjectPaymentProcessor } from '../../../platform/payment-processor/payment-processor.provider';
import { Charge } from '../payments/charge.entity';
import { Refund } from './refund.entity';
import { RefundSettlement } from './refund-settlement.service';
import { MAX_RETRIES, RefundSubmission } from './refund-submission.service';

/** Refunds the sweep settles per run; the next run takes the rest. */
const SWEEP_BATCH = 100;

export interface PendingRefundSweep {
  /** Refunds pending longer than the bound that the sweep asked the processor about. */
  checked: number;
  /** Of those, now succeeded, failed or canceled. */
  settled: number;
  /** Of those, still pending at the processor (or it did not answer): the next sweep asks again. */
  stillPending: number;
}

/** Refunds the processor did not answer: the retry jobs and the pending-refund sweep behind them. */
@Injectable()
export class RefundRecovery {
  private readonly logger = new Logger(RefundRecovery.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly submission: RefundSubmission,
    private readonly settlement: RefundSettlement,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * Retry `attempt` of a refund whose processor call got no answer (job). Each retry that gets no
   * answer schedules the next under its own job id, so none is dropped as a duplicate of the job
   * that is running; after the last, the pending sweep settles it.
   */
  async retry(refundId: string, attempt = 1): Promise<void> {
    const refund = await this.dataSource.getRepository(Refund).findOne({ where: { id: refundId } });
    if (!refund || refund.status !== 'pending' || refund.stripeRefundId) return;
    const charge = await this.dataSource
      .getRepository(Charge)
      .findOneOrFail({ where: { id: refund.chargeId } });
    try {
      await this.submission.submit(refund, charge.stripeChargeId, attempt);
    } catch (error) {
      // Refused by the processor: recorded as failed, nothing to retry.
      if (error instanceof AppError) return;
      throw error;
    }
  }

  /**
   * Settles every refund pending longer than the bound by asking the processor what became of it:
   * the one it made under our idempotency key (found by id, or by our refund id in its metadata),
   * or, when it never made one, asking it now with the same key. Covers retries lost with Redis.
   */
  async settleOverdue(): Promise<PendingRefundSweep> {
    const cutoff = new Date(this.clock.now().getTime() - this.config.refundPendingBoundMs);
    const overdue = await this.dataSource.getRepository(Refund).find({
      where: { status: 'pending', createdAt: LessThan(cutoff) },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: SWEEP_BATCH,
    });
    const result: PendingRefundSweep = { checked: overdue.length, settled: 0, stillPending: 0 };
    for (const refund of overdue) {
      try {
        const status = await this.settleFromProcessor(refund);
        if (status === 'pending') result.stillPending += 1;
        else result.settled += 1;
      } catch (error) {
        result.stillPending += 1;
        this.logger.warn(
          `refund ${refund.id}: pending sweep could not settle it (${(error as Error).message})`,
        );
      }
    }
    if (result.checked > 0) this.logger.log(`pending refund sweep: ${JSON.stringify(result)}`);
    return result;
  }

  private async settleFromProcessor(refund: Refund): Promise<Refund['status']> {
    const charge = await this.dataSource
      .getRepository(Charge)
      .findOneOrFail({ where: { id: refund.chargeId } });
    const processorRefund = refund.stripeRefundId
      ? await this.processor.getRefund(refund.stripeRefundId)
      : charge.stripeChargeId
        ? await this.findAtProcessor(charge.stripeChargeId, refund.id)
        : null;
    if (processorRefund) {
      await this.settlement.applyProcessorRefund({
        ...processorRefund,
        metadata: { ...processorRefund.metadata, refundId: refund.id },
      });
    } else {
      // The processor never made it: ask now, with the same key. No retry job; the next sweep is one.
      try {
        await this.submission.submit(refund, charge.stripeChargeId, MAX_RETRIES);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
      }
    }
    const current = await this.dataSource.getRepository(Refund).findOneOrFail({ where: { id: refund.id } });
    return current.status;
  }

  /** The processor's refund made for ours, if any: our refund id travels in its metadata. */
  private async findAtProcessor(stripeChargeId: string, refundId: string): Promise<ProcessorRefund | null> {
    let cursor: string | undefined;
    for (;;) {
      const page = await this.processor.listRefunds({ chargeId: stripeChargeId, limit: 100, cursor });
      const found = page.data.find((candidate) => candidate.metadata.refundId === refundId);
      if (found) return found;
      if (!page.hasMore || !page.nextCursor) return null;
      cursor = page.nextCursor;
    }
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { RefundView } from '@astrix/contracts';
import { CardDeclinedError, InvalidRequestError, type PaymentProcessor } from '@astrix/stripe-client';
import { AppConfig } from '../../../platform/config/app-config';
import { AppError } from '../../../platform/http/app-error';
import { JobQueue } from '../../../platform/queues/job-queue.service';
import { InjectPaymentProcessor } from '../../../platform/payment-processor/payment-processor.provider';
import { toProcessorAppError } from '../../../platform/payment-processor/processor-errors';
import { Refund } from './refund.entity';
import { RefundSettlement } from './refund-settlement.service';
import { processorReasonFor, toRefundView } from './refund-views';

/** Retries of a refund the processor did not answer; after the last, the pending sweep takes over. */
export const MAX_RETRIES = 8;
const MAX_RETRY_DELAY_MS = 3_600_000;

/**
 * Asks the processor (idempotently, `refund:<id>`) to pay a reserved refund back and records its
 * answer; without an answer, schedules the next retry.
 */
@Injectable()
export class RefundSubmission {
  private readonly logger = new Logger(RefundSubmission.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly settlement: RefundSettlement,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
  ) {}

  async submit(refund: Refund, stripeChargeId: string | null, attempt = 0): Promise<RefundView> {
    if (!stripeChargeId)
      throw new AppError(409, 'CONFLICT', `charge ${refund.chargeId} has no processor charge to refund`);
    try {
      const processorRefund = await this.processor.createRefund(
        {
          chargeId: stripeChargeId,
          amountMinor: refund.amount,
          currency: refund.currency,
          reason: processorReasonFor(refund.reason),
          metadata: { refundId: refund.id, chargeId: refund.chargeId },
        },
        `refund:${refund.id}`,
      );
      await this.settlement.applyProcessorRefund(processorRefund);
    } catch (error) {
      if (error instanceof InvalidRequestError || error instanceof CardDeclinedError) {
        await this.dataSource.transaction((manager) =>
          this.settlement.markUnsuccessful(manager, refund, 'failed', error.message),
        );
        // Charged back at the processor before its dispute reached us: the bank already returned
        // the money, so this is the same refusal as for a dispute we know of, not a processor fault.
        if (error instanceof InvalidRequestError && error.processorCode === 'charge_disputed') {
          throw new AppError(
            409,
            'CHARGE_DISPUTED',
            `charge ${refund.chargeId} has been charged back at the payment processor (a dispute we have not heard of yet); refunding it would pay the amount back twice`,
          );
        }
        throw toProcessorAppError(error);
      }
      // No answer: the refund may or may not exist at the processor. Ask again later with the same
      // idempotency key; it stays pending (and reserved) until then.
      this.logger.warn(
        `refund ${refund.id}: processor did not answer (${(error as Error).message}); retrying later`,
      );
      await this.scheduleRetry(refund, attempt + 1);
    }
    const current = await this.dataSource.getRepository(Refund).findOneOrFail({ where: { id: refund.id } });
    return toRefundView(current);
  }

  /**
   * Retry n runs under its own job id (`refund-retry-<id>-<n>`), after a delay doubling per retry.
   * If Redis loses it (or is down right now), the refund is still pending in our books and the
   * pending sweep settles it: the retry is a shortcut, not the only way back.
   */
  private async scheduleRetry(refund: Refund, attempt: number): Promise<void> {
    if (attempt > MAX_RETRIES) {
      this.logger.warn(`refund ${refund.id}: no more retries; the pending refund sweep will settle it`);
      return;
    }
    const delayMs = Math.min(this.config.refundRetryDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
    try {
      await this.jobs.enqueue({
        name: 'billing.retry-refund',
        payload: { refundId: refund.id, attempt },
        jobId: `refund-retry-${refund.id}-${attempt}`,
        delayMs,
      });
    } catch (error) {
      this.logger.warn(
        `refund ${refund.id}: retry ${attempt} not scheduled (${(error as Error).message}); the pending refund sweep will settle it`,
      );
    }
  }
}

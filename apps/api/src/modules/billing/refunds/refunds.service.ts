import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { add, compare, subtract } from '@astrix/pricing';
import type { RefundView } from '@astrix/contracts';
import {
  CardDeclinedError,
  InvalidRequestError,
  type PaymentProcessor,
  type ProcessorCharge,
  type ProcessorRefund,
  type RefundReason,
} from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import { actorReference, RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { OutboxService } from '../../../platform/events/outbox.service';
import { AppError, NotFoundError } from '../../../platform/http/app-error';
import { newId } from '../../../platform/ids';
import { JobQueue } from '../../../platform/queues/job-queue.service';
import { Product } from '../catalog/product.entity';
import { InvoicesService } from '../invoicing/invoices.service';
import { Charge } from '../payments/charge.entity';
import { ChargeRecorder } from '../payments/charge-recorder.service';
import { STRIPE_ACTOR } from '../payments/payments.service';
import { InjectPaymentProcessor } from '../../../platform/payment-processor/payment-processor.provider';
import { toProcessorAppError } from '../../../platform/payment-processor/processor-errors';
import { storedMoney } from '../money';
import { Refund } from './refund.entity';

/** Refunds still counting against the charge: pending ones are money already promised back. */
const COMMITTED_STATUSES = ['pending', 'succeeded'] as const;
const RETRY_DELAY_MS = 30_000;

export interface RefundOptions {
  /** Refunds the platform itself owes (a reset that could not be applied), not a trader's request. */
  evenIfNotRefundable?: boolean;
}

export function toRefundView(refund: Refund): RefundView {
  return {
    id: refund.id,
    chargeId: refund.chargeId,
    amount: { amount: refund.amount, currency: refund.currency },
    reason: refund.reason,
    status: refund.status,
    creditNoteId: refund.creditNoteId,
    createdAt: refund.createdAt.toISOString(),
  };
}

function processorReasonFor(reason: string): RefundReason {
  const normalized = reason.toLowerCase();
  if (normalized.includes('duplicate')) return 'duplicate';
  if (normalized.includes('fraud')) return 'fraudulent';
  return 'requested_by_customer';
}

/** Full and partial refunds: never more than what is left, even when requests race. */
@Injectable()
export class RefundsService {
  private readonly logger = new Logger(RefundsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly invoices: InvoicesService,
    private readonly charges: ChargeRecorder,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
  ) {}

  /** Reserves the amount against the charge, then asks the processor (idempotently) to pay it back. */
  async refundCharge(
    chargeId: string,
    amount: number | undefined,
    reason: string,
    context: RequestContext,
    options: RefundOptions = {},
  ): Promise<RefundView> {
    const refund = await this.dataSource.transaction(async (manager) => {
      // The row lock serialises concurrent refunds of one charge; the sum below then sees them all.
      const charge = await manager.findOne(Charge, {
        where: { id: chargeId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!charge) throw new NotFoundError('charge', chargeId);
      if (charge.status === 'disputed') {
        throw new AppError(
          409,
          'CHARGE_DISPUTED',
          `charge ${chargeId} is disputed; refunding it would pay the amount back twice`,
        );
      }
      const product = await manager.findOne(Product, { where: { id: charge.productId } });
      if (product?.kind === 'reset' && !options.evenIfNotRefundable) {
        throw new AppError(409, 'NOT_REFUNDABLE', 'resets are not refundable');
      }
      const remaining = await this.remainingRefundable(manager, charge);
      if (remaining.amountMinor === 0)
        throw new AppError(409, 'ALREADY_REFUNDED', `charge ${chargeId} has nothing left to refund`);
      const requested = storedMoney(amount ?? remaining.amountMinor, charge.currency);
      if (compare(requested, remaining) > 0) {
        throw new AppError(
          422,
          'REFUND_EXCEEDS_REMAINING',
          `refund of ${requested.amountMinor} exceeds the ${remaining.amountMinor} ${charge.currency} still refundable on ${chargeId}`,
          [{ field: 'amount', message: `at most ${remaining.amountMinor}` }],
        );
      }
      const row = manager.create(Refund, {
        id: newId('ref'),
        chargeId,
        amount: requested.amountMinor,
        currency: charge.currency,
        reason,
        status: 'pending',
        stripeRefundId: null,
        failureReason: null,
        requestedBy: actorReference(context.actor).id,
        creditNoteId: null,
        createdAt: this.clock.now(),
        processedAt: null,
      });
      await manager.insert(Refund, row);
      await this.audit.record(manager, context, {
        action: 'refund.requested',
        resourceType: 'refund',
        resourceId: row.id,
        after: { ...toRefundView(row) },
      });
      return { row, stripeChargeId: charge.stripeChargeId };
    });
    return this.submit(refund.row, refund.stripeChargeId);
  }

  /**
   * Pays back in full a payment its invoice did not keep (a duplicate, or money for a void invoice);
   * null when that charge is already refunded or being refunded.
   */
  async refundDuplicatePayment(
    chargeId: string,
    reason: string,
    context: RequestContext,
  ): Promise<RefundView | null> {
    try {
      return await this.refundCharge(chargeId, undefined, reason, context, { evenIfNotRefundable: true });
    } catch (error) {
      if (error instanceof AppError && error.code === 'ALREADY_REFUNDED') return null;
      throw error;
    }
  }

  /** Retry of a refund whose processor call got no answer (job). */
  async retry(refundId: string): Promise<void> {
    const refund = await this.dataSource.getRepository(Refund).findOne({ where: { id: refundId } });
    if (!refund || refund.status !== 'pending' || refund.stripeRefundId) return;
    const charge = await this.dataSource
      .getRepository(Charge)
      .findOneOrFail({ where: { id: refund.chargeId } });
    await this.submit(refund, charge.stripeChargeId);
  }

  async listForCharge(chargeId: string): Promise<RefundView[]> {
    const refunds = await this.dataSource
      .getRepository(Refund)
      .find({ where: { chargeId }, order: { id: 'ASC' } });
    return refunds.map(toRefundView);
  }

  /** A refund as the processor reports it (API answer or webhook), possibly one made outside our API. */
  async applyProcessorRefund(processorRefund: ProcessorRefund): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const refund = await this.findOrAdoptRefund(manager, processorRefund);
      if (!refund) return false;
      if (!refund.stripeRefundId) {
        await manager.update(Refund, { id: refund.id }, { stripeRefundId: processorRefund.id });
      }
      switch (processorRefund.status) {
        case 'succeeded':
          await this.settle(manager, refund);
          return true;
        case 'failed':
        case 'canceled':
          await this.markUnsuccessful(
            manager,
            refund,
            processorRefund.status,
            processorRefund.failureReason ?? processorRefund.status,
          );
          return true;
        case 'pending':
        case 'requires_action':
          return true;
      }
    });
  }

  /** charge.refunded: our refunds arrive as refund.* events; this only checks the totals agree. */
  async reconcileCharge(processorCharge: ProcessorCharge): Promise<boolean> {
    const charge = await this.dataSource
      .getRepository(Charge)
      .findOne({ where: { stripeChargeId: processorCharge.id } });
    if (!charge) return false;
    if (charge.amountRefunded !== processorCharge.amountRefundedMinor) {
      this.logger.warn(
        `charge ${charge.id}: processor reports ${processorCharge.amountRefundedMinor} refunded, we have ${charge.amountRefunded} so far`,
      );
    }
    return true;
  }

  private async submit(refund: Refund, stripeChargeId: string | null): Promise<RefundView> {
    if (!stripeChargeId)
      throw new AppError(409, 'CONFLICT', `charge ${refund.chargeId} has no processor charge to refund`);
    try {
      const processorRefund = await this.processor.createRefund(
        {
          chargeId: stripeChargeId,
          amountMinor: refund.amount,
          reason: processorReasonFor(refund.reason),
          metadata: { refundId: refund.id, chargeId: refund.chargeId },
        },
        `refund:${refund.id}`,
      );
      await this.applyProcessorRefund(processorRefund);
    } catch (error) {
      if (error instanceof InvalidRequestError || error instanceof CardDeclinedError) {
        await this.dataSource.transaction((manager) =>
          this.markUnsuccessful(manager, refund, 'failed', error.message),
        );
        throw toProcessorAppError(error);
      }
      // No answer: the refund may or may not exist at the processor. Ask again later with the same
      // idempotency key; it stays pending (and reserved) until then.
      this.logger.warn(
        `refund ${refund.id}: processor did not answer (${(error as Error).message}); retrying later`,
      );
      await this.jobs.enqueue({
        name: 'billing.retry-refund',
        payload: { refundId: refund.id },
        jobId: `refund-retry-${refund.id}`,
        delayMs: RETRY_DELAY_MS,
      });
    }
    const current = await this.dataSource.getRepository(Refund).findOneOrFail({ where: { id: refund.id } });
    return toRefundView(current);
  }

  private async findOrAdoptRefund(
    manager: EntityManager,
    processorRefund: ProcessorRefund,
  ): Promise<Refund | null> {
    const ourId = processorRefund.metadata.refundId;
    const existing = await manager.findOne(Refund, {
      where: ourId ? { id: ourId } : { stripeRefundId: processorRefund.id },
      lock: { mode: 'pessimistic_write' },
    });
    if (existing || !processorRefund.chargeId) return existing;
    // Made outside our API (e.g. Stripe's dashboard): record it so the books still add up.
    const charge = await manager.findOne(Charge, { where: { stripeChargeId: processorRefund.chargeId } });
    if (!charge) return null;
    const adopted = manager.create(Refund, {
      id: newId('ref'),
      chargeId: charge.id,
      amount: processorRefund.amountMinor,
      currency: processorRefund.currency,
      reason: processorRefund.reason ?? 'refunded at the processor',
      status: 'pending',
      stripeRefundId: processorRefund.id,
      failureReason: null,
      requestedBy: 'stripe',
      creditNoteId: null,
      createdAt: this.clock.now(),
      processedAt: null,
    });
    await manager.createQueryBuilder().insert().into(Refund).values(adopted).orIgnore().execute();
    return manager.findOne(Refund, {
      where: { stripeRefundId: processorRefund.id },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /** Succeeded: charge totals, credit note, audit and `billing.refund.processed`, exactly once. */
  private async settle(manager: EntityManager, refund: Refund): Promise<void> {
    if (refund.status === 'succeeded') return;
    const charge = await manager.findOneOrFail(Charge, {
      where: { id: refund.chargeId },
      lock: { mode: 'pessimistic_write' },
    });
    const refunded = add(
      storedMoney(charge.amountRefunded, charge.currency),
      storedMoney(refund.amount, refund.currency),
    );
    const fullyRefunded = compare(refunded, storedMoney(charge.amount, charge.currency)) === 0;
    const now = this.clock.now();
    // A refunded duplicate payment (a charge its invoice did not keep) has no invoice amount to credit.
    const creditsInvoice =
      charge.invoiceId !== null &&
      !(await this.invoices.isDuplicatePayment(manager, charge.invoiceId, charge.id));
    const creditNote =
      creditsInvoice && charge.invoiceId
        ? await this.invoices.issueCreditNote(manager, {
            invoiceId: charge.invoiceId,
            refundId: refund.id,
            amount: refund.amount,
            currency: refund.currency,
            reason: refund.reason,
            issuedAt: now,
          })
        : null;
    await manager.update(
      Refund,
      { id: refund.id },
      { status: 'succeeded', processedAt: now, creditNoteId: creditNote?.id ?? null },
    );
    await this.charges.recordRefunded(manager, charge, refunded.amountMinor, fullyRefunded);
    const settled = {
      ...refund,
      status: 'succeeded' as const,
      processedAt: now,
      creditNoteId: creditNote?.id ?? null,
    };
    await this.audit.record(manager, STRIPE_ACTOR, {
      action: 'refund.succeeded',
      resourceType: 'refund',
      resourceId: refund.id,
      before: { status: refund.status },
      after: { ...toRefundView(settled) },
    });
    await this.outbox.append(manager, {
      type: 'billing.refund.processed',
      subject: refund.id,
      data: {
        refundId: refund.id,
        chargeId: charge.id,
        userId: charge.userId,
        amount: refund.amount,
        currency: refund.currency,
        reason: refund.reason,
        creditNoteId: creditNote?.id ?? null,
        fullyRefunded,
      },
      correlationId: charge.id,
    });
  }

  private async markUnsuccessful(
    manager: EntityManager,
    refund: Refund,
    status: 'failed' | 'canceled',
    why: string,
  ): Promise<void> {
    const updated = await manager.update(
      Refund,
      { id: refund.id, status: In(['pending']) },
      { status, failureReason: why.slice(0, 500), processedAt: this.clock.now() },
    );
    if (!updated.affected) return;
    await this.audit.record(manager, STRIPE_ACTOR, {
      action: `refund.${status}`,
      resourceType: 'refund',
      resourceId: refund.id,
      before: { status: 'pending' },
      after: { status, reason: why },
    });
  }

  private async remainingRefundable(manager: EntityManager, charge: Charge) {
    const [{ committed }] = (await manager.query(
      `SELECT COALESCE(SUM(amount), 0)::bigint AS committed FROM billing.refunds WHERE charge_id = $1 AND status = ANY($2)`,
      [charge.id, [...COMMITTED_STATUSES]],
    )) as [{ committed: string }];
    return subtract(storedMoney(charge.amount, charge.currency), storedMoney(committed, charge.currency));
  }
}

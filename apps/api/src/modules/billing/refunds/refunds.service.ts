import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, LessThan } from 'typeorm';
import { add, compare, formatMoney, isZero, refundCap, type RefundCap } from '@astrix/pricing';
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
import { AppConfig } from '../../../platform/config/app-config';
import { actorReference, RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { OutboxService } from '../../../platform/events/outbox.service';
import { AppError, ConflictError, NotFoundError } from '../../../platform/http/app-error';
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

/** Retries of a refund the processor did not answer; after the last, the pending sweep takes over. */
const MAX_RETRIES = 8;
const MAX_RETRY_DELAY_MS = 3_600_000;
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
    private readonly config: AppConfig,
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
      // Refused here, before the processor is asked: what it refunds must settle in our books.
      const { cap, invoiceNumber } = await this.capOf(manager, charge);
      const remaining = cap.refundable;
      if (isZero(remaining)) {
        throw cap.limitedBy === 'invoice'
          ? new AppError(
              409,
              'ALREADY_CREDITED',
              `charge ${chargeId} has nothing left to refund: invoice ${invoiceNumber} is fully credited by its credit notes and pending refunds`,
            )
          : new AppError(409, 'ALREADY_REFUNDED', `charge ${chargeId} has nothing left to refund`);
      }
      const requested = storedMoney(amount ?? remaining.amountMinor, charge.currency);
      if (compare(requested, remaining) > 0) {
        const why =
          cap.limitedBy === 'invoice'
            ? `: invoice ${invoiceNumber} can only be credited ${formatMoney(remaining)} more after its credit notes and pending refunds`
            : '';
        throw new AppError(
          422,
          'REFUND_EXCEEDS_REMAINING',
          `refund of ${requested.amountMinor} exceeds the ${remaining.amountMinor} ${charge.currency} still refundable on ${chargeId}${why}`,
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
      await this.submit(refund, charge.stripeChargeId, attempt);
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
      await this.applyProcessorRefund({
        ...processorRefund,
        metadata: { ...processorRefund.metadata, refundId: refund.id },
      });
    } else {
      // The processor never made it: ask now, with the same key. No retry job; the next sweep is one.
      try {
        await this.submit(refund, charge.stripeChargeId, MAX_RETRIES);
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

  private async submit(refund: Refund, stripeChargeId: string | null, attempt = 0): Promise<RefundView> {
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
        ? await this.creditNoteFor(manager, refund, charge.invoiceId, now)
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

  /**
   * The refund's credit note. Refunds we asked for were checked against the invoice's cap before
   * the processor was asked, so theirs fits; one made at the processor directly (its dashboard) may
   * not. The money has left either way: the refund is recorded without a note, visibly in the
   * audit log, never left pending forever.
   */
  private async creditNoteFor(manager: EntityManager, refund: Refund, invoiceId: string, issuedAt: Date) {
    try {
      return await this.invoices.issueCreditNote(manager, {
        invoiceId,
        refundId: refund.id,
        amount: refund.amount,
        currency: refund.currency,
        reason: refund.reason,
        issuedAt,
      });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      this.logger.warn(`refund ${refund.id} settled without a credit note: ${error.message}`);
      await this.audit.record(manager, STRIPE_ACTOR, {
        action: 'refund.credit_note_refused',
        resourceType: 'refund',
        resourceId: refund.id,
        after: { invoiceId, amount: refund.amount, currency: refund.currency, reason: error.message },
      });
      return null;
    }
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

  /**
   * What the charge can still refund (the one rule, in @astrix/pricing): its refunds, and when it is
   * the payment its invoice kept, the invoice's credit notes and pending refunds. Locks the invoice
   * until commit, serialising this with credit notes issued meanwhile; the caller holds the charge.
   */
  private async capOf(
    manager: EntityManager,
    charge: Charge,
  ): Promise<{ cap: RefundCap; invoiceNumber: string | null }> {
    const refunds = await manager.find(Refund, {
      where: { chargeId: charge.id },
      select: { id: true, amount: true, currency: true, status: true },
    });
    // A duplicate payment credits nothing on the invoice, so only the charge limits its refund.
    const creditsInvoice =
      charge.invoiceId !== null &&
      !(await this.invoices.isDuplicatePayment(manager, charge.invoiceId, charge.id));
    const invoice =
      creditsInvoice && charge.invoiceId ? await this.invoices.lockCredits(manager, charge.invoiceId) : null;
    const cap = refundCap({
      charged: storedMoney(charge.amount, charge.currency),
      refunds: refunds.map((refund) => ({
        amount: storedMoney(refund.amount, refund.currency),
        status: refund.status,
      })),
      invoice: invoice?.credits ?? null,
    });
    return { cap, invoiceNumber: invoice?.invoice.number ?? null };
  }
}

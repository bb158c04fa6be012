import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { compare, formatMoney, isZero, refundCap, type RefundCap } from '@astrix/pricing';
import type { RefundView } from '@astrix/contracts';
import type { ProcessorCharge, ProcessorRefund } from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import { actorReference, RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { AppError, NotFoundError } from '../../../platform/http/app-error';
import { newId } from '../../../platform/ids';
import { Product } from '../catalog/product.entity';
import { InvoicesService } from '../invoicing/invoices.service';
import { Charge } from '../payments/charge.entity';
import { storedMoney } from '../money';
import { Refund } from './refund.entity';
import { type PendingRefundSweep, RefundRecovery } from './refund-recovery.service';
import { RefundSettlement } from './refund-settlement.service';
import { RefundSubmission } from './refund-submission.service';
import { toRefundView } from './refund-views';

export type { PendingRefundSweep } from './refund-recovery.service';
export { toRefundView } from './refund-views';

export interface RefundOptions {
  /** Refunds the platform itself owes (a reset that could not be applied), not a trader's request. */
  evenIfNotRefundable?: boolean;
}

/**
 * Full and partial refunds: never more than what is left, even when requests race. Requests are
 * reserved here; the processor is asked by RefundSubmission, its answers recorded by
 * RefundSettlement, and refunds left without one are retried and swept by RefundRecovery.
 */
@Injectable()
export class RefundsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly invoices: InvoicesService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly submission: RefundSubmission,
    private readonly settlement: RefundSettlement,
    private readonly recovery: RefundRecovery,
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
        reversedAt: null,
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
    return this.submission.submit(refund.row, refund.stripeChargeId);
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
   * answer schedules the next under its own job id; after the last, the pending sweep settles it.
   */
  retry(refundId: string, attempt = 1): Promise<void> {
    return this.recovery.retry(refundId, attempt);
  }

  /** Settles every refund pending longer than the bound from what the processor recorded. */
  settleOverdue(): Promise<PendingRefundSweep> {
    return this.recovery.settleOverdue();
  }

  async listForCharge(chargeId: string): Promise<RefundView[]> {
    const refunds = await this.dataSource
      .getRepository(Refund)
      .find({ where: { chargeId }, order: { id: 'ASC' } });
    return refunds.map(toRefundView);
  }

  /** A refund as the processor reports it (API answer or webhook), possibly one made outside our API. */
  applyProcessorRefund(processorRefund: ProcessorRefund): Promise<boolean> {
    return this.settlement.applyProcessorRefund(processorRefund);
  }

  /** charge.refunded: our refunds arrive as refund.* events; this only checks the totals agree. */
  reconcileCharge(processorCharge: ProcessorCharge): Promise<boolean> {
    return this.settlement.reconcileCharge(processorCharge);
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

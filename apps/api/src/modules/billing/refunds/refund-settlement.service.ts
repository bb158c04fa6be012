import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { add, compare, subtract } from '@astrix/pricing';
import type { ProcessorCharge, ProcessorRefund } from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import { Clock } from '../../../platform/clock';
import { OutboxService } from '../../../platform/events/outbox.service';
import { ConflictError } from '../../../platform/http/app-error';
import { newId } from '../../../platform/ids';
import { InvoicesService } from '../invoicing/invoices.service';
import { Charge } from '../payments/charge.entity';
import { ChargeRecorder } from '../payments/charge-recorder.service';
import { Journal } from '../ledger/journal.service';
import {
  REFUND_REVERSED_EVENT,
  refundReversedEntry,
  refundSettledEntry,
} from '../ledger/postings/refund-postings';
import { STRIPE_ACTOR } from '../payments/payments.service';
import { storedMoney } from '../money';
import { Refund } from './refund.entity';
import { toRefundView } from './refund-views';

/**
 * Records what the processor did with a refund (its API answer or a webhook): succeeded (charge
 * totals, credit note, audit, `billing.refund.processed`, exactly once), failed or canceled; adopts
 * refunds made outside our API so the books still add up.
 */
@Injectable()
export class RefundSettlement {
  private readonly logger = new Logger(RefundSettlement.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly invoices: InvoicesService,
    private readonly charges: ChargeRecorder,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    private readonly journal: Journal,
  ) {}

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
          if (refund.status === 'succeeded') {
            await this.reverseSettled(
              manager,
              refund,
              processorRefund.failureReason ?? processorRefund.status,
            );
            return true;
          }
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

  async markUnsuccessful(
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
   * The processor reported a settled refund failed (e.g. the card account was closed): the money came
   * back to our balance. The refund becomes failed (`reversedAt` set), the charge's refunded total
   * drops by it, and the ledger reverses the settlement (`refund.reversed`). The credit note stands:
   * the customer is owed the amount again (their receivable shows it) until finance pays it back.
   */
  private async reverseSettled(manager: EntityManager, refund: Refund, why: string): Promise<void> {
    const charge = await manager.findOneOrFail(Charge, {
      where: { id: refund.chargeId },
      lock: { mode: 'pessimistic_write' },
    });
    const now = this.clock.now();
    const updated = await manager.update(
      Refund,
      { id: refund.id, status: In(['succeeded']) },
      { status: 'failed', failureReason: why.slice(0, 500), reversedAt: now },
    );
    if (!updated.affected) return;
    const refunded = subtract(
      storedMoney(charge.amountRefunded, charge.currency),
      storedMoney(refund.amount, refund.currency),
    );
    await this.charges.recordRefundReversed(manager, charge, refunded.amountMinor);
    const source = { sourceType: 'refund' as const, sourceId: refund.id, event: 'refund.settled' };
    const settled =
      (await this.journal.find(manager, source)) ??
      (await this.journal.post(manager, refundSettledEntry(refund, charge.customerId)));
    if (settled) {
      await this.journal.reverse(manager, settled.id, {
        event: REFUND_REVERSED_EVENT,
        occurredAt: now,
        memo: `refund ${refund.id} failed after it settled (${why.slice(0, 200)}); the money came back`,
      });
    } else {
      await this.journal.post(
        manager,
        refundReversedEntry({ ...refund, reversedAt: now }, charge.customerId),
      );
    }
    await this.audit.record(manager, STRIPE_ACTOR, {
      action: 'refund.reversed',
      resourceType: 'refund',
      resourceId: refund.id,
      before: { status: 'succeeded' },
      after: { status: 'failed', reason: why, chargeAmountRefunded: refunded.amountMinor },
    });
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
      reversedAt: null,
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
    // A refund the processor refused or failed never succeeds later (Stripe's refunds go pending →
    // succeeded → maybe failed): a late or reordered "succeeded" must not pay it back in our books.
    if (refund.status !== 'pending') {
      this.logger.warn(`refund ${refund.id} is ${refund.status}; ignoring a report that it succeeded`);
      return;
    }
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
    await this.journal.post(manager, refundSettledEntry(settled, charge.customerId));
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
}

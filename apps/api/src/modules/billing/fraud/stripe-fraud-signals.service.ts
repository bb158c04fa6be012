import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { DisputeData } from '@astrix/contracts';
import type { ProcessorDispute, ProcessorEarlyFraudWarning, ProcessorReview } from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import { AppConfig } from '../../../platform/config/app-config';
import { Clock } from '../../../platform/clock';
import { OutboxService } from '../../../platform/events/outbox.service';
import { AppError } from '../../../platform/http/app-error';
import { newId } from '../../../platform/ids';
import { Charge } from '../payments/charge.entity';
import { ChargeRecorder } from '../payments/charge-recorder.service';
import { Journal } from '../ledger/journal.service';
import { disputeEntries } from '../ledger/postings/dispute-postings';
import { RefundsService } from '../refunds/refunds.service';
import { Dispute } from './dispute.entity';
import {
  chargeStatusWithDispute,
  disputeEvents,
  disputeFee,
  disputeLostSignal,
  earlyFraudWarningSignal,
  isClosedDispute,
  isDisputeInquiry,
  openReviewSignal,
  ourDisputeStatus,
  refundsOnEarlyFraudWarning,
  reviewApprovalDismisses,
  reviewSignalKey,
} from './fraud-rules';
import { FRAUD_SYSTEM, FraudService } from './fraud.service';
import { FraudSignal } from './fraud-signal.entity';

/** Stripe's fraud signals: early fraud warnings, Radar reviews and disputes. */
@Injectable()
export class StripeFraudSignals {
  private readonly logger = new Logger(StripeFraudSignals.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly fraud: FraudService,
    private readonly charges: ChargeRecorder,
    private readonly refunds: RefundsService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly journal: Journal,
  ) {}

  /** Returns false when the charge is not ours (or not recorded yet). */
  async onEarlyFraudWarning(warning: ProcessorEarlyFraudWarning): Promise<boolean> {
    const charge = await this.dataSource.transaction(async (manager) => {
      const found = await manager.findOne(Charge, { where: { stripeChargeId: warning.chargeId } });
      if (!found) return null;
      await this.fraud.recordSignal(manager, {
        customerId: found.customerId,
        userId: found.userId,
        chargeId: found.id,
        ...earlyFraudWarningSignal(this.config.fraud, warning),
      });
      await this.fraud.evaluateCustomer(manager, found.customerId);
      return found;
    });
    if (!charge) return false;
    if (refundsOnEarlyFraudWarning(this.config.fraud, warning)) {
      await this.refundBeforeDispute(charge.id, warning);
    }
    return true;
  }

  async onReview(review: ProcessorReview): Promise<boolean> {
    if (!review.chargeId) return false;
    const chargeId = review.chargeId;
    return this.dataSource.transaction(async (manager) => {
      const charge = await manager.findOne(Charge, { where: { stripeChargeId: chargeId } });
      if (!charge) return false;
      if (review.open) {
        await this.fraud.recordSignal(manager, {
          customerId: charge.customerId,
          userId: charge.userId,
          chargeId: charge.id,
          ...openReviewSignal(this.config.fraud, review),
        });
        await this.fraud.evaluateCustomer(manager, charge.customerId);
        return true;
      }
      // Approved by the reviewer at Stripe: the signal it raised was a false alarm.
      if (reviewApprovalDismisses(review.closedReason)) {
        await manager.update(
          FraudSignal,
          { dedupeKey: reviewSignalKey(review.id), status: 'open' },
          {
            status: 'dismissed',
            reviewer: 'stripe-radar',
            notes: 'review approved at Stripe',
            reviewedAt: this.clock.now(),
          },
        );
      }
      return true;
    });
  }

  /**
   * Any dispute event, in any order: the first creates our record (billing.dispute.created), later
   * ones move it on; a closed dispute never reopens. Lost disputes flag the customer.
   */
  async onDispute(dispute: ProcessorDispute): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const charge = await manager.findOne(Charge, {
        where: { stripeChargeId: dispute.chargeId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!charge) return false;
      const status = ourDisputeStatus(dispute.status);
      const existing = await manager.findOne(Dispute, {
        where: { stripeDisputeId: dispute.id },
        lock: { mode: 'pessimistic_write' },
      });
      if (existing && existing.closedAt) return true;
      const now = this.clock.now();
      const closing = isClosedDispute(status);
      const record: Dispute =
        existing ??
        manager.create(Dispute, {
          id: newId('dsp'),
          chargeId: charge.id,
          stripeDisputeId: dispute.id,
          amount: dispute.amountMinor,
          currency: dispute.currency,
          reason: dispute.reason,
          status,
          evidenceDueBy: dispute.evidenceDueBy,
          feeAmount: disputeFee(this.config.fraud, dispute.currency),
          lostAmount: 0,
          inquiry: isDisputeInquiry(dispute.status),
          createdAt: now,
          updatedAt: now,
          closedAt: null,
        });
      Object.assign(record, {
        status,
        evidenceDueBy: dispute.evidenceDueBy,
        updatedAt: now,
        closedAt: closing ? now : null,
        lostAmount: status === 'lost' ? record.amount : 0,
        // Once escalated, a late `warning_*` update does not make it an inquiry again.
        inquiry: record.inquiry && isDisputeInquiry(dispute.status),
      });
      await manager.save(Dispute, record);
      // Opened, and won or lost once closed: each posts once, whatever order the updates arrive in.
      for (const entry of disputeEntries(record, charge.customerId)) await this.journal.post(manager, entry);

      const chargeStatus = chargeStatusWithDispute(status, charge);
      if (chargeStatus !== charge.status)
        await this.charges.recordDisputeStatus(manager, charge.id, chargeStatus);
      await this.audit.record(manager, FRAUD_SYSTEM, {
        action: existing ? `dispute.${closing ? 'closed' : 'updated'}` : 'dispute.created',
        resourceType: 'dispute',
        resourceId: record.id,
        before: existing ? { status: existing.status } : null,
        after: { status, chargeId: charge.id, chargeStatus },
      });
      for (const type of disputeEvents({ isNew: !existing, closing })) {
        await this.outbox.append(manager, {
          type,
          subject: record.id,
          data: this.disputeData(record, charge),
        });
      }
      if (status === 'lost') await this.flagLostDispute(manager, charge, record);
      return true;
    });
  }

  private async flagLostDispute(manager: EntityManager, charge: Charge, dispute: Dispute): Promise<void> {
    await this.fraud.recordSignal(manager, {
      customerId: charge.customerId,
      userId: charge.userId,
      chargeId: charge.id,
      ...disputeLostSignal(this.config.fraud, dispute),
    });
    await this.fraud.evaluateCustomer(manager, charge.customerId);
  }

  private disputeData(dispute: Dispute, charge: Charge): DisputeData {
    return {
      disputeId: dispute.id,
      chargeId: charge.id,
      userId: charge.userId,
      amount: dispute.amount,
      currency: dispute.currency,
      reason: dispute.reason,
      status: dispute.status,
      evidenceDueBy: dispute.evidenceDueBy?.toISOString() ?? null,
      feeAmount: dispute.feeAmount,
      lostAmount: dispute.lostAmount,
    };
  }

  /** Refunding before the dispute arrives avoids the dispute fee; once per charge at most. */
  private async refundBeforeDispute(chargeId: string, warning: ProcessorEarlyFraudWarning): Promise<void> {
    try {
      await this.refunds.refundCharge(
        chargeId,
        undefined,
        `fraudulent: early fraud warning ${warning.id} (${warning.fraudType})`,
        FRAUD_SYSTEM,
        { evenIfNotRefundable: true },
      );
    } catch (error) {
      // Nothing left to give back (refunded, or credited in full and settled outside Stripe), or the
      // dispute returns it: done, not a failure to retry.
      if (
        error instanceof AppError &&
        ['ALREADY_REFUNDED', 'ALREADY_CREDITED', 'CHARGE_DISPUTED', 'PROCESSOR_REJECTED'].includes(error.code)
      ) {
        this.logger.log(`no early-fraud-warning refund for ${chargeId}: ${error.code}`);
        return;
      }
      throw error;
    }
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { DisputeData, DisputeStatus } from '@astrix/contracts';
import type { ProcessorDispute, ProcessorEarlyFraudWarning, ProcessorReview } from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import { AppConfig } from '../../../platform/config/app-config';
import { Clock } from '../../../platform/clock';
import { OutboxService } from '../../../platform/events/outbox.service';
import { AppError } from '../../../platform/http/app-error';
import { newId } from '../../../platform/ids';
import { Charge, ChargeStatus } from '../payments/charge.entity';
import { RefundsService } from '../refunds/refunds.service';
import { Dispute } from './dispute.entity';
import { FRAUD_SYSTEM, FraudService } from './fraud.service';
import { FraudSignal } from './fraud-signal.entity';

const CLOSED: DisputeStatus[] = ['won', 'lost'];

function ourDisputeStatus(status: ProcessorDispute['status']): DisputeStatus {
  switch (status) {
    case 'needs_response':
    case 'warning_needs_response':
      return 'needs_response';
    case 'under_review':
    case 'warning_under_review':
      return 'under_review';
    case 'won':
    case 'warning_closed':
      return 'won';
    case 'lost':
      return 'lost';
    case 'prevented':
    case 'other':
      return 'other';
  }
}

/** The charge's status once a dispute is won: back to what its refunds make it. */
function statusWithoutDispute(charge: Charge): ChargeStatus {
  if (charge.amountRefunded === 0) return 'succeeded';
  return charge.amountRefunded === charge.amount ? 'refunded' : 'partially_refunded';
}

/** Stripe's fraud signals: early fraud warnings, Radar reviews and disputes. */
@Injectable()
export class StripeFraudSignals {
  private readonly logger = new Logger(StripeFraudSignals.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly fraud: FraudService,
    private readonly refunds: RefundsService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
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
        source: 'stripe_early_fraud_warning',
        rule: 'early_fraud_warning',
        weight: this.config.fraud.earlyFraudWarning,
        evidence: { warningId: warning.id, fraudType: warning.fraudType, actionable: warning.actionable },
        dedupeKey: `efw:${warning.id}`,
      });
      await this.fraud.evaluateCustomer(manager, found.customerId);
      return found;
    });
    if (!charge) return false;
    if (this.config.fraud.earlyFraudWarning.autoRefund && warning.actionable) {
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
          source: 'stripe_review',
          rule: 'radar_review',
          weight: this.config.fraud.review,
          evidence: { reviewId: review.id, openedReason: review.openedReason },
          dedupeKey: `review:${review.id}`,
        });
        await this.fraud.evaluateCustomer(manager, charge.customerId);
        return true;
      }
      // Approved by the reviewer at Stripe: the signal it raised was a false alarm.
      if (review.closedReason === 'approved') {
        await manager.update(
          FraudSignal,
          { dedupeKey: `review:${review.id}`, status: 'open' },
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
      const closing = CLOSED.includes(status);
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
          feeAmount: this.config.fraud.disputeFee[dispute.currency] ?? 0,
          lostAmount: 0,
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
      });
      await manager.save(Dispute, record);

      const chargeStatus = status === 'won' ? statusWithoutDispute(charge) : 'disputed';
      if (chargeStatus !== charge.status)
        await manager.update(Charge, { id: charge.id }, { status: chargeStatus });
      await this.audit.record(manager, FRAUD_SYSTEM, {
        action: existing ? `dispute.${closing ? 'closed' : 'updated'}` : 'dispute.created',
        resourceType: 'dispute',
        resourceId: record.id,
        before: existing ? { status: existing.status } : null,
        after: { status, chargeId: charge.id, chargeStatus },
      });
      await this.outbox.append(manager, {
        type: !existing
          ? 'billing.dispute.created'
          : closing
            ? 'billing.dispute.closed'
            : 'billing.dispute.updated',
        subject: record.id,
        data: this.disputeData(record, charge),
      });
      if (!existing && closing) {
        // First heard of it already closed: announce the close too, so consumers see both.
        await this.outbox.append(manager, {
          type: 'billing.dispute.closed',
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
      source: 'stripe_dispute',
      rule: 'dispute_lost',
      weight: this.config.fraud.disputeLost,
      evidence: {
        disputeId: dispute.stripeDisputeId,
        reason: dispute.reason,
        amount: dispute.amount,
        currency: dispute.currency,
      },
      dedupeKey: `dispute_lost:${dispute.stripeDisputeId}`,
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
      if (error instanceof AppError && ['ALREADY_REFUNDED', 'CHARGE_DISPUTED'].includes(error.code)) {
        this.logger.log(`no early-fraud-warning refund for ${chargeId}: ${error.code}`);
        return;
      }
      throw error;
    }
  }
}

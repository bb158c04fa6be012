import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { FraudSeverity, FraudSignalView, Page } from '@astrix/contracts';
import type { ProcessorCharge } from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import { actorReference, RequestContext } from '../../../platform/auth/actor';
import { AppConfig } from '../../../platform/config/app-config';
import { Clock } from '../../../platform/clock';
import { OutboxService } from '../../../platform/events/outbox.service';
import { AppError, NotFoundError } from '../../../platform/http/app-error';
import { toPage } from '../../../platform/http/pagination';
import { newId } from '../../../platform/ids';
import { CheckoutSession } from '../checkout/checkout-session.entity';
import { Coupon } from '../coupons/coupon.entity';
import { Customer } from '../customers/customer.entity';
import { CustomersService } from '../customers/customers.service';
import { Charge } from '../payments/charge.entity';
import type { FraudSettings } from '../../../platform/config/fraud-settings';
import {
  type CardFacts,
  type CheckoutWindow,
  flagDecision,
  ipVelocityBreach,
  paymentSignals,
  type SignalDraft,
  userVelocityBreach,
  windowStart,
} from './fraud-rules';
import { FraudSignal, FraudSignalStatus } from './fraud-signal.entity';

export const FRAUD_SYSTEM: RequestContext = {
  actor: { kind: 'system', name: 'fraud-rules' },
  requestId: null,
};

/** A rule's signal and whom it concerns. */
export interface NewSignal extends SignalDraft {
  customerId: string;
  userId: string;
  chargeId?: string | null;
}

export function toFraudSignalView(signal: FraudSignal): FraudSignalView {
  return {
    id: signal.id,
    customerId: signal.customerId,
    userId: signal.userId,
    source: signal.source,
    rule: signal.rule,
    severity: signal.severity,
    score: signal.score,
    evidence: signal.evidence,
    chargeId: signal.chargeId,
    status: signal.status,
    reviewer: signal.reviewer,
    notes: signal.notes,
    createdAt: signal.createdAt.toISOString(),
    reviewedAt: signal.reviewedAt?.toISOString() ?? null,
  };
}

/**
 * The checkouts filling a velocity window, oldest first and at most the limit. The oldest one
 * anchors the window: refusals while it is still inside are one burst, hence one signal.
 */
const checkoutsInWindow = async (
  manager: EntityManager,
  rule: { maxCheckouts: number; windowMinutes: number },
  column: 'user_id' | 'client_ip',
  value: string,
  now: Date,
): Promise<CheckoutWindow> => {
  const rows = (await manager.query(
    `SELECT id FROM billing.checkout_sessions WHERE ${column} = $1 AND created_at > $2
      ORDER BY created_at, id LIMIT $3`,
    [value, windowStart(now, rule.windowMinutes), rule.maxCheckouts],
  )) as Array<{ id: string }>;
  return { count: rows.length, oldestId: rows[0]?.id ?? null };
};

/**
 * Counts the rows a rule looks at, but stops at `atMost`: a rule only needs to know whether its
 * limit is passed, and a busy card or address must not make every check slower.
 */
const countUpTo = async (
  manager: EntityManager,
  atMost: number,
  rowsSql: string,
  parameters: unknown[],
): Promise<number> => {
  const [row] = (await manager.query(
    `SELECT count(*)::int AS n FROM (${rowsSql} LIMIT $${parameters.length + 1}) AS counted`,
    [...parameters, atMost],
  )) as [{ n: number }];
  return row.n;
};

/**
 * Fraud signals and the customer's standing. Our rules run at checkout (velocity: refused before
 * Stripe is called) and at payment (card, coupon and country rules, Radar's verdict); Stripe's
 * warnings, reviews and disputes add more. Signals past the threshold flag the customer.
 */
@Injectable()
export class FraudService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly customers: CustomersService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  private get settings(): FraudSettings {
    return this.config.fraud;
  }

  /**
   * Inside the checkout transaction, before our session row exists and before Stripe is called.
   * Serialised per user, so N parallel checkouts by one user enforce the velocity limit exactly.
   */
  async screenCheckout(
    manager: EntityManager,
    input: { customer: Customer; clientIp: string | null },
  ): Promise<void> {
    const { customer } = input;
    if (customer.fraudStatus === 'blocked') {
      // Deliberately vague: a blocked fraudster learns nothing from the message.
      throw new AppError(
        403,
        'CHECKOUT_UNAVAILABLE',
        'this purchase cannot be completed online; please contact support',
      );
    }
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`checkout:${customer.userId}`]);
    const now = this.clock.now();
    const settings = this.settings;
    const byUser = await checkoutsInWindow(manager, settings.userVelocity, 'user_id', customer.userId, now);
    const userBreach = userVelocityBreach(settings, customer.id, byUser);
    if (userBreach) await this.refuseForVelocity(customer, userBreach);
    if (input.clientIp) {
      const byIp = await checkoutsInWindow(manager, settings.ipVelocity, 'client_ip', input.clientIp, now);
      const ipBreach = ipVelocityBreach(settings, customer.id, input.clientIp, byIp);
      if (ipBreach) await this.refuseForVelocity(customer, ipBreach);
    }
  }

  /**
   * Inside the payment transaction, once the charge row exists: card, coupon, country and Radar. For
   * checkout charges and invoice payments alike (renewals, subscription invoices): `session` is null
   * for the latter, which have no client or profile country to compare with the card's.
   */
  async screenPayment(
    manager: EntityManager,
    input: {
      charge: Charge;
      session: CheckoutSession | null;
      coupon: Coupon | null;
      processorCharge: ProcessorCharge;
    },
  ): Promise<void> {
    const { charge, session, coupon, processorCharge } = input;
    const settings = this.settings;
    const signals = paymentSignals(settings, {
      chargeId: charge.id,
      risk: processorCharge.riskOutcome ?? null,
      card: charge.cardFingerprint
        ? await this.cardFacts(manager, charge.cardFingerprint, charge, coupon)
        : null,
      declinesBeforeSuccess: await countUpTo(
        manager,
        settings.cardTesting.minDeclines,
        `SELECT 1 FROM billing.checkout_sessions
          WHERE user_id = $1 AND status = 'failed' AND stripe_checkout_session_id IS NOT NULL AND created_at > $2`,
        [charge.userId, windowStart(charge.paidAt, settings.cardTesting.windowMinutes)],
      ),
      countries: {
        card: charge.cardCountry,
        client: session?.clientCountry ?? null,
        profile: session?.profileCountry ?? null,
      },
    });
    const about = { customerId: charge.customerId, userId: charge.userId, chargeId: charge.id };
    for (const signal of signals) await this.recordSignal(manager, { ...about, ...signal });
    if (signals.length > 0) await this.evaluateCustomer(manager, charge.customerId);
  }

  /** Counts bounded just past each rule's limit: a busy card must not make every payment slower. */
  private async cardFacts(
    manager: EntityManager,
    fingerprint: string,
    charge: Charge,
    coupon: Coupon | null,
  ): Promise<CardFacts> {
    const settings = this.settings;
    const chargesInWindow = await countUpTo(
      manager,
      settings.cardVelocity.maxCharges + 1,
      `SELECT 1 FROM billing.charges WHERE card_fingerprint = $1 AND paid_at > $2`,
      [fingerprint, windowStart(charge.paidAt, settings.cardVelocity.windowMinutes)],
    );
    const distinctUsers = await countUpTo(
      manager,
      settings.sharedCard.maxUsers + 1,
      `SELECT DISTINCT user_id FROM billing.charges WHERE card_fingerprint = $1`,
      [fingerprint],
    );
    const firstPurchaseCoupon = coupon?.firstPurchaseOnly
      ? {
          code: coupon.code,
          otherUsersOnCard: await countUpTo(
            manager,
            100,
            `SELECT DISTINCT charge.user_id FROM billing.charges charge
               JOIN billing.coupons coupon ON coupon.id = charge.coupon_id
              WHERE charge.card_fingerprint = $1 AND coupon.first_purchase_only AND charge.user_id <> $2`,
            [fingerprint, charge.userId],
          ),
        }
      : null;
    return { fingerprint, chargesInWindow, distinctUsers, firstPurchaseCoupon };
  }

  /** Stores a signal once per dedupe key; returns whether it is new. */
  async recordSignal(manager: EntityManager, signal: NewSignal): Promise<boolean> {
    const id = newId('fs');
    const inserted: unknown[] = await manager.query(
      `INSERT INTO billing.fraud_signals
         (id, customer_id, user_id, source, rule, severity, score, evidence, charge_id, dedupe_key, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, 'open', $11)
       ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
      [
        id,
        signal.customerId,
        signal.userId,
        signal.source,
        signal.rule,
        signal.weight.severity,
        signal.weight.score,
        JSON.stringify(signal.evidence),
        signal.chargeId ?? null,
        signal.dedupeKey,
        this.clock.now(),
      ],
    );
    if (inserted.length === 0) return false;
    await this.audit.record(manager, FRAUD_SYSTEM, {
      action: 'fraud_signal.recorded',
      resourceType: 'fraud_signal',
      resourceId: id,
      after: {
        customerId: signal.customerId,
        rule: signal.rule,
        severity: signal.weight.severity,
        evidence: signal.evidence,
      },
    });
    return true;
  }

  /** Flags the customer once their open signals reach the threshold; emits billing.fraud.flagged. */
  async evaluateCustomer(manager: EntityManager, customerId: string): Promise<void> {
    const customer = await manager.findOne(Customer, {
      where: { id: customerId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!customer || customer.fraudStatus !== 'clear') return;
    const open = await manager.find(FraudSignal, { where: { customerId, status: 'open' } });
    const decision = flagDecision(this.settings.flagThreshold, open);
    if (!decision.flag) return;
    await this.customers.setFraudStatus(manager, customerId, 'flagged');
    await this.announceFlag(
      manager,
      customer,
      decision.severity,
      open.map((signal) => signal.id),
      `open fraud signals score ${decision.totalScore}`,
      FRAUD_SYSTEM,
    );
  }

  async listSignals(query: {
    status?: FraudSignalStatus;
    customerId?: string;
    limit: number;
    cursor?: string;
  }): Promise<Page<FraudSignalView>> {
    const builder = this.dataSource
      .getRepository(FraudSignal)
      .createQueryBuilder('signal')
      .orderBy('signal.id', 'DESC')
      .take(query.limit + 1);
    if (query.status) builder.andWhere('signal.status = :status', { status: query.status });
    if (query.customerId)
      builder.andWhere('signal.customer_id = :customerId', { customerId: query.customerId });
    if (query.cursor) builder.andWhere('signal.id < :cursor', { cursor: query.cursor });
    return toPage(await builder.getMany(), query.limit, toFraudSignalView);
  }

  /** Support's verdict on a signal: confirmed (fraud) or dismissed (false alarm). */
  async reviewSignal(
    id: string,
    verdict: 'confirmed' | 'dismissed',
    notes: string,
    context: RequestContext,
  ): Promise<FraudSignalView> {
    return this.dataSource.transaction(async (manager) => {
      const signal = await manager.findOne(FraudSignal, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!signal) throw new NotFoundError('fraud signal', id);
      if (signal.status !== 'open') {
        throw new AppError(409, 'CONFLICT', `fraud signal ${id} was already ${signal.status}`);
      }
      const reviewed = {
        ...signal,
        status: verdict,
        notes,
        reviewer: actorReference(context.actor).id,
        reviewedAt: this.clock.now(),
      };
      await manager.update(
        FraudSignal,
        { id },
        { status: verdict, notes, reviewer: reviewed.reviewer, reviewedAt: reviewed.reviewedAt },
      );
      await this.audit.record(manager, context, {
        action: `fraud_signal.${verdict}`,
        resourceType: 'fraud_signal',
        resourceId: id,
        before: { status: signal.status },
        after: { status: verdict, notes },
      });
      return toFraudSignalView(reviewed);
    });
  }

  /** Support's verdict on a customer: blocked customers cannot check out; unblocking clears the flag. */
  async setBlocked(
    customerId: string,
    blocked: boolean,
    reason: string,
    context: RequestContext,
  ): Promise<{ customerId: string; fraudStatus: string }> {
    return this.dataSource.transaction(async (manager) => {
      const customer = await manager.findOne(Customer, {
        where: { id: customerId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!customer) throw new NotFoundError('customer', customerId);
      const fraudStatus = blocked ? 'blocked' : 'clear';
      await this.customers.setFraudStatus(manager, customerId, fraudStatus);
      await this.audit.record(manager, context, {
        action: blocked ? 'customer.blocked' : 'customer.unblocked',
        resourceType: 'customer',
        resourceId: customerId,
        before: { fraudStatus: customer.fraudStatus },
        after: { fraudStatus, reason },
      });
      if (blocked && customer.fraudStatus !== 'blocked') {
        await this.announceFlag(manager, customer, 'blocked', [], reason, context);
      }
      return { customerId, fraudStatus };
    });
  }

  private async announceFlag(
    manager: EntityManager,
    customer: Customer,
    severity: FraudSeverity | 'blocked',
    signalIds: string[],
    reason: string,
    context: RequestContext,
  ): Promise<void> {
    await this.audit.record(manager, context, {
      action: 'customer.flagged',
      resourceType: 'customer',
      resourceId: customer.id,
      after: { severity, signalIds, reason },
    });
    await this.outbox.append(manager, {
      type: 'billing.fraud.flagged',
      subject: customer.id,
      data: { customerId: customer.id, userId: customer.userId, severity, signalIds, reason },
      correlationId: context.requestId,
    });
  }

  /** A velocity rule is certain: record why (on its own, since the checkout rolls back) and refuse. */
  private async refuseForVelocity(customer: Customer, breach: SignalDraft): Promise<never> {
    await this.dataSource.transaction(async (manager) => {
      // One signal per customer, rule and window (the draft's dedupe key): a burst of refused attempts
      // is one fact, however long it lasts, until the window's oldest checkout slides out of it.
      await this.recordSignal(manager, { customerId: customer.id, userId: customer.userId, ...breach });
      await this.evaluateCustomer(manager, customer.id);
    });
    throw new AppError(429, 'PURCHASE_LIMIT', 'too many purchase attempts; please try again later');
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ChargeView, ProductKind } from '@astrix/contracts';
import type { PaymentProcessor, ProcessorCharge } from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import type { RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { OutboxService } from '../../../platform/events/outbox.service';
import { NotFoundError } from '../../../platform/http/app-error';
import { newId } from '../../../platform/ids';
import { Product } from '../catalog/product.entity';
import { CheckoutSession } from '../checkout/checkout-session.entity';
import { Coupon } from '../coupons/coupon.entity';
import { CouponRedemptionService } from '../coupons/coupon-redemption.service';
import { Customer } from '../customers/customer.entity';
import { FraudService } from '../fraud/fraud.service';
import { InvoicesService } from '../invoicing/invoices.service';
import { InjectPaymentProcessor } from '../../../platform/payment-processor/payment-processor.provider';
import { Charge } from './charge.entity';

/** Stripe tells us about payments; all of them act on the same record of ours, so order does not matter. */
export const STRIPE_ACTOR: RequestContext = {
  actor: { kind: 'system', name: 'stripe-webhooks' },
  requestId: null,
};

export class PaymentMismatchError extends Error {}

export function toChargeView(charge: Charge, couponCode: string | null = null): ChargeView {
  return {
    id: charge.id,
    userId: charge.userId,
    productId: charge.productId,
    amount: { amount: charge.amount, currency: charge.currency },
    amountRefunded: { amount: charge.amountRefunded, currency: charge.currency },
    status: charge.status,
    card:
      charge.cardLast4 || charge.cardBrand
        ? { brand: charge.cardBrand, last4: charge.cardLast4, country: charge.cardCountry }
        : null,
    riskLevel: charge.riskLevel,
    couponCode,
    invoiceId: charge.invoiceId,
    paidAt: charge.paidAt.toISOString(),
  };
}

/** Records completed and failed payments: one charge, one invoice, one event per checkout session. */
@Injectable()
export class PaymentsService {
  private readonly logger = new Logger(PaymentsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly coupons: CouponRedemptionService,
    private readonly invoices: InvoicesService,
    private readonly fraud: FraudService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  /** The processor charge behind a payment intent: card details and the Radar outcome live there. */
  async processorChargeFor(paymentIntentId: string): Promise<ProcessorCharge | null> {
    const intent = await this.processor.getPaymentIntent(paymentIntentId);
    return intent.latestChargeId ? this.processor.getCharge(intent.latestChargeId) : null;
  }

  /**
   * Records a paid checkout session. Safe to call for every event announcing the payment, in any
   * order and any number of times: the first records charge, coupon redemption, invoice and
   * `billing.payment.completed` in one transaction; later calls find the charge and return it.
   */
  async completePayment(input: {
    checkoutSessionId: string;
    paymentIntentId: string;
    processorCharge: ProcessorCharge;
  }): Promise<Charge | null> {
    return this.dataSource.transaction(async (manager) => {
      const session = await manager.findOne(CheckoutSession, {
        where: { id: input.checkoutSessionId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!session) return null;
      const existing = await manager.findOne(Charge, { where: { checkoutSessionId: session.id } });
      if (existing) return existing;

      const paid = input.processorCharge;
      // Never record a payment that differs from what we priced: support must look at it.
      if (paid.amountMinor !== session.totalAmount || paid.currency !== session.currency) {
        throw new PaymentMismatchError(
          `checkout session ${session.id} expected ${session.totalAmount} ${session.currency}, processor charged ${paid.amountMinor} ${paid.currency}`,
        );
      }
      const now = this.clock.now();
      const charge = manager.create(Charge, {
        id: newId('chg'),
        customerId: session.customerId,
        userId: session.userId,
        checkoutSessionId: session.id,
        productId: session.productId,
        amount: paid.amountMinor,
        currency: paid.currency,
        amountRefunded: 0,
        status: 'succeeded',
        stripePaymentIntentId: input.paymentIntentId,
        stripeChargeId: paid.id,
        cardBrand: paid.card?.brand ?? null,
        cardLast4: paid.card?.last4 ?? null,
        cardFingerprint: paid.card?.fingerprint ?? null,
        cardCountry: paid.card?.country ?? null,
        riskLevel: paid.riskOutcome?.riskLevel ?? null,
        riskScore: paid.riskOutcome?.riskScore ?? null,
        couponId: session.couponId,
        discountAmount: session.discountAmount,
        invoiceId: null,
        paidAt: paid.createdAt,
      });
      // A copy: TypeORM writes database defaults back into the object it inserts, untransformed.
      await manager.insert(Charge, { ...charge });

      const coupon = session.couponId
        ? await manager.findOneOrFail(Coupon, { where: { id: session.couponId } })
        : null;
      if (coupon) await this.redeemCoupon(manager, coupon, charge, now);
      await this.fraud.screenPayment(manager, { charge, session, coupon, processorCharge: paid });

      const product = await manager.findOneOrFail(Product, { where: { id: session.productId } });
      const customer = await manager.findOneOrFail(Customer, { where: { id: session.customerId } });
      const invoice = await this.invoices.issueReceipt(manager, {
        charge,
        customerEmail: customer.email,
        productName: product.name,
        breakdown: session.breakdown,
        paidAt: charge.paidAt,
      });
      charge.invoiceId = invoice.id;
      await manager.update(Charge, { id: charge.id }, { invoiceId: invoice.id });
      await manager.update(CheckoutSession, { id: session.id }, { status: 'completed', completedAt: now });

      await this.audit.record(manager, STRIPE_ACTOR, {
        action: 'charge.succeeded',
        resourceType: 'charge',
        resourceId: charge.id,
        after: { ...toChargeView(charge, coupon?.code ?? null) },
      });
      await this.outbox.append(manager, {
        type: 'billing.payment.completed',
        subject: charge.id,
        data: {
          chargeId: charge.id,
          userId: charge.userId,
          customerId: charge.customerId,
          checkoutSessionId: session.id,
          productId: product.id,
          productKind: product.kind as ProductKind,
          accountSize: product.attributes.accountSize ?? null,
          accountId: session.accountId,
          amount: charge.amount,
          currency: charge.currency,
          discountAmount: charge.discountAmount,
          couponCode: coupon?.code ?? null,
          invoiceId: invoice.id,
          paidAt: charge.paidAt.toISOString(),
        },
        correlationId: session.id,
      });
      return charge;
    });
  }

  /** A declined or failed payment: the session fails once and `billing.payment.failed` is emitted once. */
  async failPayment(input: {
    checkoutSessionId: string;
    reason: string;
    declineCode: string | null;
  }): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const session = await manager.findOne(CheckoutSession, {
        where: { id: input.checkoutSessionId },
        lock: { mode: 'pessimistic_write' },
      });
      // A later success wins over an earlier failure, whatever order the events arrive in.
      if (!session || session.status !== 'open') return;
      if (await manager.exists(Charge, { where: { checkoutSessionId: session.id } })) return;
      await manager.update(
        CheckoutSession,
        { id: session.id },
        { status: 'failed', failureReason: input.reason.slice(0, 500) },
      );
      await this.audit.record(manager, STRIPE_ACTOR, {
        action: 'checkout_session.payment_failed',
        resourceType: 'checkout_session',
        resourceId: session.id,
        after: { reason: input.reason, declineCode: input.declineCode },
      });
      await this.outbox.append(manager, {
        type: 'billing.payment.failed',
        subject: session.id,
        data: {
          checkoutSessionId: session.id,
          userId: session.userId,
          productId: session.productId,
          amount: session.totalAmount,
          currency: session.currency,
          reason: input.reason,
          declineCode: input.declineCode,
        },
        correlationId: session.id,
      });
    });
  }

  async expireSession(checkoutSessionId: string): Promise<void> {
    await this.dataSource
      .getRepository(CheckoutSession)
      .update({ id: checkoutSessionId, status: 'open' }, { status: 'expired' });
  }

  async getCharge(chargeId: string): Promise<ChargeView> {
    const charge = await this.dataSource.getRepository(Charge).findOne({ where: { id: chargeId } });
    if (!charge) throw new NotFoundError('charge', chargeId);
    return toChargeView(charge);
  }

  private async redeemCoupon(
    manager: EntityManager,
    coupon: Coupon,
    charge: Charge,
    now: Date,
  ): Promise<void> {
    const redemption = await this.coupons.redeem(manager, {
      couponId: coupon.id,
      customerId: charge.customerId,
      chargeId: charge.id,
      discountAmount: charge.discountAmount,
      currency: charge.currency,
      now,
    });
    if (!redemption.redeemed) {
      // The money is already taken at the discounted price; the limit itself is never exceeded.
      this.logger.warn(
        `coupon ${coupon.code} reached a limit before charge ${charge.id} completed: ${redemption.reason}`,
      );
      await this.audit.record(manager, STRIPE_ACTOR, {
        action: 'coupon.redemption_refused',
        resourceType: 'coupon',
        resourceId: coupon.id,
        after: { chargeId: charge.id, reason: redemption.reason },
      });
    }
  }
}

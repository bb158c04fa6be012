import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { AccountTermsSnapshot, PaymentFailedData, ProductKind } from '@astrix/contracts';
import type { ProcessorCharge } from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import type { RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { OutboxService } from '../../../platform/events/outbox.service';
import { newId } from '../../../platform/ids';
import { Product } from '../catalog/product.entity';
import { CheckoutSession } from '../checkout/checkout-session.entity';
import { Coupon } from '../coupons/coupon.entity';
import { CouponRedemptionService } from '../coupons/coupon-redemption.service';
import { Customer } from '../customers/customer.entity';
import { FraudService } from '../fraud/fraud.service';
import type { Invoice } from '../invoicing/invoice.entity';
import { InvoicesService, type IssueReceiptInput } from '../invoicing/invoices.service';
import { LedgerPostings } from '../ledger/ledger-postings.service';
import { Charge, type ChargeStatus } from './charge.entity';
import { toChargeView } from './charge-views';

/** Copies the account terms off a product as it is now; null for a product without an account. */
export function accountTermsOf(product: Pick<Product, 'attributes'>): AccountTermsSnapshot | null {
  const attributes = product.attributes;
  if (attributes.accountSize === undefined) return null;
  return {
    accountSize: attributes.accountSize,
    phases: attributes.phases ?? null,
    profitTargetPercent: [...(attributes.profitTargetPercent ?? [])],
    maxDailyLossPercent: attributes.maxDailyLossPercent ?? null,
    maxTotalLossPercent: attributes.maxTotalLossPercent ?? null,
    minTradingDays: attributes.minTradingDays ?? null,
    platform: attributes.platform ?? null,
  };
}

/** How the processor took the money. */
export interface ProcessorPayment {
  paymentIntentId: string | null;
  /** The processor charge when we could read it (card details, Radar outcome). */
  processorCharge: ProcessorCharge | null;
  /** The processor charge id when only the id is known. */
  processorChargeId: string | null;
  amount: number;
  currency: string;
  paidAt: Date;
}

/**
 * The one writer of `billing.charges`. Every succeeded payment becomes one charge and one
 * `billing.payment.completed` in the caller's transaction; every failed one one `billing.payment.failed`.
 * A payment already recorded (same processor payment intent or charge) is returned, not recorded again.
 */
@Injectable()
export class ChargeRecorder {
  private readonly logger = new Logger(ChargeRecorder.name);

  constructor(
    private readonly coupons: CouponRedemptionService,
    private readonly invoices: InvoicesService,
    private readonly fraud: FraudService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    private readonly ledger: LedgerPostings,
  ) {}

  /** The charge already recorded for this processor payment, if any. */
  async recorded(manager: EntityManager, payment: ProcessorPayment): Promise<Charge | null> {
    const processorChargeId = payment.processorCharge?.id ?? payment.processorChargeId;
    const where = [
      ...(payment.paymentIntentId ? [{ stripePaymentIntentId: payment.paymentIntentId }] : []),
      ...(processorChargeId ? [{ stripeChargeId: processorChargeId }] : []),
    ];
    return where.length > 0 ? manager.findOne(Charge, { where }) : null;
  }

  /**
   * A paid checkout session (locked by the caller): the charge, coupon redemption, fraud screening,
   * the receipt invoice, and `billing.payment.completed` with the account terms bought.
   */
  async recordPurchase(
    manager: EntityManager,
    session: CheckoutSession,
    payment: ProcessorPayment,
    actor: RequestContext,
    /** A subscription bought at checkout: its receipt is the first period's invoice, its event names it. */
    subscriptionPeriod?: IssueReceiptInput['subscriptionPeriod'],
  ): Promise<Charge> {
    const existing =
      (await manager.findOne(Charge, { where: { checkoutSessionId: session.id } })) ??
      (await this.recorded(manager, payment));
    if (existing) return existing;
    // Read before anything is written: the terms bought are the product's as the money arrives.
    const product = await manager.findOneOrFail(Product, { where: { id: session.productId } });
    const charge = await this.insertCharge(manager, payment, {
      customerId: session.customerId,
      userId: session.userId,
      checkoutSessionId: session.id,
      productId: session.productId,
      couponId: session.couponId,
      discountAmount: session.discountAmount,
      invoiceId: null,
    });

    const coupon = session.couponId
      ? await manager.findOneOrFail(Coupon, { where: { id: session.couponId } })
      : null;
    // A redemption refused at payment (limits lowered since the session reserved it) leaves a
    // discount nobody granted: nothing is provisioned, and payments refunds the payment after commit.
    const couponRefused = coupon ? await this.redeemCoupon(manager, coupon, charge, actor, session.id) : null;
    if (payment.processorCharge) {
      await this.fraud.screenPayment(manager, {
        charge,
        session,
        coupon,
        processorCharge: payment.processorCharge,
      });
    }

    const customer = await manager.findOneOrFail(Customer, { where: { id: session.customerId } });
    const receipt = await this.invoices.issueReceipt(manager, {
      charge,
      customerEmail: customer.email,
      productName: product.name,
      breakdown: session.breakdown,
      paidAt: charge.paidAt,
      subscriptionPeriod,
    });
    charge.invoiceId = receipt.id;
    await manager.update(Charge, { id: charge.id }, { invoiceId: receipt.id });

    if (couponRefused) return charge;
    await this.announce(manager, charge, actor, {
      paidFor: 'purchase',
      subscriptionId: subscriptionPeriod?.subscriptionId ?? null,
      productKind: product.kind,
      accountTerms: accountTermsOf(product),
      accountId: session.accountId,
      couponCode: coupon?.code ?? null,
      correlationId: session.id,
    });
    return charge;
  }

  /**
   * A paid invoice (locked by the caller), e.g. a subscription's: the charge is linked to the invoice,
   * which is its receipt already. The event says `paidFor: 'invoice'`, so nothing is provisioned.
   */
  async recordInvoicePayment(
    manager: EntityManager,
    invoice: Invoice,
    productId: string | null,
    payment: ProcessorPayment,
    actor: RequestContext,
  ): Promise<Charge> {
    const existing = await this.recorded(manager, payment);
    if (existing) return existing;
    const product = productId ? await manager.findOne(Product, { where: { id: productId } }) : null;
    const charge = await this.insertCharge(manager, payment, {
      customerId: invoice.customerId,
      userId: invoice.userId,
      checkoutSessionId: null,
      productId: productId ?? 'unknown',
      couponId: null,
      discountAmount: 0,
      invoiceId: invoice.id,
    });
    if (!product) this.logger.warn(`charge ${charge.id} pays invoice ${invoice.id} of no known product`);
    // Renewals and other invoice payments meet the same payment rules as checkout charges.
    if (payment.processorCharge) {
      await this.fraud.screenPayment(manager, {
        charge,
        session: null,
        coupon: null,
        processorCharge: payment.processorCharge,
      });
    }
    await this.announce(manager, charge, actor, {
      paidFor: 'invoice',
      subscriptionId: invoice.subscriptionId,
      // An invoice of no product names the kind that provisions nothing.
      productKind: product?.kind ?? 'add_on',
      accountTerms: null,
      accountId: null,
      couponCode: null,
      correlationId: invoice.subscriptionId ?? invoice.id,
    });
    return charge;
  }

  /** A refund of the charge (locked by the caller) settled: its refunded total; disputed stays disputed. */
  async recordRefunded(
    manager: EntityManager,
    charge: Charge,
    amountRefunded: number,
    fullyRefunded: boolean,
  ): Promise<void> {
    await manager.update(
      Charge,
      { id: charge.id },
      {
        amountRefunded,
        ...(charge.status === 'disputed'
          ? {}
          : { status: fullyRefunded ? 'refunded' : 'partially_refunded' }),
      },
    );
  }

  /**
   * A settled refund failed at the processor after all: the charge's refunded total drops back (in
   * the caller's transaction, which holds the charge's lock); a disputed charge stays disputed.
   */
  async recordRefundReversed(manager: EntityManager, charge: Charge, amountRefunded: number): Promise<void> {
    await manager.update(
      Charge,
      { id: charge.id },
      {
        amountRefunded,
        ...(charge.status === 'disputed'
          ? {}
          : { status: amountRefunded === 0 ? 'succeeded' : 'partially_refunded' }),
      },
    );
  }

  /**
   * A dispute moved the charge (fraud decides to what, from the dispute and what was refunded), in the
   * caller's transaction, which holds the charge's lock.
   */
  async recordDisputeStatus(manager: EntityManager, chargeId: string, status: ChargeStatus): Promise<void> {
    await manager.update(Charge, { id: chargeId }, { status });
  }

  /**
   * A declined or failed payment: `billing.payment.failed`. Callers hold the lock that makes it once
   * per checkout session, or once per invoice collection attempt, and audit it in their own terms.
   */
  async recordFailure(manager: EntityManager, failure: PaymentFailedData): Promise<void> {
    await this.outbox.append(manager, {
      type: 'billing.payment.failed',
      subject: failure.checkoutSessionId ?? failure.invoiceId ?? failure.userId,
      data: { ...failure, reason: failure.reason.slice(0, 500) },
      correlationId: failure.checkoutSessionId ?? failure.subscriptionId ?? failure.invoiceId,
    });
  }

  private async insertCharge(
    manager: EntityManager,
    payment: ProcessorPayment,
    ours: Pick<
      Charge,
      | 'customerId'
      | 'userId'
      | 'checkoutSessionId'
      | 'productId'
      | 'couponId'
      | 'discountAmount'
      | 'invoiceId'
    >,
  ): Promise<Charge> {
    const card = payment.processorCharge?.card ?? null;
    const risk = payment.processorCharge?.riskOutcome ?? null;
    const charge = manager.create(Charge, {
      id: newId('chg'),
      ...ours,
      amount: payment.amount,
      currency: payment.currency,
      amountRefunded: 0,
      status: 'succeeded',
      stripePaymentIntentId: payment.paymentIntentId,
      stripeChargeId: payment.processorCharge?.id ?? payment.processorChargeId,
      cardBrand: card?.brand ?? null,
      cardLast4: card?.last4 ?? null,
      cardFingerprint: card?.fingerprint ?? null,
      cardCountry: card?.country ?? null,
      riskLevel: risk?.riskLevel ?? null,
      riskScore: risk?.riskScore ?? null,
      paidAt: payment.paidAt,
    });
    // A copy: TypeORM writes database defaults back into the object it inserts, untransformed.
    await manager.insert(Charge, { ...charge });
    await this.ledger.chargeSucceeded(manager, charge);
    return charge;
  }

  private async announce(
    manager: EntityManager,
    charge: Charge,
    actor: RequestContext,
    paid: {
      paidFor: 'purchase' | 'invoice';
      subscriptionId: string | null;
      productKind: ProductKind;
      accountTerms: AccountTermsSnapshot | null;
      accountId: string | null;
      couponCode: string | null;
      correlationId: string;
    },
  ): Promise<void> {
    if (!charge.invoiceId) throw new Error(`charge ${charge.id} has no invoice to announce`);
    await this.audit.record(manager, actor, {
      action: 'charge.succeeded',
      resourceType: 'charge',
      resourceId: charge.id,
      after: { ...toChargeView(charge, paid.couponCode), paidFor: paid.paidFor },
    });
    await this.outbox.append(manager, {
      type: 'billing.payment.completed',
      subject: charge.id,
      data: {
        chargeId: charge.id,
        userId: charge.userId,
        customerId: charge.customerId,
        paidFor: paid.paidFor,
        checkoutSessionId: charge.checkoutSessionId,
        subscriptionId: paid.subscriptionId,
        productId: charge.productId,
        productKind: paid.productKind,
        accountSize: paid.accountTerms?.accountSize ?? null,
        accountTerms: paid.accountTerms,
        accountId: paid.accountId,
        amount: charge.amount,
        currency: charge.currency,
        discountAmount: charge.discountAmount,
        couponCode: paid.couponCode,
        invoiceId: charge.invoiceId,
        paymentIntentId: charge.stripePaymentIntentId,
        paidAt: charge.paidAt.toISOString(),
      },
      correlationId: paid.correlationId,
    });
  }

  private async redeemCoupon(
    manager: EntityManager,
    coupon: Coupon,
    charge: Charge,
    actor: RequestContext,
    checkoutSessionId: string,
  ): Promise<string | null> {
    const redemption = await this.coupons.redeem(manager, {
      couponId: coupon.id,
      customerId: charge.customerId,
      chargeId: charge.id,
      discountAmount: charge.discountAmount,
      currency: charge.currency,
      now: this.clock.now(),
      checkoutSessionId,
    });
    if (!redemption.redeemed) {
      // The money is already taken at the discounted price; the limit itself is never exceeded.
      // The discount is not kept: payments refunds the payment (COUPON_REFUSED_AT_PAYMENT).
      this.logger.warn(
        `coupon ${coupon.code} reached a limit before charge ${charge.id} completed: ${redemption.reason}`,
      );
      await this.audit.record(manager, actor, {
        action: 'coupon.redemption_refused',
        resourceType: 'coupon',
        resourceId: coupon.id,
        after: { chargeId: charge.id, reason: redemption.reason },
      });
      return redemption.reason;
    }
    return null;
  }
}

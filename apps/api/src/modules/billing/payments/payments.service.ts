import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ChargeView } from '@astrix/contracts';
import type { PaymentProcessor, ProcessorCharge } from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import { Clock } from '../../../platform/clock';
import { NotFoundError } from '../../../platform/http/app-error';
import { InjectPaymentProcessor } from '../../../platform/payment-processor/payment-processor.provider';
import { inSpan, tracingEnabled } from '../../../platform/tracing/tracing';
import { CheckoutSession } from '../checkout/checkout-session.entity';
import { CheckoutService } from '../checkout/checkout.service';
import { Product } from '../catalog/product.entity';
import { CheckoutSubscriptions } from '../subscriptions/checkout-subscriptions.service';
import { Charge } from './charge.entity';
import { ChargeRecorder } from './charge-recorder.service';
import { STRIPE_ACTOR, toChargeView } from './charge-views';

export { STRIPE_ACTOR, toChargeView } from './charge-views';

export class PaymentMismatchError extends Error {}

interface PaidCheckout {
  checkoutSessionId: string;
  paymentIntentId: string;
  processorCharge: ProcessorCharge;
}

/** Records completed and failed checkout payments: one charge, one receipt, one event per session. */
@Injectable()
export class PaymentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly charges: ChargeRecorder,
    private readonly checkouts: CheckoutService,
    private readonly checkoutSubscriptions: CheckoutSubscriptions,
    private readonly audit: AuditService,
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
  async completePayment(input: PaidCheckout): Promise<Charge | null> {
    if (!tracingEnabled()) return this.recordPaidCheckout(input);
    // The purchase's one trace: recording the payment continues the checkout request's.
    const [session] = (await this.dataSource.query(
      'SELECT traceparent FROM billing.checkout_sessions WHERE id = $1',
      [input.checkoutSessionId],
    )) as Array<{ traceparent: string | null }>;
    return inSpan('checkout.complete-payment', { traceparent: session?.traceparent ?? null }, () =>
      this.recordPaidCheckout(input),
    );
  }

  private async recordPaidCheckout(input: PaidCheckout): Promise<Charge | null> {
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
      // A plan bought at checkout becomes a subscription whose first period this payment pays.
      const product = await manager.findOneOrFail(Product, { where: { id: session.productId } });
      const period = await this.checkoutSubscriptions.firstPeriod(manager, session, product);
      const charge = await this.charges.recordPurchase(
        manager,
        session,
        {
          paymentIntentId: input.paymentIntentId,
          processorCharge: paid,
          processorChargeId: paid.id,
          amount: paid.amountMinor,
          currency: paid.currency,
          paidAt: paid.createdAt,
        },
        STRIPE_ACTOR,
        period ?? undefined,
      );
      if (period && charge.invoiceId) {
        await this.checkoutSubscriptions.createFromCheckout(
          manager,
          {
            session,
            period,
            chargeId: charge.id,
            receiptInvoiceId: charge.invoiceId,
            paymentMethodId: paid.paymentMethodId,
          },
          STRIPE_ACTOR,
        );
      }
      await this.checkouts.markCompleted(manager, session.id, this.clock.now());
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
      await this.checkouts.markFailed(manager, session.id, input.reason);
      await this.audit.record(manager, STRIPE_ACTOR, {
        action: 'checkout_session.payment_failed',
        resourceType: 'checkout_session',
        resourceId: session.id,
        after: { reason: input.reason, declineCode: input.declineCode },
      });
      await this.charges.recordFailure(manager, {
        paidFor: 'purchase',
        checkoutSessionId: session.id,
        invoiceId: null,
        subscriptionId: null,
        attempt: null,
        userId: session.userId,
        customerId: session.customerId,
        productId: session.productId,
        amount: session.totalAmount,
        currency: session.currency,
        reason: input.reason,
        declineCode: input.declineCode,
      });
    });
  }

  async expireSession(checkoutSessionId: string): Promise<void> {
    await this.checkouts.expire(checkoutSessionId);
  }

  async getCharge(chargeId: string): Promise<ChargeView> {
    const charge = await this.dataSource.getRepository(Charge).findOne({ where: { id: chargeId } });
    if (!charge) throw new NotFoundError('charge', chargeId);
    return toChargeView(charge);
  }
}

import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type PaymentProcessor, type ProcessorEvent, WebhookSignatureError } from '@astrix/stripe-client';
import { Clock } from '../../../platform/clock';
import { AppError, NotFoundError } from '../../../platform/http/app-error';
import { toPage } from '../../../platform/http/pagination';
import { JobQueue } from '../../../platform/queues/job-queue.service';
import {
  InjectPaymentProcessor,
  PaymentProcessorHost,
} from '../../../platform/payment-processor/payment-processor.provider';
import { PaymentsService } from '../payments/payments.service';
import { CouponRefusals } from '../payments/coupon-refusals.service';
import { StripeFraudSignals } from '../fraud/stripe-fraud-signals.service';
import { RefundsService } from '../refunds/refunds.service';
import { InvoiceCollection } from '../collection/invoice-collection.service';
import { PaymentMethodsService } from '../customers/payment-methods.service';
import { TransferEventsRegistry } from '../transfer-events.registry';
import { StripeWebhookEvent, WebhookEventStatus } from './stripe-webhook-event.entity';

export const WEBHOOK_TOLERANCE_SECONDS = 300;

export interface StripeEventView {
  id: string;
  type: string;
  status: WebhookEventStatus;
  attempts: number;
  lastError: string | null;
  receivedAt: string;
  processedAt: string | null;
}

const toView = (event: StripeWebhookEvent): StripeEventView => ({
  id: event.id,
  type: event.type,
  status: event.status,
  attempts: event.attempts,
  lastError: event.lastError,
  receivedAt: event.receivedAt.toISOString(),
  processedAt: event.processedAt?.toISOString() ?? null,
});

/**
 * Stripe webhooks: intake verifies, stores once and enqueues (answering fast); processing acts on
 * the stored event in a job. Processing is idempotent, so duplicates, retries and replays of any
 * event in any order converge on the same state.
 */
@Injectable()
export class StripeWebhooksService {
  private readonly logger = new Logger(StripeWebhooksService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly host: PaymentProcessorHost,
    private readonly payments: PaymentsService,
    private readonly couponRefusals: CouponRefusals,
    private readonly refunds: RefundsService,
    private readonly fraudSignals: StripeFraudSignals,
    private readonly transfers: TransferEventsRegistry,
    private readonly collection: InvoiceCollection,
    private readonly paymentMethods: PaymentMethodsService,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
  ) {}

  /** Verifies and stores one delivery. A bad signature stores nothing and is answered 400. */
  async receive(
    rawBody: Buffer | undefined,
    signature: string | undefined,
  ): Promise<{ received: true; duplicate: boolean }> {
    if (!rawBody)
      throw new AppError(400, 'BAD_REQUEST', 'webhook body must be JSON sent as application/json');
    let event: ProcessorEvent;
    try {
      event = this.processor.verifyWebhook(
        rawBody,
        signature,
        this.host.webhookSecret,
        WEBHOOK_TOLERANCE_SECONDS,
      );
    } catch (error) {
      if (!(error instanceof WebhookSignatureError)) throw error;
      const bodySha256 = createHash('sha256').update(rawBody).digest('hex');
      this.logger.warn({ failure: error.failure, bodySha256 }, 'refused a Stripe webhook');
      throw new AppError(400, 'INVALID_SIGNATURE', `webhook signature verification failed: ${error.failure}`);
    }
    const processorType = event.type === 'unsupported' ? event.processorEventType : event.type;
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO billing.stripe_webhook_events (id, type, payload, status, attempts, stripe_created_at, received_at)
       VALUES ($1, $2, $3::jsonb, 'received', 0, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [event.id, processorType, rawBody.toString('utf8'), event.createdAt, this.clock.now()],
    );
    const duplicate = inserted.length === 0;
    if (duplicate) {
      const stored = await this.dataSource
        .getRepository(StripeWebhookEvent)
        .findOneOrFail({ where: { id: event.id } });
      if (stored.status === 'processed' || stored.status === 'ignored') return { received: true, duplicate };
    }
    // Job id = event id: a duplicate delivery while the job exists adds nothing.
    await this.jobs.enqueue({
      name: 'billing.process-stripe-event',
      payload: { stripeEventId: event.id },
      jobId: event.id,
    });
    return { received: true, duplicate };
  }

  /** Acts on a stored event; records the outcome; throws (so the job retries) when acting failed. */
  async process(stripeEventId: string): Promise<WebhookEventStatus> {
    const stored = await this.dataSource
      .getRepository(StripeWebhookEvent)
      .findOne({ where: { id: stripeEventId } });
    if (!stored) throw new Error(`stripe event ${stripeEventId} is not stored`);
    if (stored.status === 'processed' || stored.status === 'ignored') return stored.status;
    try {
      const acted = await this.act(this.processor.parseVerifiedEvent(stored.payload));
      const status: WebhookEventStatus = acted ? 'processed' : 'ignored';
      await this.dataSource
        .getRepository(StripeWebhookEvent)
        .update(
          { id: stripeEventId },
          { status, attempts: () => 'attempts + 1', lastError: null, processedAt: this.clock.now() },
        );
      return status;
    } catch (error) {
      await this.dataSource.getRepository(StripeWebhookEvent).update(
        { id: stripeEventId },
        {
          status: 'failed',
          attempts: () => 'attempts + 1',
          lastError: String((error as Error).message).slice(0, 2000),
        },
      );
      throw error;
    }
  }

  async list(query: { status?: WebhookEventStatus; limit: number; cursor?: string }) {
    const builder = this.dataSource
      .getRepository(StripeWebhookEvent)
      .createQueryBuilder('event')
      .orderBy('event.id', 'DESC')
      .take(query.limit + 1);
    if (query.status) builder.andWhere('event.status = :status', { status: query.status });
    if (query.cursor) builder.andWhere('event.id < :cursor', { cursor: query.cursor });
    return toPage(await builder.getMany(), query.limit, toView);
  }

  /** Support re-runs an event (after fixing what made it fail); processing stays idempotent. */
  async replay(stripeEventId: string): Promise<StripeEventView> {
    const stored = await this.dataSource
      .getRepository(StripeWebhookEvent)
      .findOne({ where: { id: stripeEventId } });
    if (!stored) throw new NotFoundError('Stripe event', stripeEventId);
    await this.dataSource
      .getRepository(StripeWebhookEvent)
      .update({ id: stripeEventId }, { status: 'received', processedAt: null });
    // One job id per processing attempt: replays in a row share one job; requeue replaces a finished one.
    await this.jobs.requeue({
      name: 'billing.process-stripe-event',
      payload: { stripeEventId },
      jobId: `${stripeEventId}-replay-${stored.attempts}`,
    });
    return toView({ ...stored, status: 'received', processedAt: null });
  }

  /**
   * An event about a charge we have not recorded: if the payment is ours, its completion is still
   * on its way (events arrive in any order), so fail now and let the job retry; if not, ignore it.
   */
  private async retryIfOurPaymentIsNotRecordedYet(paymentIntentId: string | null): Promise<false> {
    if (!paymentIntentId) return false;
    const intent = await this.processor.getPaymentIntent(paymentIntentId);
    if (intent.metadata.checkoutSessionId) {
      throw new Error(
        `payment ${paymentIntentId} of checkout session ${intent.metadata.checkoutSessionId} is not recorded yet`,
      );
    }
    return false;
  }

  /**
   * Records a checkout payment, then (after its commit, on every delivery, so a retry finishes what a
   * crash left) settles a coupon refused at payment: the discount is not kept.
   */
  private async completeCheckoutPayment(
    input: Parameters<PaymentsService['completePayment']>[0],
  ): Promise<boolean> {
    const charge = await this.payments.completePayment(input);
    if (charge) await this.couponRefusals.settle(charge);
    return charge !== null;
  }

  /** Returns whether the event concerned something of ours. */
  private async act(event: ProcessorEvent): Promise<boolean> {
    // Subscription invoices are collected with payment intents that carry our invoice id.
    if (
      (event.type === 'payment_intent.succeeded' ||
        event.type === 'payment_intent.payment_failed' ||
        event.type === 'payment_intent.requires_action') &&
      event.object.metadata.invoiceId
    ) {
      return this.collection.onPaymentIntent(event.object);
    }
    switch (event.type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded': {
        const session = event.object;
        const ourId = session.metadata.checkoutSessionId ?? session.clientReferenceId;
        if (!ourId || session.paymentStatus !== 'paid' || !session.paymentIntentId) return false;
        const processorCharge = await this.payments.processorChargeFor(session.paymentIntentId);
        if (!processorCharge) throw new Error(`payment intent ${session.paymentIntentId} has no charge yet`);
        return this.completeCheckoutPayment({
          checkoutSessionId: ourId,
          paymentIntentId: session.paymentIntentId,
          processorCharge,
        });
      }
      case 'payment_intent.succeeded': {
        const intent = event.object;
        const ourId = intent.metadata.checkoutSessionId;
        if (!ourId || !intent.latestChargeId) return false;
        const processorCharge = await this.processor.getCharge(intent.latestChargeId);
        return this.completeCheckoutPayment({
          checkoutSessionId: ourId,
          paymentIntentId: intent.id,
          processorCharge,
        });
      }
      case 'checkout.session.async_payment_failed': {
        const ourId = event.object.metadata.checkoutSessionId ?? event.object.clientReferenceId;
        if (!ourId) return false;
        await this.payments.failPayment({
          checkoutSessionId: ourId,
          reason: 'async payment failed',
          declineCode: null,
        });
        return true;
      }
      case 'payment_intent.payment_failed': {
        const intent = event.object;
        const ourId = intent.metadata.checkoutSessionId;
        if (!ourId) return false;
        await this.payments.failPayment({
          checkoutSessionId: ourId,
          reason: intent.lastPaymentFailure?.message ?? 'payment failed',
          declineCode: intent.lastPaymentFailure?.declineCode ?? null,
        });
        return true;
      }
      case 'setup_intent.succeeded':
        // A card saved in the browser (Stripe.js in live mode, the sandbox's page otherwise).
        return this.paymentMethods.onSetupSucceeded(event.object, {
          actor: { kind: 'system', name: 'stripe-webhooks' },
          requestId: event.id,
        });
      case 'checkout.session.expired': {
        const ourId = event.object.metadata.checkoutSessionId ?? event.object.clientReferenceId;
        if (!ourId) return false;
        await this.payments.expireSession(ourId);
        return true;
      }
      case 'refund.created':
      case 'refund.updated':
      case 'refund.failed':
        return (
          (await this.refunds.applyProcessorRefund(event.object)) ||
          this.retryIfOurPaymentIsNotRecordedYet(event.object.paymentIntentId)
        );
      case 'charge.refunded': {
        // The refunds themselves arrive as refund.* events; this one only confirms the charge total.
        return this.refunds.reconcileCharge(event.object);
      }
      case 'charge.dispute.created':
      case 'charge.dispute.updated':
      case 'charge.dispute.closed':
      case 'charge.dispute.funds_withdrawn':
      case 'charge.dispute.funds_reinstated':
        return (
          (await this.fraudSignals.onDispute(event.object)) ||
          this.retryIfOurPaymentIsNotRecordedYet(event.object.paymentIntentId)
        );
      case 'radar.early_fraud_warning.created':
      case 'radar.early_fraud_warning.updated':
        return (
          (await this.fraudSignals.onEarlyFraudWarning(event.object)) ||
          this.retryIfOurPaymentIsNotRecordedYet(event.object.paymentIntentId)
        );
      case 'review.opened':
      case 'review.closed':
        return (
          (await this.fraudSignals.onReview(event.object)) ||
          this.retryIfOurPaymentIsNotRecordedYet(event.object.paymentIntentId)
        );
      case 'transfer.created':
      case 'transfer.updated':
      case 'transfer.reversed':
        return this.transfers.handle(event);
      case 'charge.succeeded':
      case 'charge.failed':
      case 'charge.pending':
      case 'payment_intent.requires_action':
      case 'payment_intent.processing':
      case 'payment_intent.canceled':
      case 'setup_intent.setup_failed':
      case 'setup_intent.requires_action':
      case 'payment_method.attached':
      case 'payment_method.detached':
      case 'unsupported':
        // Payments are acted on through checkout.session.* and payment_intent.* only, so a charge.*
        // event for the same payment never acts twice; the rest belongs to later features.
        return false;
    }
  }
}

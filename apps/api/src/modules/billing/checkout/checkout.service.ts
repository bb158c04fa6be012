import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import type { CheckoutSessionView, CreateCheckoutSessionRequest } from '@astrix/contracts';
import type { PaymentProcessor } from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import type { RequestContext, UserActor } from '../../../platform/auth/actor';
import { AppConfig } from '../../../platform/config/app-config';
import { Clock } from '../../../platform/clock';
import { AppError, NotFoundError } from '../../../platform/http/app-error';
import { newId } from '../../../platform/ids';
import { AccountsPortRegistry } from '../accounts.port';
import { CatalogService } from '../catalog/catalog.service';
import { CouponRedemptionService, couponNotApplicable } from '../coupons/coupon-redemption.service';
import { CustomersService } from '../customers/customers.service';
import { FraudService } from '../fraud/fraud.service';
import { InjectPaymentProcessor } from '../../../platform/payment-processor/payment-processor.provider';
import { toProcessorAppError } from '../../../platform/payment-processor/processor-errors';
import { currentTraceparent } from '../../../platform/tracing/tracing';
import { CheckoutSubscriptions } from '../subscriptions/checkout-subscriptions.service';
import { CheckoutSession } from './checkout-session.entity';
import { taxBreakdown } from '../tax/tax-breakdown';
import { TaxCalculator } from '../tax/tax.service';

export type CheckoutRequest = CreateCheckoutSessionRequest;

/** Where the request came from, for the fraud rules. */
export interface CheckoutClient {
  ip: string | null;
  /** ISO 3166 alpha-2, from the edge's country header. */
  country: string | null;
}

/** Just above Stripe's shortest allowed checkout lifetime (30 minutes). */
const RESET_CHECKOUT_TTL_MS = 31 * 60_000;
/** Stripe's default (and longest) checkout lifetime: how long a session holds its coupon at most. */
const CHECKOUT_TTL_MS = 24 * 60 * 60_000;

export function toCheckoutSessionView(session: CheckoutSession): CheckoutSessionView {
  return {
    id: session.id,
    status: session.status,
    url: session.url ?? '',
    productId: session.productId,
    accountId: session.accountId,
    breakdown: session.breakdown,
    createdAt: session.createdAt.toISOString(),
  };
}

/** Prices a purchase, records it, and opens a processor checkout session for it. */
@Injectable()
export class CheckoutService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly catalog: CatalogService,
    private readonly coupons: CouponRedemptionService,
    private readonly customers: CustomersService,
    private readonly fraud: FraudService,
    private readonly accounts: AccountsPortRegistry,
    private readonly subscriptions: CheckoutSubscriptions,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly taxes: TaxCalculator,
  ) {}

  async create(
    user: UserActor,
    request: CheckoutRequest,
    context: RequestContext,
    client: CheckoutClient = { ip: null, country: null },
  ): Promise<CheckoutSessionView> {
    const { product, price } = await this.catalog.getPurchasable(request.productId, request.currency);
    if (product.kind === 'reset') {
      if (!request.accountId)
        throw new AppError(400, 'VALIDATION_ERROR', 'accountId is required to buy a reset', [
          { field: 'accountId', message: 'accountId is required to buy a reset' },
        ]);
      const eligibility = await this.accounts.resetEligibility({
        userId: user.userId,
        accountId: request.accountId,
        productId: product.id,
      });
      if (!eligibility.eligible) throw new AppError(409, 'RESET_NOT_ELIGIBLE', eligibility.reason);
    } else if (request.accountId) {
      throw new AppError(400, 'VALIDATION_ERROR', 'accountId applies to resets only', [
        { field: 'accountId', message: `a ${product.kind} purchase does not take an accountId` },
      ]);
    }

    const quote = await this.coupons.quote({
      product,
      price,
      couponCode: request.couponCode ?? null,
      userId: user.userId,
      now: this.clock.now(),
    });
    if (!quote.ok) {
      throw couponNotApplicable(quote.message, quote.reason);
    }
    // Tax through the tax port with the customer's details (none yet for a first-time buyer).
    const known = await this.customers.findByUserId(user.userId);
    const breakdown =
      known === null
        ? quote.breakdown
        : taxBreakdown(
            quote.breakdown,
            await this.taxes.decideOne(this.dataSource.manager, known.id, this.clock.now(), {
              currency: price.currency,
              amount: quote.breakdown.total.amount,
            }),
          );
    const total = breakdown.total.amount;
    if (total <= 0) {
      throw new AppError(
        422,
        'ZERO_TOTAL',
        'this purchase would cost nothing; free orders are not supported yet',
      );
    }

    const customer = await this.customers.getOrCreate({ userId: user.userId, email: user.email });
    const sessionId = newId('chk');
    const session = await this.dataSource.transaction(async (manager) => {
      if (request.accountId) await this.refuseConcurrentReset(manager, request.accountId);
      if (product.kind === 'subscription') {
        await this.subscriptions.assertCanBuy(manager, customer.id, product, price);
        await this.refuseConcurrentPlanCheckout(manager, customer.id, product.id);
      }
      await this.fraud.screenCheckout(manager, { customer, clientIp: client.ip });
      // The coupon is reserved for this session under its row lock, counting the other open sessions'
      // reservations: concurrent or successive sessions cannot each take a once-only discount.
      if (quote.coupon) {
        const now = this.clock.now();
        const short = request.accountId || product.kind === 'subscription';
        await this.coupons.reserve(manager, {
          product,
          price,
          couponCode: quote.coupon.code,
          checkoutSessionId: sessionId,
          customerId: customer.id,
          userId: user.userId,
          now,
          expiresAt: new Date(now.getTime() + (short ? RESET_CHECKOUT_TTL_MS : CHECKOUT_TTL_MS)),
        });
      }
      const row = manager.create(CheckoutSession, {
        id: sessionId,
        customerId: customer.id,
        userId: user.userId,
        productId: product.id,
        priceId: price.id,
        accountId: request.accountId ?? null,
        couponId: quote.coupon?.id ?? null,
        currency: price.currency,
        subtotalAmount: breakdown.subtotal.amount,
        discountAmount: breakdown.discount.amount,
        totalAmount: total,
        breakdown,
        stripeCheckoutSessionId: null,
        url: null,
        status: 'open',
        failureReason: null,
        clientIp: client.ip,
        clientCountry: client.country,
        profileCountry: user.country ?? null,
        createdAt: this.clock.now(),
        completedAt: null,
        traceparent: currentTraceparent(),
      });
      await manager.insert(CheckoutSession, row);
      await this.audit.record(manager, context, {
        action: 'checkout_session.created',
        resourceType: 'checkout_session',
        resourceId: row.id,
        after: { productId: product.id, currency: row.currency, totalAmount: total, couponId: row.couponId },
      });
      return row;
    });

    const ourIds = { checkoutSessionId: session.id, userId: user.userId, productId: product.id };
    const returnBase = this.config.publicUrl;
    try {
      const opened = await this.customers.withProcessorCustomer(
        customer,
        context,
        (stripeCustomerId, replaced) =>
          this.processor.createCheckoutSession(
            {
              mode: 'payment',
              customerId: stripeCustomerId,
              lineItems: [
                {
                  name: quote.coupon ? `${product.name} (coupon ${quote.coupon.code})` : product.name,
                  unitAmountMinor: total,
                  currency: price.currency,
                  quantity: 1,
                },
              ],
              successUrl:
                request.successUrl ?? `${returnBase}/checkout/success?session={CHECKOUT_SESSION_ID}`,
              cancelUrl: request.cancelUrl ?? `${returnBase}/checkout/cancel`,
              clientReferenceId: session.id,
              // A reset holds its account, a plan its subscription, only briefly: the page closes before
              // another can be bought.
              ...(request.accountId || product.kind === 'subscription'
                ? { expiresAt: new Date(this.clock.now().getTime() + RESET_CHECKOUT_TTL_MS) }
                : {}),
              // A plan renews off-session on the card it was bought with.
              ...(product.kind === 'subscription' ? { savePaymentMethod: true } : {}),
              metadata: ourIds,
              paymentIntentMetadata: ourIds,
            },
            replaced ? `checkout:${session.id}:${stripeCustomerId}` : `checkout:${session.id}`,
          ),
      );
      await this.dataSource
        .getRepository(CheckoutSession)
        .update({ id: session.id }, { stripeCheckoutSessionId: opened.id, url: opened.url });
      return toCheckoutSessionView({ ...session, stripeCheckoutSessionId: opened.id, url: opened.url });
    } catch (error) {
      await this.dataSource.transaction(async (manager) => {
        await manager.update(
          CheckoutSession,
          { id: session.id },
          { status: 'failed', failureReason: `processor: ${(error as Error).message}`.slice(0, 500) },
        );
        await this.coupons.release(manager, session.id, 'payment page could not be opened', this.clock.now());
      });
      throw toProcessorAppError(error);
    }
  }

  /**
   * One reset at a time per account: while a reset checkout for it is open (and unexpired) another
   * is refused, so two payments cannot race to reset the same account. Serialised per account.
   */
  private async refuseConcurrentReset(manager: EntityManager, accountId: string): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`reset:${accountId}`]);
    const openSince = new Date(this.clock.now().getTime() - RESET_CHECKOUT_TTL_MS);
    const open: unknown[] = await manager.query(
      `SELECT 1 FROM billing.checkout_sessions
        WHERE account_id = $1 AND status = 'open' AND created_at > $2 LIMIT 1`,
      [accountId, openSince],
    );
    if (open.length > 0) {
      throw new AppError(
        409,
        'RESET_IN_PROGRESS',
        `a reset of account ${accountId} is already being paid for`,
      );
    }
  }

  /**
   * One checkout of a plan at a time per customer: while one is open (and unexpired) another is
   * refused, so two paid pages cannot start two subscriptions. The caller holds the subscribe lock.
   */
  private async refuseConcurrentPlanCheckout(
    manager: EntityManager,
    customerId: string,
    productId: string,
  ): Promise<void> {
    const openSince = new Date(this.clock.now().getTime() - RESET_CHECKOUT_TTL_MS);
    const open: Array<{ id: string }> = await manager.query(
      `SELECT id FROM billing.checkout_sessions
        WHERE customer_id = $1 AND product_id = $2 AND status = 'open' AND created_at > $3 LIMIT 1`,
      [customerId, productId, openSince],
    );
    if (open.length > 0) {
      throw new AppError(
        409,
        'CHECKOUT_IN_PROGRESS',
        `plan ${productId} is already being paid for in checkout session ${open[0].id}`,
      );
    }
  }

  /** The session's payment was recorded (by payments, in its transaction, under the session's lock). */
  async markCompleted(manager: EntityManager, sessionId: string, at: Date): Promise<void> {
    await manager.update(CheckoutSession, { id: sessionId }, { status: 'completed', completedAt: at });
  }

  /** The session's payment failed (payments holds the session's lock). */
  async markFailed(manager: EntityManager, sessionId: string, reason: string): Promise<void> {
    await manager.update(
      CheckoutSession,
      { id: sessionId },
      { status: 'failed', failureReason: reason.slice(0, 500) },
    );
  }

  /**
   * The processor expired the session: an open one ends expired; any other stays as it is. Its coupon
   * reservation is released, unless its payment consumed it: the session can no longer be paid.
   */
  async expire(sessionId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.update(CheckoutSession, { id: sessionId, status: 'open' }, { status: 'expired' });
      await this.coupons.release(manager, sessionId, 'checkout session expired', this.clock.now());
    });
  }

  /**
   * The trader abandons an unpaid session: Stripe closes its page (so it can no longer be paid), and
   * the session ends expired with its coupon reservation released. Stripe decides a race with a
   * payment: a session it already completed is a 409. Repeating the cancel returns the same view.
   */
  async cancel(userId: string, id: string, context: RequestContext): Promise<CheckoutSessionView> {
    const repository = this.dataSource.getRepository(CheckoutSession);
    const session = await repository.findOne({ where: { id, userId } });
    if (!session) throw new NotFoundError('checkout session', id);
    if (session.status === 'completed') {
      throw new AppError(409, 'CHECKOUT_COMPLETED', `checkout session ${id} is paid; it cannot be cancelled`);
    }
    if (session.status !== 'expired' && session.stripeCheckoutSessionId) {
      const stripeId = session.stripeCheckoutSessionId;
      try {
        await this.processor.expireCheckoutSession(stripeId, `checkout-cancel:${id}`);
      } catch (error) {
        const atProcessor = await this.processor.getCheckoutSession(stripeId).catch(() => null);
        if (atProcessor?.status === 'complete') {
          throw new AppError(
            409,
            'CHECKOUT_COMPLETED',
            `checkout session ${id} is paid; it cannot be cancelled`,
          );
        }
        if (atProcessor?.status !== 'expired') throw toProcessorAppError(error);
      }
    }
    await this.dataSource.transaction(async (manager) => {
      await manager.update(CheckoutSession, { id, status: In(['open', 'failed']) }, { status: 'expired' });
      await this.coupons.release(manager, id, 'checkout session cancelled', this.clock.now());
      if (session.status !== 'expired') {
        await this.audit.record(manager, context, {
          action: 'checkout_session.cancelled',
          resourceType: 'checkout_session',
          resourceId: id,
          before: { status: session.status },
          after: { status: 'expired' },
        });
      }
    });
    return toCheckoutSessionView({ ...session, status: 'expired' });
  }

  async getForUser(userId: string, id: string): Promise<CheckoutSessionView> {
    const session = await this.dataSource.getRepository(CheckoutSession).findOne({ where: { id, userId } });
    if (!session) throw new NotFoundError('checkout session', id);
    return toCheckoutSessionView(session);
  }
}

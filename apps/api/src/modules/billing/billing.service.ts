import { Injectable } from '@nestjs/common';
import type {
  CheckoutSessionView,
  CouponValidation,
  InvoiceView,
  Page,
  RefundView,
  PriceBreakdown,
  CustomerFraudStatus,
} from '@astrix/contracts';
import type { RequestContext, UserActor } from '../../platform/auth/actor';
import { Clock } from '../../platform/clock';
import { CatalogService } from './catalog/catalog.service';
import { CheckoutRequest, CheckoutService } from './checkout/checkout.service';
import { CouponsService } from './coupons/coupons.service';
import { CustomersService } from './customers/customers.service';
import { InvoicesService } from './invoices/invoices.service';
import { RefundOptions, RefundsService } from './refunds/refunds.service';
import type { ProductDetails } from './catalog/catalog-views';
import { StripeWebhooksService } from './stripe-webhooks/stripe-webhooks.service';

/**
 * The billing context's public interface: other modules (accounts, payouts, admin) call this,
 * never billing's entities or repositories.
 */
@Injectable()
export class BillingService {
  constructor(
    private readonly checkout: CheckoutService,
    private readonly webhooks: StripeWebhooksService,
    private readonly refunds: RefundsService,
    private readonly invoices: InvoicesService,
    private readonly catalog: CatalogService,
    private readonly coupons: CouponsService,
    private readonly customers: CustomersService,
    private readonly clock: Clock,
  ) {}

  createCheckoutSession(
    user: UserActor,
    request: CheckoutRequest,
    context: RequestContext,
  ): Promise<CheckoutSessionView> {
    return this.checkout.create(user, request, context);
  }

  handleStripeWebhook(
    rawBody: Buffer,
    signature: string | undefined,
  ): Promise<{ received: true; duplicate: boolean }> {
    return this.webhooks.receive(rawBody, signature);
  }

  refundCharge(
    chargeId: string,
    amount: number | undefined,
    reason: string,
    context: RequestContext,
    options: RefundOptions = {},
  ): Promise<RefundView> {
    return this.refunds.refundCharge(chargeId, amount, reason, context, options);
  }

  /** The customer's fraud standing (clear when they never bought): payouts wait while not clear. */
  async customerFraudStatus(userId: string): Promise<CustomerFraudStatus> {
    const customer = await this.customers.findByUserId(userId);
    return customer?.fraudStatus ?? 'clear';
  }

  getProduct(productId: string): Promise<ProductDetails> {
    return this.catalog.getProduct(productId);
  }

  /** The reset product for an account size in a currency, priced (with a coupon when given). */
  async quoteReset(input: {
    userId: string;
    accountSize: number;
    currency: string;
    couponCode?: string;
  }): Promise<{ ok: true; productId: string; breakdown: PriceBreakdown } | { ok: false; reason: string }> {
    const resets = await this.catalog.listProducts({ currency: input.currency, kind: 'reset' });
    const match = resets.find((product) => product.attributes.accountSize === input.accountSize);
    if (!match)
      return { ok: false, reason: `no reset is sold for ${input.accountSize} accounts in ${input.currency}` };
    const { product, price } = await this.catalog.getPurchasable(match.id, input.currency);
    const quote = await this.coupons.quote({
      product,
      price,
      couponCode: input.couponCode ?? null,
      userId: input.userId,
      now: this.clock.now(),
    });
    return quote.ok
      ? { ok: true, productId: product.id, breakdown: quote.breakdown }
      : { ok: false, reason: quote.message };
  }

  listInvoices(
    userId: string,
    page: { limit: number; cursor?: string } = { limit: 25 },
  ): Promise<Page<InvoiceView>> {
    return this.invoices.listForUser(userId, page);
  }

  async applyCoupon(
    code: string,
    productId: string,
    currency: string,
    userId: string | null,
  ): Promise<CouponValidation> {
    const { product, price } = await this.catalog.getPurchasable(productId, currency);
    const quote = await this.coupons.quote({
      product,
      price,
      couponCode: code,
      userId,
      now: this.clock.now(),
    });
    return quote.ok
      ? { valid: true, couponCode: quote.coupon?.code ?? code.toUpperCase(), breakdown: quote.breakdown }
      : { valid: false, couponCode: quote.couponCode, reason: quote.reason, message: quote.message };
  }
}

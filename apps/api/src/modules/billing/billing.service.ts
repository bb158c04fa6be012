import { Injectable } from '@nestjs/common';
import type { CustomerFraudStatus, PriceBreakdown, RefundView } from '@astrix/contracts';
import type { RequestContext } from '../../platform/auth/actor';
import { Clock } from '../../platform/clock';
import type { ProductDetails } from './catalog/catalog-views';
import { CatalogService } from './catalog/catalog.service';
import { CouponRedemptionService } from './coupons/coupon-redemption.service';
import { CustomersService } from './customers/customers.service';
import { RefundsService } from './refunds/refunds.service';

export type ResetQuote =
  { ok: true; productId: string; breakdown: PriceBreakdown } | { ok: false; reason: string };

/**
 * What the accounts and payouts contexts ask of billing, and nothing more: the products their
 * accounts were bought as, the price of a reset, a customer's fraud standing and the refunds the
 * platform owes. Staff tools (admin) use billing's capability services through its index.ts.
 */
@Injectable()
export class BillingService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly coupons: CouponRedemptionService,
    private readonly customers: CustomersService,
    private readonly refunds: RefundsService,
    private readonly clock: Clock,
  ) {}

  /** 404 for an unknown product; archived products are still found (accounts outlive their sale). */
  getProduct(productId: string): Promise<ProductDetails> {
    return this.catalog.getProduct(productId);
  }

  /** The customer's fraud standing (clear when they never bought): payouts wait while not clear. */
  async customerFraudStatus(userId: string): Promise<CustomerFraudStatus> {
    const customer = await this.customers.findByUserId(userId);
    return customer?.fraudStatus ?? 'clear';
  }

  /** The reset product for an account size in a currency, priced (with a coupon when given). */
  async quoteReset(input: {
    userId: string;
    accountSize: number;
    currency: string;
    couponCode?: string;
  }): Promise<ResetQuote> {
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

  /**
   * Gives back everything left on a charge, whatever its product's refund rules say, because the
   * platform owes it: a reset that could not be applied, the evaluation fee with the first payout.
   * Throws ALREADY_REFUNDED when nothing is left, so a retried caller never refunds twice.
   */
  refundOwedInFull(chargeId: string, reason: string, context: RequestContext): Promise<RefundView> {
    return this.refunds.refundCharge(chargeId, undefined, reason, context, { evenIfNotRefundable: true });
  }
}

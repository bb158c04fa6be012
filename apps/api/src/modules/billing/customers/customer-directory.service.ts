import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, LessThan } from 'typeorm';
import type {
  ChargeView,
  CouponRedemptionView,
  CustomerProfileView,
  CustomerSearchMatch,
  CustomerSummaryView,
  FraudSignalView,
  Page,
  RefundView,
  SubscriptionView,
} from '@astrix/contracts';
import { AppError, NotFoundError } from '../../../platform/http/app-error';
import { toPage } from '../../../platform/http/pagination';
import { Coupon } from '../coupons/coupon.entity';
import { CouponRedemption } from '../coupons/coupon-redemption.entity';
import { FraudService } from '../fraud/fraud.service';
import { Charge } from '../payments/charge.entity';
import { toChargeView } from '../payments/payments.service';
import { Refund } from '../refunds/refund.entity';
import { toRefundView } from '../refunds/refunds.service';
import { Subscription } from '../subscriptions/subscription.entity';
import { toSubscriptionView } from '../subscriptions/subscription-views';
import { Customer } from './customer.entity';

export interface SectionPage {
  limit: number;
  cursor?: string;
}

/** Most recent ids per kind a customer's audit trail is looked up by: enough for "recent entries". */
const AUDIT_IDS_PER_KIND = 200;

const OUR_ID = /^(cust|chg|inv)_[0-9a-z]{26}$/;
const INVOICE_NUMBER = /^[A-Z]{2,10}-\d{4}-\d{1,10}$/i;
const LAST4 = /^\d{4}$/;

function toSummary(customer: Customer, matchedBy: CustomerSearchMatch): CustomerSummaryView {
  return {
    id: customer.id,
    userId: customer.userId,
    email: customer.email,
    stripeCustomerId: customer.stripeCustomerId,
    fraudStatus: customer.fraudStatus,
    createdAt: customer.createdAt.toISOString(),
    matchedBy,
  };
}

/**
 * Support's read side of billing: finding a customer from whatever the ticket mentions, and the
 * billing sections of the customer view. Every lookup is one indexed query.
 */
@Injectable()
export class CustomerDirectory {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly fraud: FraudService,
  ) {}

  /**
   * `query` is one of: our ids (cust_, chg_, inv_), Stripe ids (cus_, ch_/py_, pi_), an email or
   * its beginning, an invoice number, a user id, a card fingerprint, or "last4 fingerprint".
   */
  async search(query: string, limit: number): Promise<CustomerSummaryView[]> {
    const text = query.trim();
    const tokens = text.split(/\s+/);
    if (tokens.length === 2) {
      const last4 = tokens.find((token) => LAST4.test(token));
      const fingerprint = tokens.find((token) => token !== last4);
      if (!last4 || !fingerprint) {
        throw new AppError(
          400,
          'VALIDATION_ERROR',
          'a two-part query must be the card last4 and its fingerprint',
          [{ field: 'query', message: 'expected "<last4> <fingerprint>"' }],
        );
      }
      return this.byCharges('card', limit, 'card_last4 = $1 AND card_fingerprint = $2', [last4, fingerprint]);
    }
    if (tokens.length > 2)
      throw new AppError(
        400,
        'VALIDATION_ERROR',
        'query is one identifier, or a card last4 and fingerprint',
        [{ field: 'query', message: 'too many words' }],
      );
    if (LAST4.test(text)) {
      throw new AppError(
        400,
        'VALIDATION_ERROR',
        'a card last4 alone matches too many customers: add the fingerprint',
        [{ field: 'query', message: 'expected "<last4> <fingerprint>"' }],
      );
    }
    if (OUR_ID.test(text)) {
      if (text.startsWith('cust_')) return this.byCustomers('customer_id', limit, 'id = $1', [text]);
      if (text.startsWith('chg_')) return this.byCharges('charge_id', limit, 'id = $1', [text]);
      return this.byInvoices('invoice_id', limit, 'id = $1', [text]);
    }
    if (/^cus_\w+$/.test(text))
      return this.byCustomers('stripe_customer_id', limit, 'stripe_customer_id = $1', [text]);
    if (/^(ch|py)_\w+$/.test(text))
      return this.byCharges('stripe_charge_id', limit, 'stripe_charge_id = $1', [text]);
    if (/^pi_\w+$/.test(text))
      return this.byCharges('payment_intent_id', limit, 'stripe_payment_intent_id = $1', [text]);
    if (text.includes('@')) return this.byEmailPrefix(text, limit);
    if (INVOICE_NUMBER.test(text)) {
      const found = await this.byInvoices('invoice_number', limit, 'number = $1', [text.toUpperCase()]);
      if (found.length > 0) return found;
    }
    // Anything else: a user id (the identity service's), the beginning of an email, or a card fingerprint.
    const byUser = await this.byCustomers('user_id', limit, 'user_id = $1', [text]);
    if (byUser.length > 0) return byUser;
    const byEmail = await this.byEmailPrefix(text, limit);
    if (byEmail.length > 0) return byEmail;
    return this.byCharges('card', limit, 'card_fingerprint = $1', [text]);
  }

  async profile(customerId: string): Promise<CustomerProfileView> {
    const customer = await this.customer(customerId);
    const totals = (await this.dataSource.query(
      `SELECT currency, count(*)::int AS charges, sum(amount)::bigint AS paid, sum(amount_refunded)::bigint AS refunded
         FROM billing.charges WHERE user_id = $1 GROUP BY currency ORDER BY currency`,
      [customer.userId],
    )) as Array<{ currency: string; charges: number; paid: string; refunded: string }>;
    return {
      id: customer.id,
      userId: customer.userId,
      email: customer.email,
      stripeCustomerId: customer.stripeCustomerId,
      fraudStatus: customer.fraudStatus,
      createdAt: customer.createdAt.toISOString(),
      totals: totals.map((row) => ({
        currency: row.currency,
        charges: row.charges,
        paid: Number(row.paid),
        refunded: Number(row.refunded),
      })),
    };
  }

  /** The customer's user id; 404 for an unknown customer. */
  async userIdOf(customerId: string): Promise<string> {
    return (await this.customer(customerId)).userId;
  }

  async charges(userId: string, page: SectionPage): Promise<Page<ChargeView>> {
    const rows = await this.dataSource.getRepository(Charge).find({
      where: page.cursor ? { userId, id: LessThan(page.cursor) } : { userId },
      order: { id: 'DESC' },
      take: page.limit + 1,
    });
    const codes = await this.couponCodes(rows.map((row) => row.couponId));
    return toPage(rows, page.limit, (charge) =>
      toChargeView(charge, charge.couponId ? (codes.get(charge.couponId) ?? null) : null),
    );
  }

  async refunds(userId: string, page: SectionPage): Promise<Page<RefundView>> {
    const builder = this.dataSource
      .getRepository(Refund)
      .createQueryBuilder('refund')
      .innerJoin(Charge, 'charge', 'charge.id = refund.charge_id')
      .where('charge.user_id = :userId', { userId })
      .orderBy('refund.id', 'DESC')
      .take(page.limit + 1);
    if (page.cursor) builder.andWhere('refund.id < :cursor', { cursor: page.cursor });
    return toPage(await builder.getMany(), page.limit, toRefundView);
  }

  async couponRedemptions(customerId: string, page: SectionPage): Promise<Page<CouponRedemptionView>> {
    const rows = await this.dataSource.getRepository(CouponRedemption).find({
      where: page.cursor ? { customerId, id: LessThan(page.cursor) } : { customerId },
      order: { id: 'DESC' },
      take: page.limit + 1,
    });
    const codes = await this.couponCodes(rows.map((row) => row.couponId));
    return toPage(rows, page.limit, (row) => ({
      id: row.id,
      couponId: row.couponId,
      couponCode: codes.get(row.couponId) ?? null,
      chargeId: row.chargeId,
      subscriptionId: row.subscriptionId,
      discount: { amount: row.discountAmount, currency: row.currency },
      redeemedAt: row.redeemedAt.toISOString(),
    }));
  }

  async subscriptions(customerId: string, page: SectionPage): Promise<Page<SubscriptionView>> {
    const rows = await this.dataSource.getRepository(Subscription).find({
      where: page.cursor ? { customerId, id: LessThan(page.cursor) } : { customerId },
      order: { id: 'DESC' },
      take: page.limit + 1,
    });
    return toPage(rows, page.limit, toSubscriptionView);
  }

  fraudSignals(customerId: string, page: SectionPage): Promise<Page<FraudSignalView>> {
    return this.fraud.listSignals({ customerId, limit: page.limit, cursor: page.cursor });
  }

  /** Ids of the customer's billing records (most recent of each kind), to find their audit entries. */
  async auditResourceIds(customerId: string): Promise<string[]> {
    const customer = await this.customer(customerId);
    const rows = (await this.dataSource.query(
      `(SELECT id FROM billing.charges WHERE user_id = $1 ORDER BY id DESC LIMIT $3)
       UNION ALL (SELECT r.id FROM billing.refunds r JOIN billing.charges c ON c.id = r.charge_id
                  WHERE c.user_id = $1 ORDER BY r.id DESC LIMIT $3)
       UNION ALL (SELECT id FROM billing.invoices WHERE user_id = $1 ORDER BY id DESC LIMIT $3)
       UNION ALL (SELECT id FROM billing.checkout_sessions WHERE user_id = $1 ORDER BY id DESC LIMIT $3)
       UNION ALL (SELECT id FROM billing.fraud_signals WHERE customer_id = $2 ORDER BY id DESC LIMIT $3)
       UNION ALL (SELECT id FROM billing.subscriptions WHERE customer_id = $2 ORDER BY id DESC LIMIT $3)`,
      [customer.userId, customer.id, AUDIT_IDS_PER_KIND],
    )) as Array<{ id: string }>;
    return [customer.id, customer.userId, ...rows.map((row) => row.id)];
  }

  private async customer(customerId: string): Promise<Customer> {
    const customer = await this.dataSource.getRepository(Customer).findOne({ where: { id: customerId } });
    if (!customer) throw new NotFoundError('customer', customerId);
    return customer;
  }

  /** Prefix match on the lower-cased address (index with text_pattern_ops); LIKE wildcards are escaped. */
  private byEmailPrefix(text: string, limit: number): Promise<CustomerSummaryView[]> {
    const pattern = `${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.byCustomers('email', limit, 'lower(email) LIKE $1', [pattern]);
  }

  private byCustomers(
    matchedBy: CustomerSearchMatch,
    limit: number,
    condition: string,
    parameters: unknown[],
  ): Promise<CustomerSummaryView[]> {
    return this.matching(
      matchedBy,
      `SELECT id FROM billing.customers WHERE ${condition} ORDER BY id DESC`,
      parameters,
      limit,
    );
  }

  private byCharges(
    matchedBy: CustomerSearchMatch,
    limit: number,
    condition: string,
    parameters: unknown[],
  ): Promise<CustomerSummaryView[]> {
    // Newest charge first; a card used by many customers lists each once.
    return this.matching(
      matchedBy,
      `SELECT customer_id AS id FROM billing.charges WHERE ${condition}
        GROUP BY customer_id ORDER BY max(paid_at) DESC, customer_id DESC`,
      parameters,
      limit,
    );
  }

  private byInvoices(
    matchedBy: CustomerSearchMatch,
    limit: number,
    condition: string,
    parameters: unknown[],
  ): Promise<CustomerSummaryView[]> {
    return this.matching(
      matchedBy,
      `SELECT DISTINCT customer_id AS id FROM billing.invoices WHERE ${condition}`,
      parameters,
      limit,
    );
  }

  /** Runs a query selecting customer ids (at most `limit`), then reads those customers in its order. */
  private async matching(
    matchedBy: CustomerSearchMatch,
    selectIds: string,
    parameters: unknown[],
    limit: number,
  ): Promise<CustomerSummaryView[]> {
    const ids = (await this.dataSource.query(`${selectIds} LIMIT $${parameters.length + 1}`, [
      ...parameters,
      limit,
    ])) as Array<{ id: string }>;
    return this.summaries(
      ids.map((row) => row.id),
      matchedBy,
    );
  }

  private async summaries(ids: string[], matchedBy: CustomerSearchMatch): Promise<CustomerSummaryView[]> {
    if (ids.length === 0) return [];
    const customers = await this.dataSource.getRepository(Customer).find({ where: { id: In(ids) } });
    const byId = new Map(customers.map((customer) => [customer.id, customer]));
    return ids.flatMap((id) => {
      const customer = byId.get(id);
      return customer ? [toSummary(customer, matchedBy)] : [];
    });
  }

  private async couponCodes(couponIds: Array<string | null>): Promise<Map<string, string>> {
    const ids = [...new Set(couponIds.filter((id): id is string => id !== null))];
    if (ids.length === 0) return new Map();
    const coupons = await this.dataSource.getRepository(Coupon).find({ where: { id: In(ids) } });
    return new Map(coupons.map((coupon) => [coupon.id, coupon.code]));
  }
}

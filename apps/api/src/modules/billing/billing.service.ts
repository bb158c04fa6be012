import { Injectable } from '@nestjs/common';
import type {
  ChargeView,
  CouponRedemptionView,
  CreditNoteView,
  CustomerProfileView,
  CustomerSummaryView,
  FraudSignalView,
  RevenueRow,
  RevenueTotals,
  SubscriptionMetricsRow,
  SubscriptionView,
  BillingRunView,
  DunningView,
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
import { InvoicesService } from './invoicing/invoices.service';
import { RefundOptions, RefundsService } from './refunds/refunds.service';
import type { ProductDetails } from './catalog/catalog-views';
import type { ProductInput } from './catalog/catalog.service';
import type { CouponInput } from './coupons/coupons.service';
import type { CouponView } from './coupons/coupon-views';
import { StripeWebhooksService } from './stripe-webhooks/stripe-webhooks.service';
import { CustomerDirectory, SectionPage } from './customers/customer-directory.service';
import { InvoiceStaffActions } from './invoicing/invoice-staff-actions.service';
import { ReportRange, RevenueReports } from './reports/revenue-report.service';
import { BillingRuns } from './subscriptions/billing-runs.service';
import { DunningDesk } from './collection/dunning-desk.service';
import type { CollectionOutcome } from './collection/invoice-collection.service';
import { SubscriptionsService } from './subscriptions/subscriptions.service';

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
    private readonly customerDirectory: CustomerDirectory,
    private readonly revenueReports: RevenueReports,
    private readonly invoiceStaffActions: InvoiceStaffActions,
    private readonly subscriptions: SubscriptionsService,
    private readonly billingRuns: BillingRuns,
    private readonly dunningDesk: DunningDesk,
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

  // --- Staff read side and money actions (admin module) ---

  searchCustomers(query: string, limit: number): Promise<CustomerSummaryView[]> {
    return this.customerDirectory.search(query, limit);
  }

  /** 404 for an unknown customer. */
  customerProfile(customerId: string): Promise<CustomerProfileView> {
    return this.customerDirectory.profile(customerId);
  }

  customerCharges(userId: string, page: SectionPage): Promise<Page<ChargeView>> {
    return this.customerDirectory.charges(userId, page);
  }

  customerRefunds(userId: string, page: SectionPage): Promise<Page<RefundView>> {
    return this.customerDirectory.refunds(userId, page);
  }

  customerCouponRedemptions(customerId: string, page: SectionPage): Promise<Page<CouponRedemptionView>> {
    return this.customerDirectory.couponRedemptions(customerId, page);
  }

  customerSubscriptions(customerId: string, page: SectionPage): Promise<Page<SubscriptionView>> {
    return this.customerDirectory.subscriptions(customerId, page);
  }

  customerFraudSignals(customerId: string, page: SectionPage): Promise<Page<FraudSignalView>> {
    return this.customerDirectory.fraudSignals(customerId, page);
  }

  /** The ids audit entries about this customer's billing records are filed under. */
  customerAuditResourceIds(customerId: string): Promise<string[]> {
    return this.customerDirectory.auditResourceIds(customerId);
  }

  revenueReport(range: ReportRange): Promise<{ rows: RevenueRow[]; totals: RevenueTotals[] }> {
    return this.revenueReports.revenue(range);
  }

  subscriptionMetrics(range: ReportRange): Promise<SubscriptionMetricsRow[]> {
    return this.revenueReports.subscriptionMetrics(range);
  }

  getInvoice(invoiceId: string): Promise<InvoiceView> {
    return this.invoices.getInvoice(invoiceId);
  }

  creditNotes(invoiceId: string): Promise<CreditNoteView[]> {
    return this.invoiceStaffActions.creditNotes(invoiceId);
  }

  issueCreditNote(
    invoiceId: string,
    amount: number,
    reason: string,
    context: RequestContext,
  ): Promise<CreditNoteView> {
    return this.invoiceStaffActions.issueCreditNote(invoiceId, amount, reason, context);
  }

  resendReceipt(
    invoiceId: string,
    email: string | undefined,
    context: RequestContext,
  ): Promise<{ invoiceId: string; email: string | null; eventId: string }> {
    return this.invoiceStaffActions.resendReceipt(invoiceId, email, context);
  }

  // --- Catalog and coupons for the operator CLI (the HTTP admin routes live in billing) ---

  listProductPage(page: { limit: number; cursor?: string }): Promise<Page<ProductDetails>> {
    return this.catalog.listProductPage(page);
  }

  createProduct(input: ProductInput, context: RequestContext): Promise<ProductDetails> {
    return this.catalog.createProduct(input, context);
  }

  archiveProduct(productId: string, context: RequestContext): Promise<ProductDetails> {
    return this.catalog.archiveProduct(productId, context);
  }

  createCoupon(input: CouponInput, context: RequestContext): Promise<CouponView> {
    return this.coupons.createCoupon(input, context);
  }

  /** Archived coupons can no longer be redeemed ("disable" in the CLI). */
  archiveCoupon(couponId: string, context: RequestContext): Promise<CouponView> {
    return this.coupons.archiveCoupon(couponId, context);
  }

  // --- Subscriptions, dunning and billing runs for staff tools (admin API, CLI, customer 360) ---

  subscriptionsOfCustomer(
    customerId: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<SubscriptionView>> {
    return this.subscriptions.listForCustomer(customerId, page);
  }

  dunningOfCustomer(
    customerId: string,
    page: { limit: number; cursor?: string },
    status?: DunningView['status'],
  ): Promise<Page<DunningView>> {
    return this.dunningDesk.list({ customerId, status }, page);
  }

  dunningOfInvoice(invoiceId: string): Promise<DunningView> {
    return this.dunningDesk.get(invoiceId);
  }

  retryInvoicePayment(
    invoiceId: string,
    context: RequestContext,
  ): Promise<{ outcome: CollectionOutcome; invoice: InvoiceView }> {
    return this.dunningDesk.retryNow(invoiceId, context);
  }

  voidInvoice(invoiceId: string, reason: string, context: RequestContext): Promise<InvoiceView> {
    return this.dunningDesk.voidInvoice(invoiceId, reason, context);
  }

  markInvoiceUncollectible(invoiceId: string, reason: string, context: RequestContext): Promise<InvoiceView> {
    return this.dunningDesk.markUncollectible(invoiceId, reason, context);
  }

  /** A replacement for a voided subscription invoice: same lines, a new number, collected at once. */
  regenerateInvoice(invoiceId: string, context: RequestContext): Promise<InvoiceView> {
    return this.dunningDesk.regenerate(invoiceId, context);
  }

  startBillingRun(context: RequestContext, asOf?: Date): Promise<BillingRunView> {
    return this.billingRuns.start('manual', context, asOf);
  }

  /** Runs a billing run to the end in this process (the CLI), instead of handing it to the workers. */
  async runBillingNow(context: RequestContext, asOf?: Date): Promise<BillingRunView> {
    const run = await this.billingRuns.create('manual', context, asOf ?? this.clock.now());
    return this.billingRuns.execute(run.id);
  }

  billingRun(runId: string): Promise<BillingRunView> {
    return this.billingRuns.get(runId);
  }

  listBillingRuns(page: { limit: number; cursor?: string }): Promise<Page<BillingRunView>> {
    return this.billingRuns.list(page);
  }
}

import type { Page } from '../api/common';
import type { ApiKeyView, CreateApiKeyRequest, CreateApiKeyResponse } from '../api/platform';
import type {
  CheckoutSessionView,
  CouponValidation,
  CreateCheckoutSessionRequest,
  CreateRefundRequest,
  HostedInvoiceLinkView,
  InvoiceView,
  ProductView,
  RefundView,
} from '../api/billing';
import type {
  CreateCreditNoteRequest,
  CreditNoteView,
  RegenerateInvoiceRequest,
  StaffReasonRequest,
} from '../api/admin';
import type { AccountView, ResetOffer, TradingOutcomeRequest } from '../api/accounts';
import type {
  BalanceSnapshotRequest,
  KycStatusUpdate,
  PayoutEligibilityView,
  PayoutRequest,
  PayoutView,
} from '../api/payouts';
import type {
  BalanceTransactionView,
  CancelSubscriptionRequest,
  ChangePlanRequest,
  CreateSetupIntentRequest,
  CreateSubscriptionRequest,
  GoodwillCreditRequest,
  PaymentMethodView,
  PortalSessionView,
  SetupIntentView,
  SubscriptionView,
  UpcomingInvoiceView,
} from '../api/subscriptions';
import type {
  CreateWebhookEndpointRequest,
  CreateWebhookEndpointResponse,
  DeliveredEvent,
  ReplayWebhookEventsResponse,
  RotateWebhookSecretRequest,
  StreamTokenView,
  UpdateWebhookEndpointRequest,
  WebhookDeliveryView,
  WebhookEndpointView,
} from '../api/events';
import type {
  BalanceSnapshotRecorded,
  BillingDetailsRequest,
  BillingDetailsView,
  CallerView,
  CreatePortalSessionRequest,
  StripeDestinationRequest,
  TaxDetailsRequest,
  TaxDetailsView,
  ValidateCouponRequest,
} from '../api/requests';
import type { AccountKind, AccountStatus, EventType, PayoutStatus, ProductKind } from '../events';
import type {
  ReportUsageBatchResponse,
  ReportUsageResponse,
  UsageEventInput,
  UsageSummary,
} from '../api/usage';
import type { EntitlementCheckRequest, EntitlementCheckResponse, EntitlementList } from '../api/entitlements';
import {
  type AstrixClientOptions,
  type HttpMethod,
  type MoneyRequestOptions,
  newIdempotencyKey,
  type PageParams,
  type Query,
  queryString,
  type RequestOptions,
  segment,
  send,
} from './http';

export {
  AstrixApiError,
  type AstrixClientOptions,
  type MoneyRequestOptions,
  type PageParams,
  type RequestOptions,
} from './http';

/**
 * The URL of the caller's live event stream for a browser's `EventSource`, with a stream token from
 * `createStreamToken()` (staff: `userId` streams that customer's events). The browser resumes with
 * `Last-Event-ID` by itself; give a reconnect a fresh token when the first one has expired.
 */
export function eventStreamUrl(baseUrl: string, token: string, options: { userId?: string } = {}): string {
  return `${baseUrl.replace(/\/+$/, '')}/v1/billing/stream${queryString({ token, userId: options.userId })}`;
}

/** The outcome of `retryInvoicePayment`. */
export type CollectionOutcome = 'paid' | 'requires_action' | 'failed' | 'pending' | 'skipped';

/**
 * A typed client of the REST API: one method per route the web app and sibling services call, request
 * and response types from this package (checked against the API's OpenAPI document by a test).
 */
export class AstrixClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: AstrixClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Any route: JSON in, JSON out (undefined for an empty answer). */
  async request<T>(
    method: HttpMethod,
    path: string,
    body?: unknown,
    query?: Query,
    requestOptions: RequestOptions = {},
  ): Promise<T> {
    const url = `${this.baseUrl}${path}${queryString(query)}`;
    const response = await send(this.options, this.fetchImpl, method, url, body, requestOptions);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A money-moving POST: always sent with an `Idempotency-Key` (the caller's, or a fresh one). */
  private moneyRequest<T>(path: string, body: unknown, options: MoneyRequestOptions = {}): Promise<T> {
    return this.request('POST', path, body, undefined, {
      idempotencyKey: options.idempotencyKey ?? newIdempotencyKey(),
    });
  }

  /** Who this client's credential belongs to. */
  me(): Promise<CallerView> {
    return this.request('GET', '/v1/me');
  }

  // Billing: catalog, checkout, invoices (web app)
  /** Products on sale in a currency, each with its price in that currency. */
  listProducts(query: { currency: string; kind?: ProductKind }): Promise<{ data: ProductView[] }> {
    return this.request('GET', '/v1/billing/products', undefined, query);
  }
  validateCoupon(body: ValidateCouponRequest): Promise<CouponValidation> {
    return this.request('POST', '/v1/billing/coupons/validate', body);
  }
  createCheckoutSession(
    body: CreateCheckoutSessionRequest,
    options?: RequestOptions,
  ): Promise<CheckoutSessionView> {
    return this.request('POST', '/v1/billing/checkout-sessions', body, undefined, options);
  }
  getCheckoutSession(id: string): Promise<CheckoutSessionView> {
    return this.request('GET', `/v1/billing/checkout-sessions/${segment(id)}`);
  }
  /** Closes an unpaid session's payment page; a paid one is a 409 `CHECKOUT_COMPLETED`. */
  cancelCheckoutSession(id: string): Promise<CheckoutSessionView> {
    return this.request('POST', `/v1/billing/checkout-sessions/${segment(id)}/cancel`);
  }
  listInvoices(page: PageParams = {}): Promise<Page<InvoiceView>> {
    return this.request('GET', '/v1/billing/invoices', undefined, { ...page });
  }
  getInvoice(id: string): Promise<InvoiceView> {
    return this.request('GET', `/v1/billing/invoices/${segment(id)}`);
  }
  /**
   * A signed, expiring link to the invoice's hosted page (HTML with the PDF) that opens without a
   * bearer token, e.g. from an email. Anyone holding it reads that invoice until `expiresAt`.
   */
  getHostedInvoiceLink(id: string): Promise<HostedInvoiceLinkView> {
    return this.request('GET', `/v1/billing/invoices/${segment(id)}/hosted-link`);
  }
  /** The invoice as a PDF document. */
  async getInvoicePdf(id: string): Promise<ArrayBuffer> {
    const url = `${this.baseUrl}/v1/billing/invoices/${segment(id)}/pdf`;
    const response = await send(this.options, this.fetchImpl, 'GET', url, undefined, {
      accept: 'application/pdf',
    });
    return response.arrayBuffer();
  }

  /** The caller's credit notes (on their invoices), newest first, with their lines and tax. */
  listCreditNotes(page: PageParams = {}): Promise<Page<CreditNoteView>> {
    return this.request('GET', '/v1/billing/credit-notes', undefined, { ...page });
  }
  /** A credit note issued against one of the caller's invoices, as a PDF document. */
  async getCreditNotePdf(invoiceId: string, creditNoteId: string): Promise<ArrayBuffer> {
    const url = `${this.baseUrl}/v1/billing/invoices/${segment(invoiceId)}/credit-notes/${segment(creditNoteId)}/pdf`;
    const response = await send(this.options, this.fetchImpl, 'GET', url, undefined, {
      accept: 'application/pdf',
    });
    return response.arrayBuffer();
  }
  /** The name and address the caller's invoices and credit notes are addressed to. */
  getBillingDetails(): Promise<BillingDetailsView> {
    return this.request('GET', '/v1/billing/billing-details');
  }
  setBillingDetails(body: BillingDetailsRequest): Promise<BillingDetailsView> {
    return this.request('PUT', '/v1/billing/billing-details', body);
  }

  /** How the caller is taxed (country, region, postal code, VAT id) and the currency billed in. */
  getTaxDetails(): Promise<TaxDetailsView> {
    return this.request('GET', '/v1/billing/tax-details');
  }
  setTaxDetails(body: TaxDetailsRequest): Promise<TaxDetailsView> {
    return this.request('PUT', '/v1/billing/tax-details', body);
  }

  // Subscriptions (web app)
  listSubscriptions(page: PageParams = {}): Promise<Page<SubscriptionView>> {
    return this.request('GET', '/v1/billing/subscriptions', undefined, { ...page });
  }
  /** Starts a trial, or invoices and charges the first period to the default card. */
  createSubscription(body: CreateSubscriptionRequest, options?: RequestOptions): Promise<SubscriptionView> {
    return this.request('POST', '/v1/billing/subscriptions', body, undefined, options);
  }
  getSubscription(id: string): Promise<SubscriptionView> {
    return this.request('GET', `/v1/billing/subscriptions/${segment(id)}`);
  }
  cancelSubscription(
    id: string,
    body: CancelSubscriptionRequest = {},
    options?: RequestOptions,
  ): Promise<SubscriptionView> {
    return this.request('POST', `/v1/billing/subscriptions/${segment(id)}/cancel`, body, undefined, options);
  }
  reactivateSubscription(id: string, options?: RequestOptions): Promise<SubscriptionView> {
    return this.request(
      'POST',
      `/v1/billing/subscriptions/${segment(id)}/reactivate`,
      undefined,
      undefined,
      options,
    );
  }
  pauseSubscription(id: string, options?: RequestOptions): Promise<SubscriptionView> {
    return this.request(
      'POST',
      `/v1/billing/subscriptions/${segment(id)}/pause`,
      undefined,
      undefined,
      options,
    );
  }
  resumeSubscription(id: string, options?: RequestOptions): Promise<SubscriptionView> {
    return this.request(
      'POST',
      `/v1/billing/subscriptions/${segment(id)}/resume`,
      undefined,
      undefined,
      options,
    );
  }
  changePlan(id: string, body: ChangePlanRequest, options?: RequestOptions): Promise<SubscriptionView> {
    return this.request(
      'POST',
      `/v1/billing/subscriptions/${segment(id)}/change-plan`,
      body,
      undefined,
      options,
    );
  }
  /** The next invoice, computed and not stored; `quantity` previews a seat change made now. */
  upcomingInvoice(id: string, query: { quantity?: number } = {}): Promise<UpcomingInvoiceView> {
    return this.request('GET', `/v1/billing/subscriptions/${segment(id)}/upcoming-invoice`, undefined, query);
  }

  // Payment methods (web app)
  listPaymentMethods(): Promise<PaymentMethodView[]> {
    return this.request('GET', '/v1/billing/payment-methods');
  }
  createSetupIntent(body: CreateSetupIntentRequest = {}, options?: RequestOptions): Promise<SetupIntentView> {
    return this.request('POST', '/v1/billing/payment-methods/setup-intent', body, undefined, options);
  }
  setDefaultPaymentMethod(id: string): Promise<PaymentMethodView> {
    return this.request('POST', `/v1/billing/payment-methods/${segment(id)}/default`);
  }
  removePaymentMethod(id: string): Promise<void> {
    return this.request('DELETE', `/v1/billing/payment-methods/${segment(id)}`);
  }
  createPortalSession(body: CreatePortalSessionRequest = {}): Promise<PortalSessionView> {
    return this.request('POST', '/v1/billing/portal-sessions', body);
  }

  // Events (web app: the caller's own; staff: anyone's)
  /** The caller's own events, newest first. Live: `GET /v1/billing/stream` with an EventSource. */
  listEvents(query: PageParams & { type?: EventType } = {}): Promise<Page<DeliveredEvent>> {
    return this.request('GET', '/v1/billing/events', undefined, { ...query });
  }
  /**
   * A short-lived token opening the live stream without Authorization (EventSource cannot send it):
   * `new EventSource(eventStreamUrl(baseUrl, token))`. Valid on the stream only; mint one per connect.
   */
  createStreamToken(): Promise<StreamTokenView> {
    return this.request('POST', '/v1/billing/stream-tokens');
  }

  // Trading accounts
  listAccounts(
    query: PageParams & { status?: AccountStatus; kind?: AccountKind } = {},
  ): Promise<Page<AccountView>> {
    return this.request('GET', '/v1/accounts', undefined, { ...query });
  }
  getAccount(id: string): Promise<AccountView> {
    return this.request('GET', `/v1/accounts/${segment(id)}`);
  }
  getResetOffer(id: string, query: { currency?: string; couponCode?: string } = {}): Promise<ResetOffer> {
    return this.request('GET', `/v1/accounts/${segment(id)}/reset-offer`, undefined, query);
  }
  /** Trading platform (scope accounts:write): an outcome, idempotent by `eventId`. */
  recordTradingOutcome(accountId: string, body: TradingOutcomeRequest): Promise<AccountView> {
    return this.request('POST', `/v1/accounts/${segment(accountId)}/events`, body);
  }

  // Payouts
  payoutEligibility(accountId: string): Promise<PayoutEligibilityView> {
    return this.request('GET', '/v1/payouts/eligibility', undefined, { accountId });
  }
  /** Requests a payout; the amount is reserved at once. Money-moving: sent with an Idempotency-Key. */
  requestPayout(body: PayoutRequest, options?: MoneyRequestOptions): Promise<PayoutView> {
    return this.moneyRequest('/v1/payouts', body, options);
  }
  listPayouts(query: PageParams & { status?: PayoutStatus } = {}): Promise<Page<PayoutView>> {
    return this.request('GET', '/v1/payouts', undefined, { ...query });
  }
  getPayout(id: string): Promise<PayoutView> {
    return this.request('GET', `/v1/payouts/${segment(id)}`);
  }
  /** Cancels a payout while it is `requested`; the reservation is released. */
  cancelPayout(id: string, options?: RequestOptions): Promise<PayoutView> {
    return this.request('POST', `/v1/payouts/${segment(id)}/cancel`, undefined, undefined, options);
  }
  registerStripeDestination(body: StripeDestinationRequest): Promise<StripeDestinationRequest> {
    return this.request('PUT', '/v1/payouts/destinations/stripe', body);
  }
  /** Trading platform (scope accounts:write): a funded account's balance. */
  recordBalanceSnapshot(body: BalanceSnapshotRequest): Promise<BalanceSnapshotRecorded> {
    return this.request('POST', '/v1/payouts/balance-snapshots', body);
  }
  /** Identity service (scope kyc:write): a user's KYC verdict; the newest wins. */
  recordKycStatus(body: KycStatusUpdate): Promise<KycStatusUpdate> {
    return this.request('POST', '/v1/payouts/kyc-statuses', body);
  }

  // Usage and entitlements (sibling services: scopes usage:write, usage:read, entitlements:read)
  /**
   * Reports usage: one event (answers the stored event, `duplicate` when its idempotency key was seen)
   * or a batch of up to 1,000 (answers a result per event; bad events never block good ones).
   */
  reportUsage(event: UsageEventInput): Promise<ReportUsageResponse>;
  /** `minimal`: the answer holds the counts and only the events not accepted (each with its index). */
  reportUsage(events: UsageEventInput[], options?: { minimal?: boolean }): Promise<ReportUsageBatchResponse>;
  reportUsage(
    input: UsageEventInput | UsageEventInput[],
    options: { minimal?: boolean } = {},
  ): Promise<ReportUsageResponse | ReportUsageBatchResponse> {
    if (!Array.isArray(input)) return this.request('POST', '/v1/usage/events', input);
    return this.request('POST', '/v1/usage/events', { events: input }, undefined, {
      prefer: options.minimal ? 'return=minimal' : undefined,
    });
  }
  /** May the customer use the feature (quantity units of it)? Reasons are machine-readable. */
  checkEntitlement(body: EntitlementCheckRequest): Promise<EntitlementCheckResponse> {
    return this.request('POST', '/v1/entitlements/check', body);
  }
  /** Up to 100 checks in one request (several features, customers or both), answered in order. */
  checkEntitlements(checks: EntitlementCheckRequest[]): Promise<{ data: EntitlementCheckResponse[] }> {
    return this.request('POST', '/v1/entitlements/check/batch', { checks });
  }
  listEntitlements(customerId: string): Promise<EntitlementList> {
    return this.request('GET', '/v1/entitlements', undefined, { customerId });
  }
  usageSummary(query: {
    customerId: string;
    featureId: string;
    from?: string;
    to?: string;
  }): Promise<UsageSummary> {
    return this.request('GET', '/v1/usage/summary', undefined, query);
  }

  // Staff: money-moving (each sent with an Idempotency-Key, see MoneyRequestOptions)
  refundCharge(
    chargeId: string,
    body: CreateRefundRequest,
    options?: MoneyRequestOptions,
  ): Promise<RefundView> {
    return this.moneyRequest(`/v1/admin/charges/${segment(chargeId)}/refunds`, body, options);
  }
  issueCreditNote(
    invoiceId: string,
    body: CreateCreditNoteRequest,
    options?: MoneyRequestOptions,
  ): Promise<CreditNoteView> {
    return this.moneyRequest(`/v1/admin/invoices/${segment(invoiceId)}/credit-notes`, body, options);
  }
  creditCustomerBalance(
    customerId: string,
    body: GoodwillCreditRequest,
    options?: MoneyRequestOptions,
  ): Promise<BalanceTransactionView> {
    return this.moneyRequest(`/v1/admin/customers/${segment(customerId)}/balance-credits`, body, options);
  }
  retryInvoicePayment(
    invoiceId: string,
    options?: MoneyRequestOptions,
  ): Promise<{ outcome: CollectionOutcome; invoice: InvoiceView }> {
    return this.moneyRequest(`/v1/admin/invoices/${segment(invoiceId)}/retry-payment`, undefined, options);
  }
  approvePayout(payoutId: string, options?: MoneyRequestOptions): Promise<PayoutView> {
    return this.moneyRequest(`/v1/admin/payouts/${segment(payoutId)}/approve`, undefined, options);
  }
  retryPayout(payoutId: string, options?: MoneyRequestOptions): Promise<PayoutView> {
    return this.moneyRequest(`/v1/admin/payouts/${segment(payoutId)}/retry`, undefined, options);
  }
  /** Records a bank or crypto payout paid by hand, with the desk's reference. */
  markPayoutPaid(
    payoutId: string,
    body: { reference: string },
    options?: MoneyRequestOptions,
  ): Promise<PayoutView> {
    return this.moneyRequest(`/v1/admin/payouts/${segment(payoutId)}/mark-paid`, body, options);
  }
  /**
   * Regenerates a voided subscription invoice (finance): a replacement with the same lines, linked by
   * `regeneratedFromInvoiceId` and collected at once; once per voided invoice (409 ALREADY_REGENERATED).
   */
  regenerateInvoice(
    invoiceId: string,
    body: RegenerateInvoiceRequest,
    options?: MoneyRequestOptions,
  ): Promise<InvoiceView> {
    return this.moneyRequest(`/v1/admin/invoices/${segment(invoiceId)}/regenerate`, body, options);
  }
  /** Pauses any customer's subscription (support, finance): nothing is invoiced until resumed. */
  pauseSubscriptionAsStaff(
    subscriptionId: string,
    body: StaffReasonRequest,
    options?: MoneyRequestOptions,
  ): Promise<SubscriptionView> {
    return this.moneyRequest(`/v1/admin/subscriptions/${segment(subscriptionId)}/pause`, body, options);
  }
  /** Resumes any customer's paused subscription: a new period starts, invoiced and charged at once. */
  resumeSubscriptionAsStaff(
    subscriptionId: string,
    body: StaffReasonRequest,
    options?: MoneyRequestOptions,
  ): Promise<SubscriptionView> {
    return this.moneyRequest(`/v1/admin/subscriptions/${segment(subscriptionId)}/resume`, body, options);
  }

  // Staff: events, API keys, webhook endpoints
  listCustomerEvents(
    query: PageParams & { customerId?: string; type?: EventType; from?: string; to?: string } = {},
  ): Promise<Page<DeliveredEvent>> {
    return this.request('GET', '/v1/admin/events', undefined, { ...query });
  }
  createApiKey(body: CreateApiKeyRequest, options?: RequestOptions): Promise<CreateApiKeyResponse> {
    return this.request('POST', '/v1/admin/api-keys', body, undefined, options);
  }
  listApiKeys(page: PageParams = {}): Promise<Page<ApiKeyView>> {
    return this.request('GET', '/v1/admin/api-keys', undefined, { ...page });
  }
  revokeApiKey(id: string): Promise<ApiKeyView> {
    return this.request('POST', `/v1/admin/api-keys/${segment(id)}/revoke`);
  }
  createWebhookEndpoint(
    body: CreateWebhookEndpointRequest,
    options?: RequestOptions,
  ): Promise<CreateWebhookEndpointResponse> {
    return this.request('POST', '/v1/admin/webhook-endpoints', body, undefined, options);
  }
  listWebhookEndpoints(page: PageParams = {}): Promise<Page<WebhookEndpointView>> {
    return this.request('GET', '/v1/admin/webhook-endpoints', undefined, { ...page });
  }
  getWebhookEndpoint(id: string): Promise<WebhookEndpointView> {
    return this.request('GET', `/v1/admin/webhook-endpoints/${segment(id)}`);
  }
  updateWebhookEndpoint(id: string, body: UpdateWebhookEndpointRequest): Promise<WebhookEndpointView> {
    return this.request('PATCH', `/v1/admin/webhook-endpoints/${segment(id)}`, body);
  }
  disableWebhookEndpoint(id: string): Promise<WebhookEndpointView> {
    return this.request('POST', `/v1/admin/webhook-endpoints/${segment(id)}/disable`);
  }
  enableWebhookEndpoint(id: string): Promise<WebhookEndpointView> {
    return this.request('POST', `/v1/admin/webhook-endpoints/${segment(id)}/enable`);
  }
  rotateWebhookSecret(
    id: string,
    body: RotateWebhookSecretRequest = {},
  ): Promise<CreateWebhookEndpointResponse> {
    return this.request('POST', `/v1/admin/webhook-endpoints/${segment(id)}/rotate-secret`, body);
  }
  deleteWebhookEndpoint(id: string): Promise<void> {
    return this.request('DELETE', `/v1/admin/webhook-endpoints/${segment(id)}`);
  }
  listWebhookDeliveries(
    id: string,
    query: PageParams & { status?: WebhookDeliveryView['status'] } = {},
  ): Promise<Page<WebhookDeliveryView>> {
    return this.request('GET', `/v1/admin/webhook-endpoints/${segment(id)}/deliveries`, undefined, {
      ...query,
    });
  }
  retryWebhookDelivery(id: string, deliveryId: string): Promise<WebhookDeliveryView> {
    return this.request(
      'POST',
      `/v1/admin/webhook-endpoints/${segment(id)}/deliveries/${segment(deliveryId)}/retry`,
    );
  }
  replayWebhookEvents(id: string, range: { from: string; to: string }): Promise<ReplayWebhookEventsResponse> {
    return this.request('POST', `/v1/admin/webhook-endpoints/${segment(id)}/replay`, undefined, range);
  }
}

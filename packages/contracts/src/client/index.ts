import type { ErrorEnvelope, Page } from '../api/common';
import type { ApiKeyView, CreateApiKeyRequest, CreateApiKeyResponse } from '../api/platform';
import type {
  CheckoutSessionView,
  CouponValidation,
  CreateCheckoutSessionRequest,
  CreateRefundRequest,
  InvoiceView,
  ProductView,
  RefundView,
} from '../api/billing';
import type { CreateCreditNoteRequest, CreditNoteView } from '../api/admin';
import type { PayoutRequest, PayoutView } from '../api/payouts';
import type { BalanceTransactionView, GoodwillCreditRequest } from '../api/subscriptions';
import type {
  CreateWebhookEndpointRequest,
  CreateWebhookEndpointResponse,
  DeliveredEvent,
  ReplayWebhookEventsResponse,
  RotateWebhookSecretRequest,
  UpdateWebhookEndpointRequest,
  WebhookDeliveryView,
  WebhookEndpointView,
} from '../api/events';
import type { EventType } from '../events';
import type {
  ReportUsageBatchResponse,
  ReportUsageResponse,
  UsageEventInput,
  UsageSummary,
} from '../api/usage';
import type { EntitlementCheckRequest, EntitlementCheckResponse, EntitlementList } from '../api/entitlements';

export interface AstrixClientOptions {
  /** e.g. `https://billing.astrix.internal` (no trailing slash needed). */
  baseUrl: string;
  /** A user JWT or a service API key (`ak_…`); sent as `Authorization: Bearer …`. */
  token: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

export interface PageParams {
  limit?: number;
  cursor?: string;
}

export interface RequestOptions {
  /** Sent as `Idempotency-Key` on POSTs that create or move money. */
  idempotencyKey?: string;
}

/**
 * Options of a money-moving call (refunds, payouts, credit notes, balance credits, retry-payment),
 * which the API refuses without an `Idempotency-Key` (400 `IDEMPOTENCY_KEY_REQUIRED`). Without
 * `idempotencyKey` the client generates a fresh one: pass your own, stored before the call, to be
 * able to retry the same operation after a timeout without moving the money twice.
 */
export interface MoneyRequestOptions {
  idempotencyKey?: string;
}

/** The outcome of `retryInvoicePayment`. */
export type CollectionOutcome = 'paid' | 'requires_action' | 'failed' | 'pending' | 'skipped';

function newIdempotencyKey(): string {
  const webCrypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (!webCrypto?.randomUUID) {
    throw new Error('no crypto.randomUUID here: pass idempotencyKey to money-moving calls');
  }
  return webCrypto.randomUUID();
}

/** A non-2xx answer, with the API's error envelope when it sent one. */
export class AstrixApiError extends Error {
  constructor(
    readonly status: number,
    readonly envelope: ErrorEnvelope | null,
  ) {
    super(envelope ? `${envelope.error.code}: ${envelope.error.message}` : `HTTP ${status}`);
    this.name = 'AstrixApiError';
  }

  get code(): string | null {
    return this.envelope?.error.code ?? null;
  }
}

type Query = Record<string, string | number | undefined>;

function queryString(query: Query = {}): string {
  const entries = Object.entries(query).filter(
    (entry): entry is [string, string | number] => entry[1] !== undefined,
  );
  if (entries.length === 0) return '';
  return `?${new URLSearchParams(entries.map(([name, value]): [string, string] => [name, String(value)])).toString()}`;
}

/** A typed client of the REST API: one method per route, request and response types from this package. */
export class AstrixClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: AstrixClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** A money-moving POST: always sent with an `Idempotency-Key` (the caller's, or a fresh one). */
  private moneyRequest<T>(path: string, body: unknown, options: MoneyRequestOptions = {}): Promise<T> {
    return this.request('POST', path, body, undefined, {
      idempotencyKey: options.idempotencyKey ?? newIdempotencyKey(),
    });
  }

  async request<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    query?: Query,
    requestOptions: RequestOptions = {},
  ): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (requestOptions.idempotencyKey) headers['idempotency-key'] = requestOptions.idempotencyKey;
    const response = await this.fetchImpl(`${this.baseUrl}${path}${queryString(query)}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) {
      let envelope: ErrorEnvelope | null = null;
      try {
        envelope = JSON.parse(text) as ErrorEnvelope;
      } catch {
        envelope = null;
      }
      throw new AstrixApiError(response.status, envelope);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  // Billing (user)
  listProducts(query: { currency: string; kind?: string }): Promise<ProductView[]> {
    return this.request('GET', '/v1/billing/products', undefined, query);
  }
  validateCoupon(body: { code: string; productId: string; currency: string }): Promise<CouponValidation> {
    return this.request('POST', '/v1/billing/coupons/validate', body);
  }
  createCheckoutSession(
    body: CreateCheckoutSessionRequest,
    options?: RequestOptions,
  ): Promise<CheckoutSessionView> {
    return this.request('POST', '/v1/billing/checkout-sessions', body, undefined, options);
  }
  getCheckoutSession(id: string): Promise<CheckoutSessionView> {
    return this.request('GET', `/v1/billing/checkout-sessions/${encodeURIComponent(id)}`);
  }
  listInvoices(page: PageParams = {}): Promise<Page<InvoiceView>> {
    return this.request('GET', '/v1/billing/invoices', undefined, { ...page });
  }
  getInvoice(id: string): Promise<InvoiceView> {
    return this.request('GET', `/v1/billing/invoices/${encodeURIComponent(id)}`);
  }
  /** The caller's own events, newest first. */
  listEvents(query: PageParams & { type?: EventType } = {}): Promise<Page<DeliveredEvent>> {
    return this.request('GET', '/v1/billing/events', undefined, { ...query });
  }

  // Usage and entitlements (sibling services: scopes usage:write, usage:read, entitlements:read)
  /**
   * Reports usage: one event (answers the stored event, `duplicate` when its idempotency key was seen)
   * or a batch of up to 1,000 (answers a result per event; bad events never block good ones).
   */
  reportUsage(event: UsageEventInput): Promise<ReportUsageResponse>;
  reportUsage(events: UsageEventInput[]): Promise<ReportUsageBatchResponse>;
  reportUsage(
    input: UsageEventInput | UsageEventInput[],
  ): Promise<ReportUsageResponse | ReportUsageBatchResponse> {
    return this.request('POST', '/v1/usage/events', Array.isArray(input) ? { events: input } : input);
  }
  /** May the customer use the feature (quantity units of it)? Reasons are machine-readable. */
  checkEntitlement(body: EntitlementCheckRequest): Promise<EntitlementCheckResponse> {
    return this.request('POST', '/v1/entitlements/check', body);
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

  // Payouts (trader)
  /** Requests a payout; the amount is reserved at once. Money-moving: sent with an Idempotency-Key. */
  requestPayout(body: PayoutRequest, options?: MoneyRequestOptions): Promise<PayoutView> {
    return this.moneyRequest('/v1/payouts', body, options);
  }

  // Staff: money-moving (each sent with an Idempotency-Key, see MoneyRequestOptions)
  refundCharge(
    chargeId: string,
    body: CreateRefundRequest,
    options?: MoneyRequestOptions,
  ): Promise<RefundView> {
    return this.moneyRequest(`/v1/admin/charges/${encodeURIComponent(chargeId)}/refunds`, body, options);
  }
  issueCreditNote(
    invoiceId: string,
    body: CreateCreditNoteRequest,
    options?: MoneyRequestOptions,
  ): Promise<CreditNoteView> {
    return this.moneyRequest(
      `/v1/admin/invoices/${encodeURIComponent(invoiceId)}/credit-notes`,
      body,
      options,
    );
  }
  creditCustomerBalance(
    customerId: string,
    body: GoodwillCreditRequest,
    options?: MoneyRequestOptions,
  ): Promise<BalanceTransactionView> {
    return this.moneyRequest(
      `/v1/admin/customers/${encodeURIComponent(customerId)}/balance-credits`,
      body,
      options,
    );
  }
  retryInvoicePayment(
    invoiceId: string,
    options?: MoneyRequestOptions,
  ): Promise<{ outcome: CollectionOutcome; invoice: InvoiceView }> {
    return this.moneyRequest(
      `/v1/admin/invoices/${encodeURIComponent(invoiceId)}/retry-payment`,
      undefined,
      options,
    );
  }
  approvePayout(payoutId: string, options?: MoneyRequestOptions): Promise<PayoutView> {
    return this.moneyRequest(`/v1/admin/payouts/${encodeURIComponent(payoutId)}/approve`, undefined, options);
  }
  retryPayout(payoutId: string, options?: MoneyRequestOptions): Promise<PayoutView> {
    return this.moneyRequest(`/v1/admin/payouts/${encodeURIComponent(payoutId)}/retry`, undefined, options);
  }
  /** Records a bank or crypto payout paid by hand, with the desk's reference. */
  markPayoutPaid(
    payoutId: string,
    body: { reference: string },
    options?: MoneyRequestOptions,
  ): Promise<PayoutView> {
    return this.moneyRequest(`/v1/admin/payouts/${encodeURIComponent(payoutId)}/mark-paid`, body, options);
  }

  // Staff
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
    return this.request('POST', `/v1/admin/api-keys/${encodeURIComponent(id)}/revoke`);
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
    return this.request('GET', `/v1/admin/webhook-endpoints/${encodeURIComponent(id)}`);
  }
  updateWebhookEndpoint(id: string, body: UpdateWebhookEndpointRequest): Promise<WebhookEndpointView> {
    return this.request('PATCH', `/v1/admin/webhook-endpoints/${encodeURIComponent(id)}`, body);
  }
  disableWebhookEndpoint(id: string): Promise<WebhookEndpointView> {
    return this.request('POST', `/v1/admin/webhook-endpoints/${encodeURIComponent(id)}/disable`);
  }
  enableWebhookEndpoint(id: string): Promise<WebhookEndpointView> {
    return this.request('POST', `/v1/admin/webhook-endpoints/${encodeURIComponent(id)}/enable`);
  }
  rotateWebhookSecret(
    id: string,
    body: RotateWebhookSecretRequest = {},
  ): Promise<CreateWebhookEndpointResponse> {
    return this.request('POST', `/v1/admin/webhook-endpoints/${encodeURIComponent(id)}/rotate-secret`, body);
  }
  deleteWebhookEndpoint(id: string): Promise<void> {
    return this.request('DELETE', `/v1/admin/webhook-endpoints/${encodeURIComponent(id)}`);
  }
  listWebhookDeliveries(
    id: string,
    query: PageParams & { status?: WebhookDeliveryView['status'] } = {},
  ): Promise<Page<WebhookDeliveryView>> {
    return this.request(
      'GET',
      `/v1/admin/webhook-endpoints/${encodeURIComponent(id)}/deliveries`,
      undefined,
      {
        ...query,
      },
    );
  }
  retryWebhookDelivery(id: string, deliveryId: string): Promise<WebhookDeliveryView> {
    return this.request(
      'POST',
      `/v1/admin/webhook-endpoints/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/retry`,
    );
  }
  replayWebhookEvents(id: string, range: { from: string; to: string }): Promise<ReplayWebhookEventsResponse> {
    return this.request(
      'POST',
      `/v1/admin/webhook-endpoints/${encodeURIComponent(id)}/replay`,
      undefined,
      range,
    );
  }
}

import Stripe from 'stripe';
import {
  InvalidRequestError,
  RateLimitedError,
  ResourceNotFoundError,
  WebhookSignatureError,
} from '../port/errors';
import type {
  BalanceTransactionPage,
  ListBalanceTransactionsQuery,
  ListPayoutsQuery,
  ProcessorBalance,
  ProcessorPayout,
} from '../port/balance-types';
import type { ProcessorEvent } from '../port/events';
import type { PaymentProcessor } from '../port/payment-processor';
import type {
  BillingPortalSessionInput,
  ConfirmPaymentIntentInput,
  ConfirmSetupIntentInput,
  CreateCheckoutSessionInput,
  CreateCustomerInput,
  CreatePaymentIntentInput,
  CreateRefundInput,
  CreateSetupIntentInput,
  CreateTransferInput,
  ListChargesQuery,
  ListPaymentIntentsQuery,
  ListQuery,
  ListRefundsQuery,
  PaymentIntentCancellationReason,
  ProcessorBillingPortalSession,
  ProcessorCharge,
  ProcessorCheckoutSession,
  ProcessorConnectedAccount,
  ProcessorCustomer,
  ProcessorPage,
  ProcessorPaymentIntent,
  ProcessorPaymentMethod,
  ProcessorRefund,
  ProcessorSetupIntent,
  ProcessorTransfer,
  UpdateCustomerInput,
} from '../port/types';
import { withRetries } from '../retry';
import { computeWebhookSignature, parseSignatureHeader } from '../webhook-signature';
import { StripeBalanceReads } from './stripe-balance-reads';
import { taxCalculationParams, toTaxCalculation } from './stripe-tax';
import type { ProcessorTaxCalculation, TaxCalculationInput } from '../port/tax-types';
import { toProcessorError } from './stripe-error-mapper';
import { toProcessorEvent } from './stripe-event-mapper';
import {
  toBillingPortalSession,
  toCharge,
  toCheckoutSession,
  toConnectedAccount,
  toCustomer,
  toPage,
  toPaymentIntent,
  toPaymentMethod,
  toRefund,
  stripeAmountOf,
  toSetupIntent,
  toStripeCurrency,
  toTransfer,
} from './stripe-mappers';
import { toUnixSeconds } from '../stripe-fields';

export interface StripePaymentProcessorOptions {
  secretKey: string;
  /** Override to point the SDK elsewhere, e.g. the fake server: host 127.0.0.1, protocol http. */
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  /** Per HTTP attempt. Default 30 s. */
  timeoutMs?: number;
  /** SDK network retries for timeouts, connection errors, 409 and 5xx. Default 2. */
  maxRetries?: number;
  /** Our own retries of 429 responses, which the SDK does not retry. Default 2. */
  rateLimitRetries?: number;
  /** First delay between 429 retries, doubled each time (with jitter) up to 5 s. Default 500 ms. */
  rateLimitBackoffMs?: number;
  /** "Now" for webhook timestamp checks. */
  clock?: () => Date;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RETRIES = 2;
const DEFAULT_RATE_LIMIT_RETRIES = 2;
const DEFAULT_RATE_LIMIT_BACKOFF_MS = 500;
const MAX_RATE_LIMIT_BACKOFF_MS = 5_000;
const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;
/** Stripe rejects longer idempotency keys. */
const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** Our payment intents and setup intents take cards only, which keeps redirects out of confirmation. */
const CARD_ONLY: Stripe.PaymentIntentCreateParams.AllowedPaymentMethodType[] = ['card'];

/**
 * PaymentProcessor over the official Stripe SDK.
 *
 * Retries: the SDK (`maxNetworkRetries`) retries timeouts, connection failures, 409 and 5xx with
 * exponential backoff, resending the caller's idempotency key, so a retried create is one object.
 * On top, we retry 429 (rate limited) ourselves: Stripe did not process those requests, and every
 * mutating call carries an idempotency key, so the retry is safe. Nothing else is retried.
 */
export class StripePaymentProcessor implements PaymentProcessor {
  private readonly stripe: Stripe;
  private readonly rateLimitRetries: number;
  private readonly rateLimitBackoffMs: number;
  private readonly clock: () => Date;
  private readonly balanceReads: StripeBalanceReads;

  constructor(options: StripePaymentProcessorOptions) {
    this.stripe = new Stripe(options.secretKey, {
      host: options.host,
      port: options.port,
      protocol: options.protocol,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxNetworkRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
      telemetry: false,
      appInfo: { name: '@astrix/stripe-client' },
    });
    this.rateLimitRetries = options.rateLimitRetries ?? DEFAULT_RATE_LIMIT_RETRIES;
    this.rateLimitBackoffMs = options.rateLimitBackoffMs ?? DEFAULT_RATE_LIMIT_BACKOFF_MS;
    this.clock = options.clock ?? (() => new Date());
    this.balanceReads = new StripeBalanceReads(this.stripe, (request) => this.call(request));
  }

  async createCustomer(input: CreateCustomerInput, idempotencyKey: string): Promise<ProcessorCustomer> {
    const customer = await this.call(() =>
      this.stripe.customers.create(
        {
          email: input.email,
          name: input.name,
          description: input.description,
          phone: input.phone,
          metadata: input.metadata,
        },
        mutation(idempotencyKey),
      ),
    );
    return toCustomer(customer);
  }

  async getCustomer(customerId: string): Promise<ProcessorCustomer> {
    const customer = await this.call(() => this.stripe.customers.retrieve(customerId));
    if (customer.deleted === true) {
      throw new ResourceNotFoundError(`Customer ${customerId} was deleted`, {
        processorCode: 'resource_missing',
      });
    }
    return toCustomer(customer);
  }

  async updateCustomer(
    customerId: string,
    input: UpdateCustomerInput,
    idempotencyKey: string,
  ): Promise<ProcessorCustomer> {
    const defaultPaymentMethod = input.defaultPaymentMethodId;
    const customer = await this.call(() =>
      this.stripe.customers.update(
        customerId,
        {
          email: input.email,
          name: input.name,
          description: input.description,
          phone: input.phone,
          metadata: input.metadata,
          // Stripe clears a field that is sent as an empty string.
          invoice_settings:
            defaultPaymentMethod === undefined
              ? undefined
              : { default_payment_method: defaultPaymentMethod ?? '' },
        },
        mutation(idempotencyKey),
      ),
    );
    return toCustomer(customer);
  }

  async listCustomers(query: ListQuery & { email?: string } = {}): Promise<ProcessorPage<ProcessorCustomer>> {
    const list = await this.call(() =>
      this.stripe.customers.list({ ...pagination(query), email: query.email }),
    );
    return toPage(list, toCustomer);
  }

  async createCheckoutSession(
    input: CreateCheckoutSessionInput,
    idempotencyKey: string,
  ): Promise<ProcessorCheckoutSession> {
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: input.mode,
      customer: input.customerId,
      customer_email: input.customerEmail,
      line_items: input.lineItems?.map((item) => ({
        quantity: item.quantity,
        price_data: {
          currency: toStripeCurrency(item.currency),
          unit_amount: stripeAmountOf(item.unitAmountMinor, item.currency),
          product_data: { name: item.name, description: item.description },
          recurring: item.recurring && {
            interval: item.recurring.interval,
            interval_count: item.recurring.intervalCount,
          },
        },
      })),
      currency: input.currency === undefined ? undefined : toStripeCurrency(input.currency),
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
      client_reference_id: input.clientReferenceId,
      metadata: input.metadata,
      expires_at: input.expiresAt === undefined ? undefined : toUnixSeconds(input.expiresAt),
      payment_intent_data:
        input.mode === 'payment' &&
        (input.paymentIntentMetadata !== undefined || input.savePaymentMethod === true)
          ? {
              metadata: input.paymentIntentMetadata,
              setup_future_usage: input.savePaymentMethod === true ? 'off_session' : undefined,
            }
          : undefined,
    };
    const session = await this.call(() =>
      this.stripe.checkout.sessions.create(params, mutation(idempotencyKey)),
    );
    return toCheckoutSession(session);
  }

  async getCheckoutSession(sessionId: string): Promise<ProcessorCheckoutSession> {
    return toCheckoutSession(await this.call(() => this.stripe.checkout.sessions.retrieve(sessionId)));
  }

  async listCheckoutSessions(
    query: ListQuery & { customerId?: string; paymentIntentId?: string } = {},
  ): Promise<ProcessorPage<ProcessorCheckoutSession>> {
    const list = await this.call(() =>
      this.stripe.checkout.sessions.list({
        ...pagination(query),
        customer: query.customerId,
        payment_intent: query.paymentIntentId,
      }),
    );
    return toPage(list, toCheckoutSession);
  }

  async expireCheckoutSession(sessionId: string, idempotencyKey: string): Promise<ProcessorCheckoutSession> {
    const session = await this.call(() =>
      this.stripe.checkout.sessions.expire(sessionId, {}, mutation(idempotencyKey)),
    );
    return toCheckoutSession(session);
  }

  async createPaymentIntent(
    input: CreatePaymentIntentInput,
    idempotencyKey: string,
  ): Promise<ProcessorPaymentIntent> {
    const intent = await this.call(() =>
      this.stripe.paymentIntents.create(
        {
          amount: stripeAmountOf(input.amountMinor, input.currency),
          currency: toStripeCurrency(input.currency),
          customer: input.customerId,
          payment_method: input.paymentMethodId,
          allowed_payment_method_types: CARD_ONLY,
          confirm: input.confirm,
          off_session: input.offSession,
          return_url: input.returnUrl,
          description: input.description,
          receipt_email: input.receiptEmail,
          metadata: input.metadata,
        },
        mutation(idempotencyKey),
      ),
    );
    return toPaymentIntent(intent);
  }

  async confirmPaymentIntent(
    paymentIntentId: string,
    input: ConfirmPaymentIntentInput,
    idempotencyKey: string,
  ): Promise<ProcessorPaymentIntent> {
    const intent = await this.call(() =>
      this.stripe.paymentIntents.confirm(
        paymentIntentId,
        { payment_method: input.paymentMethodId, off_session: input.offSession, return_url: input.returnUrl },
        mutation(idempotencyKey),
      ),
    );
    return toPaymentIntent(intent);
  }

  async getPaymentIntent(paymentIntentId: string): Promise<ProcessorPaymentIntent> {
    return toPaymentIntent(await this.call(() => this.stripe.paymentIntents.retrieve(paymentIntentId)));
  }

  async listPaymentIntents(
    query: ListPaymentIntentsQuery = {},
  ): Promise<ProcessorPage<ProcessorPaymentIntent>> {
    const list = await this.call(() =>
      this.stripe.paymentIntents.list({
        ...pagination(query),
        customer: query.customerId,
        created: createdSince(query.createdSince),
      }),
    );
    return toPage(list, toPaymentIntent);
  }

  async cancelPaymentIntent(
    paymentIntentId: string,
    reason: PaymentIntentCancellationReason | undefined,
    idempotencyKey: string,
  ): Promise<ProcessorPaymentIntent> {
    const intent = await this.call(() =>
      this.stripe.paymentIntents.cancel(
        paymentIntentId,
        { cancellation_reason: reason },
        mutation(idempotencyKey),
      ),
    );
    return toPaymentIntent(intent);
  }

  async getCharge(chargeId: string): Promise<ProcessorCharge> {
    return toCharge(await this.call(() => this.stripe.charges.retrieve(chargeId)));
  }

  async listCharges(query: ListChargesQuery): Promise<ProcessorPage<ProcessorCharge>> {
    const list = await this.call(() =>
      this.stripe.charges.list({
        ...pagination(query),
        payment_intent: query.paymentIntentId,
        customer: query.customerId,
        created: createdSince(query.createdSince),
      }),
    );
    return toPage(list, toCharge);
  }

  async createRefund(input: CreateRefundInput, idempotencyKey: string): Promise<ProcessorRefund> {
    const amount =
      input.amountMinor === undefined
        ? undefined
        : stripeAmountOf(input.amountMinor, input.currency ?? (await this.currencyOfPayment(input)));
    const refund = await this.call(() =>
      this.stripe.refunds.create(
        {
          charge: 'chargeId' in input ? input.chargeId : undefined,
          payment_intent: 'paymentIntentId' in input ? input.paymentIntentId : undefined,
          amount,
          reason: input.reason,
          metadata: input.metadata,
        },
        mutation(idempotencyKey),
      ),
    );
    return toRefund(refund);
  }

  /** A refund names its payment, not its currency; Stripe's amount units depend on the currency. */
  private async currencyOfPayment(input: CreateRefundInput): Promise<string> {
    return 'chargeId' in input
      ? (await this.getCharge(input.chargeId)).currency
      : (await this.getPaymentIntent(input.paymentIntentId)).currency;
  }

  async getRefund(refundId: string): Promise<ProcessorRefund> {
    return toRefund(await this.call(() => this.stripe.refunds.retrieve(refundId)));
  }

  async listRefunds(query: ListRefundsQuery = {}): Promise<ProcessorPage<ProcessorRefund>> {
    const list = await this.call(() =>
      this.stripe.refunds.list({
        ...pagination(query),
        charge: query.chargeId,
        payment_intent: query.paymentIntentId,
        created: createdSince(query.createdSince),
      }),
    );
    return toPage(list, toRefund);
  }

  async createSetupIntent(
    input: CreateSetupIntentInput,
    idempotencyKey: string,
  ): Promise<ProcessorSetupIntent> {
    const intent = await this.call(() =>
      this.stripe.setupIntents.create(
        {
          customer: input.customerId,
          payment_method: input.paymentMethodId,
          allowed_payment_method_types: CARD_ONLY,
          confirm: input.confirm,
          usage: input.usage,
          return_url: input.returnUrl,
          metadata: input.metadata,
        },
        mutation(idempotencyKey),
      ),
    );
    return toSetupIntent(intent);
  }

  async confirmSetupIntent(
    setupIntentId: string,
    input: ConfirmSetupIntentInput,
    idempotencyKey: string,
  ): Promise<ProcessorSetupIntent> {
    const intent = await this.call(() =>
      this.stripe.setupIntents.confirm(
        setupIntentId,
        { payment_method: input.paymentMethodId, return_url: input.returnUrl },
        mutation(idempotencyKey),
      ),
    );
    return toSetupIntent(intent);
  }

  async getSetupIntent(setupIntentId: string): Promise<ProcessorSetupIntent> {
    return toSetupIntent(await this.call(() => this.stripe.setupIntents.retrieve(setupIntentId)));
  }

  async attachPaymentMethod(
    paymentMethodId: string,
    customerId: string,
    idempotencyKey: string,
  ): Promise<ProcessorPaymentMethod> {
    const paymentMethod = await this.call(() =>
      this.stripe.paymentMethods.attach(paymentMethodId, { customer: customerId }, mutation(idempotencyKey)),
    );
    return toPaymentMethod(paymentMethod);
  }

  async detachPaymentMethod(
    paymentMethodId: string,
    idempotencyKey: string,
  ): Promise<ProcessorPaymentMethod> {
    const paymentMethod = await this.call(() =>
      this.stripe.paymentMethods.detach(paymentMethodId, {}, mutation(idempotencyKey)),
    );
    return toPaymentMethod(paymentMethod);
  }

  async getPaymentMethod(paymentMethodId: string): Promise<ProcessorPaymentMethod> {
    return toPaymentMethod(await this.call(() => this.stripe.paymentMethods.retrieve(paymentMethodId)));
  }

  async listPaymentMethods(
    customerId: string,
    query: ListQuery = {},
  ): Promise<ProcessorPage<ProcessorPaymentMethod>> {
    const list = await this.call(() =>
      this.stripe.paymentMethods.list({ ...pagination(query), customer: customerId, type: 'card' }),
    );
    return toPage(list, toPaymentMethod);
  }

  setDefaultPaymentMethod(
    customerId: string,
    paymentMethodId: string,
    idempotencyKey: string,
  ): Promise<ProcessorCustomer> {
    return this.updateCustomer(customerId, { defaultPaymentMethodId: paymentMethodId }, idempotencyKey);
  }

  async createBillingPortalSession(
    input: BillingPortalSessionInput,
    idempotencyKey: string,
  ): Promise<ProcessorBillingPortalSession> {
    const session = await this.call(() =>
      this.stripe.billingPortal.sessions.create(
        { customer: input.customerId, return_url: input.returnUrl },
        mutation(idempotencyKey),
      ),
    );
    return toBillingPortalSession(session);
  }

  async createTransfer(input: CreateTransferInput, idempotencyKey: string): Promise<ProcessorTransfer> {
    const transfer = await this.call(() =>
      this.stripe.transfers.create(
        {
          destination: input.destinationAccountId,
          amount: stripeAmountOf(input.amountMinor, input.currency),
          currency: toStripeCurrency(input.currency),
          description: input.description,
          transfer_group: input.transferGroup,
          metadata: input.metadata,
        },
        mutation(idempotencyKey),
      ),
    );
    return toTransfer(transfer);
  }

  async getTransfer(transferId: string): Promise<ProcessorTransfer> {
    return toTransfer(await this.call(() => this.stripe.transfers.retrieve(transferId)));
  }

  async getConnectedAccount(accountId: string): Promise<ProcessorConnectedAccount> {
    return toConnectedAccount(await this.call(() => this.stripe.accounts.retrieve(accountId)));
  }

  listBalanceTransactions(query: ListBalanceTransactionsQuery): Promise<BalanceTransactionPage> {
    return this.balanceReads.listBalanceTransactions(query);
  }

  listPayouts(query?: ListPayoutsQuery): Promise<ProcessorPage<ProcessorPayout>> {
    return this.balanceReads.listPayouts(query);
  }

  retrievePayout(payoutId: string): Promise<ProcessorPayout> {
    return this.balanceReads.retrievePayout(payoutId);
  }

  retrieveBalance(): Promise<ProcessorBalance[]> {
    return this.balanceReads.retrieveBalance();
  }

  async calculateTax(input: TaxCalculationInput): Promise<ProcessorTaxCalculation> {
    const params = taxCalculationParams(input);
    // A calculation stores nothing and moves no money: retried safely without an idempotency key.
    return toTaxCalculation(await this.call(() => this.stripe.tax.calculations.create(params)));
  }

  verifyWebhook(
    rawBody: Buffer | string,
    signatureHeader: string | undefined,
    secret: string,
    toleranceSeconds = DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  ): ProcessorEvent {
    if (signatureHeader === undefined || signatureHeader.trim() === '') {
      throw new WebhookSignatureError('missing_header', 'The Stripe-Signature header is missing');
    }
    const parsedHeader = parseSignatureHeader(signatureHeader);
    if (parsedHeader === null) {
      throw new WebhookSignatureError(
        'malformed_header',
        'The Stripe-Signature header has no t= and v1= parts',
      );
    }
    const receivedAtMs = this.clock().getTime();
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(
        rawBody,
        signatureHeader,
        secret,
        toleranceSeconds,
        undefined,
        receivedAtMs,
      );
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) {
        // The signature matched but the body is not an event (constructEvent parses after verifying).
        throw new WebhookSignatureError('malformed_payload', 'The webhook body is not a JSON event', error);
      }
      // The SDK rejects a good signature whose timestamp is too old: tell the two apart for the logs.
      const expected = computeWebhookSignature(parsedHeader.timestampSeconds, rawBody.toString(), secret);
      throw parsedHeader.signatures.includes(expected)
        ? new WebhookSignatureError(
            'stale_timestamp',
            'The webhook timestamp is outside the tolerance',
            error,
          )
        : new WebhookSignatureError('bad_signature', 'The webhook signature does not match its body', error);
    }
    return toProcessorEvent(event);
  }

  parseVerifiedEvent(payload: unknown): ProcessorEvent {
    const candidate = payload as Partial<Stripe.Event> | null;
    if (
      typeof candidate !== 'object' ||
      candidate === null ||
      typeof candidate.id !== 'string' ||
      typeof candidate.type !== 'string' ||
      typeof candidate.data?.object !== 'object'
    ) {
      throw new WebhookSignatureError('malformed_payload', 'The stored body is not a Stripe event');
    }
    return toProcessorEvent(candidate as Stripe.Event);
  }

  /** Runs one SDK call: errors become ours, and a 429 is retried with backoff. */
  private call<T>(request: () => Promise<T>): Promise<T> {
    return withRetries(
      async () => {
        try {
          return await request();
        } catch (error) {
          throw toProcessorError(error);
        }
      },
      {
        retries: this.rateLimitRetries,
        baseDelayMs: this.rateLimitBackoffMs,
        maxDelayMs: MAX_RATE_LIMIT_BACKOFF_MS,
        isRetryable: (error) => error instanceof RateLimitedError,
      },
    );
  }
}

/** Request options for a call that changes something: the caller's idempotency key is mandatory. */
function mutation(idempotencyKey: string): Stripe.RequestOptions {
  if (typeof idempotencyKey !== 'string' || idempotencyKey.trim() === '') {
    throw new InvalidRequestError('An idempotency key is required for every call that changes something', {
      param: 'idempotencyKey',
    });
  }
  if (idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new InvalidRequestError(
      `Idempotency keys are limited to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
      {
        param: 'idempotencyKey',
      },
    );
  }
  return { idempotencyKey };
}

function pagination(query: ListQuery): { limit?: number; starting_after?: string } {
  return { limit: query.limit, starting_after: query.cursor };
}

/** Stripe's `created[gte]` in Unix seconds, rounded down so nothing created in that second is missed. */
function createdSince(since: Date | undefined): { gte: number } | undefined {
  return since === undefined ? undefined : { gte: Math.floor(since.getTime() / 1000) };
}

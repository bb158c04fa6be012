import type {
  BalanceTransactionPage,
  ListBalanceTransactionsQuery,
  ListPayoutsQuery,
  ProcessorBalance,
  ProcessorPayout,
} from './balance-types';
import type { ProcessorEvent } from './events';
import type { ProcessorTaxCalculation, TaxCalculationInput } from './tax-types';
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
} from './types';

/**
 * The billing and payouts modules' only way to move money through a card processor.
 *
 * Every call that changes something takes the caller's `idempotencyKey`: derive it from our own
 * record (e.g. `refund:<our refund id>`) so a retry after a crash or timeout, by us or by the
 * adapter, can never charge, refund or transfer twice. Failures are `PaymentProcessorError`s.
 */
export interface PaymentProcessor {
  createCustomer(input: CreateCustomerInput, idempotencyKey: string): Promise<ProcessorCustomer>;
  getCustomer(customerId: string): Promise<ProcessorCustomer>;
  updateCustomer(
    customerId: string,
    input: UpdateCustomerInput,
    idempotencyKey: string,
  ): Promise<ProcessorCustomer>;
  listCustomers(query?: ListQuery & { email?: string }): Promise<ProcessorPage<ProcessorCustomer>>;

  createCheckoutSession(
    input: CreateCheckoutSessionInput,
    idempotencyKey: string,
  ): Promise<ProcessorCheckoutSession>;
  getCheckoutSession(sessionId: string): Promise<ProcessorCheckoutSession>;
  listCheckoutSessions(
    query?: ListQuery & { customerId?: string; paymentIntentId?: string },
  ): Promise<ProcessorPage<ProcessorCheckoutSession>>;
  /** Closes an open session so it can no longer be paid. */
  expireCheckoutSession(sessionId: string, idempotencyKey: string): Promise<ProcessorCheckoutSession>;

  createPaymentIntent(
    input: CreatePaymentIntentInput,
    idempotencyKey: string,
  ): Promise<ProcessorPaymentIntent>;
  confirmPaymentIntent(
    paymentIntentId: string,
    input: ConfirmPaymentIntentInput,
    idempotencyKey: string,
  ): Promise<ProcessorPaymentIntent>;
  getPaymentIntent(paymentIntentId: string): Promise<ProcessorPaymentIntent>;
  /** Newest first; `createdSince` and the cursor page through what was created since a time. */
  listPaymentIntents(query?: ListPaymentIntentsQuery): Promise<ProcessorPage<ProcessorPaymentIntent>>;
  cancelPaymentIntent(
    paymentIntentId: string,
    reason: PaymentIntentCancellationReason | undefined,
    idempotencyKey: string,
  ): Promise<ProcessorPaymentIntent>;

  getCharge(chargeId: string): Promise<ProcessorCharge>;
  listCharges(query: ListChargesQuery): Promise<ProcessorPage<ProcessorCharge>>;

  /** Refunds never exceed what is left on the charge: asking for more is an InvalidRequestError. */
  createRefund(input: CreateRefundInput, idempotencyKey: string): Promise<ProcessorRefund>;
  getRefund(refundId: string): Promise<ProcessorRefund>;
  /** Newest first; `createdSince` and the cursor page through what was created since a time. */
  listRefunds(query?: ListRefundsQuery): Promise<ProcessorPage<ProcessorRefund>>;

  createSetupIntent(input: CreateSetupIntentInput, idempotencyKey: string): Promise<ProcessorSetupIntent>;
  confirmSetupIntent(
    setupIntentId: string,
    input: ConfirmSetupIntentInput,
    idempotencyKey: string,
  ): Promise<ProcessorSetupIntent>;
  getSetupIntent(setupIntentId: string): Promise<ProcessorSetupIntent>;

  attachPaymentMethod(
    paymentMethodId: string,
    customerId: string,
    idempotencyKey: string,
  ): Promise<ProcessorPaymentMethod>;
  detachPaymentMethod(paymentMethodId: string, idempotencyKey: string): Promise<ProcessorPaymentMethod>;
  getPaymentMethod(paymentMethodId: string): Promise<ProcessorPaymentMethod>;
  listPaymentMethods(customerId: string, query?: ListQuery): Promise<ProcessorPage<ProcessorPaymentMethod>>;
  /** The card charged for renewals (Stripe: invoice_settings.default_payment_method). */
  setDefaultPaymentMethod(
    customerId: string,
    paymentMethodId: string,
    idempotencyKey: string,
  ): Promise<ProcessorCustomer>;

  /** A hosted page where the customer manages their saved cards. */
  createBillingPortalSession(
    input: BillingPortalSessionInput,
    idempotencyKey: string,
  ): Promise<ProcessorBillingPortalSession>;

  /** Moves money from our balance to a trader's connected account (a payout). */
  createTransfer(input: CreateTransferInput, idempotencyKey: string): Promise<ProcessorTransfer>;
  getTransfer(transferId: string): Promise<ProcessorTransfer>;
  getConnectedAccount(accountId: string): Promise<ProcessorConnectedAccount>;

  /**
   * What moved our processor balance (charges, refunds, dispute adjustments, fees, payouts,
   * transfers), newest first, with fees and availability. Narrow by creation time, by the
   * automatic payout that swept them (`payoutId`), by type; page with `startingAfter`.
   */
  listBalanceTransactions(query: ListBalanceTransactionsQuery): Promise<BalanceTransactionPage>;
  /** Payouts to our bank account, newest first. */
  listPayouts(query?: ListPayoutsQuery): Promise<ProcessorPage<ProcessorPayout>>;
  retrievePayout(payoutId: string): Promise<ProcessorPayout>;
  /** Available and pending balance per currency. */
  retrieveBalance(): Promise<ProcessorBalance[]>;

  /**
   * Stripe Tax: the tax of these lines for this customer (a calculation, which stores nothing and
   * moves no money). Amounts cross in Stripe's units and come back in ours.
   */
  calculateTax(input: TaxCalculationInput): Promise<ProcessorTaxCalculation>;

  /**
   * Checks the signature header against the raw request body (before any JSON parsing) and
   * returns the event in our vocabulary, or throws WebhookSignatureError.
   */
  verifyWebhook(
    rawBody: Buffer | string,
    signatureHeader: string | undefined,
    secret: string,
    toleranceSeconds?: number,
  ): ProcessorEvent;

  /**
   * Parses an event body that was verified at intake and stored (processing happens later, in a
   * job, long past the signature's tolerance). Throws WebhookSignatureError('malformed_payload').
   */
  parseVerifiedEvent(payload: unknown): ProcessorEvent;
}

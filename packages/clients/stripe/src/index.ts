export * from './port/types';
export * from './port/balance-types';
export * from './port/tax-types';
export * from './port/events';
export * from './port/errors';
export type { PaymentProcessor } from './port/payment-processor';
export {
  StripePaymentProcessor,
  type StripePaymentProcessorOptions,
} from './stripe/stripe-payment-processor';
export { signWebhookPayload } from './webhook-signature';
export {
  createFakeStripeServer,
  type FakeStripeServer,
  type FakeStripeServerOptions,
  type FakeStripeState,
  type ReadonlyCollection,
} from './fake/fake-stripe-server';
export type { FakeStripeControls, RequestLogEntry } from './fake/control-routes';
export type { FaultKind, FaultRule } from './fake/faults';
export type { AuthenticationResult, SandboxPayment, SandboxPaymentResult } from './fake/checkout-flow';
export type { WebhookDelivery, WebhookDeliveryAttempt, WebhookRetryPolicy } from './fake/webhook-dispatcher';
export { TEST_CARDS, type CardBehaviour, type TestCard } from './fake/test-cards';
export { sandboxSetupPageUrl } from './fake/hosted-pages';
export type { FakeBalanceControls } from './fake/balance-routes';
export type {
  BulkSeedResult,
  ExtraBalanceTransaction,
  FakeBalanceSettings,
  FeeChange,
} from './fake/balance-engine';
export type { FeeRate, FeeScheduleEntry } from './fake/fees';
export {
  syntheticBalanceTransactions,
  type SyntheticBalanceTransaction,
  type SyntheticDayOptions,
} from './fake/synthetic-balance';

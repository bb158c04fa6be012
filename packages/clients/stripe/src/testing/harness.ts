import { createFakeStripeServer, type FakeStripeServer } from '../fake/fake-stripe-server';
import type { ProcessorEvent } from '../port/events';
import {
  StripePaymentProcessor,
  type StripePaymentProcessorOptions,
} from '../stripe/stripe-payment-processor';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

export interface Harness {
  fake: FakeStripeServer;
  receiver: WebhookReceiver;
  processor: StripePaymentProcessor;
  /** A processor with other retry settings, against the same fake. */
  processorWith(options: Partial<StripePaymentProcessorOptions>): StripePaymentProcessor;
  /** Waits for pending deliveries, then verifies every received webhook with the adapter. */
  receivedEvents(): Promise<ProcessorEvent[]>;
  /** Forgets state between tests. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** The real SDK, through our adapter, against the fake on an ephemeral port, with a webhook receiver. */
export async function startHarness(): Promise<Harness> {
  const fake = await createFakeStripeServer({
    webhookRetry: { baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2_000 },
  });
  const receiver = await startWebhookReceiver();
  fake.controls.setWebhookEndpoint(receiver.url);
  const processorWith = (options: Partial<StripePaymentProcessorOptions>): StripePaymentProcessor =>
    new StripePaymentProcessor({
      secretKey: 'sk_test_astrix',
      host: '127.0.0.1',
      port: fake.port,
      protocol: 'http',
      timeoutMs: 5_000,
      maxRetries: 0,
      rateLimitBackoffMs: 5,
      ...options,
    });
  const processor = processorWith({});
  return {
    fake,
    receiver,
    processor,
    processorWith,
    receivedEvents: async () => {
      await fake.flushWebhooks();
      return receiver.received.map(({ rawBody, signature }) =>
        processor.verifyWebhook(rawBody, signature, fake.webhookSecret),
      );
    },
    reset: async () => {
      await fake.flushWebhooks();
      fake.controls.reset();
      receiver.clear();
    },
    close: async () => {
      await fake.close();
      await receiver.close();
    },
  };
}

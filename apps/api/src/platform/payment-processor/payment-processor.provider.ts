import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import {
  createFakeStripeServer,
  type FakeStripeServer,
  type PaymentProcessor,
  sandboxSetupPageUrl,
  StripePaymentProcessor,
} from '@astrix/stripe-client';
import { AppConfig } from '../config/app-config';

/** Injection token of the PaymentProcessor port. */
export const PAYMENT_PROCESSOR = Symbol('PAYMENT_PROCESSOR');
export const InjectPaymentProcessor = (): ParameterDecorator => Inject(PAYMENT_PROCESSOR);

/** Signing secret of sandbox webhooks; sandbox only, never a real Stripe secret. */
export const SANDBOX_WEBHOOK_SECRET = 'whsec_astrix_sandbox_only';
const SANDBOX_SECRET_KEY = 'sk_test_astrix_sandbox';

/**
 * Which processor this process talks to. With STRIPE_SECRET_KEY: Stripe. Without: the sandbox,
 * an in-process fake Stripe on STRIPE_SANDBOX_PORT that sends signed webhooks to this API, so a
 * fresh checkout can buy an evaluation end to end.
 */
@Injectable()
export class PaymentProcessorHost implements OnApplicationShutdown {
  private readonly logger = new Logger('PaymentProcessor');
  private sandbox: FakeStripeServer | null = null;
  processor!: PaymentProcessor;
  webhookSecret!: string;

  constructor(private readonly config: AppConfig) {}

  get isSandbox(): boolean {
    return !this.config.stripeSecretKey;
  }

  /** The fake Stripe when this process hosts the sandbox (tests use it to pay and inject faults). */
  get sandboxServer(): FakeStripeServer | null {
    return this.sandbox;
  }

  async start(): Promise<void> {
    const secretKey = this.config.stripeSecretKey;
    if (secretKey) {
      this.processor = new StripePaymentProcessor({
        secretKey,
        timeoutMs: this.config.stripeTimeoutMs,
        ...apiOrigin(this.config.stripeApiUrl),
      });
      this.webhookSecret = this.config.stripeWebhookSecret ?? '';
      return;
    }
    this.webhookSecret = this.config.stripeWebhookSecret ?? SANDBOX_WEBHOOK_SECRET;
    const port = await this.startSandbox();
    this.processor = new StripePaymentProcessor({
      secretKey: SANDBOX_SECRET_KEY,
      host: '127.0.0.1',
      port,
      protocol: 'http',
      timeoutMs: this.config.stripeTimeoutMs,
    });
  }

  /**
   * Where a person enters a test card for a setup intent in the sandbox (live mode has Stripe.js
   * and the intent's client secret instead): null with a real Stripe key.
   */
  sandboxSetupPageUrl(setupIntentId: string): string | null {
    if (!this.isSandbox) return null;
    const base = this.sandbox?.url ?? `http://127.0.0.1:${this.config.stripeSandboxPort}`;
    return sandboxSetupPageUrl(base, setupIntentId);
  }

  /**
   * Moves the sandbox fake Stripe's clock forward to `at` (the sandbox clock's now), whether this
   * process hosts it or another does; never back. False with a real Stripe key: its test clocks
   * belong to customers and are not driven from here.
   */
  async moveSandboxClock(at: Date): Promise<boolean> {
    if (!this.isSandbox) return false;
    if (this.sandbox) {
      if (at.getTime() > this.sandbox.controls.now().getTime()) this.sandbox.controls.setClock(at);
      return true;
    }
    const url = `http://127.0.0.1:${this.config.stripeSandboxPort}/__control/clock`;
    const current = (await (await fetch(url)).json()) as { now: string };
    if (at.getTime() <= new Date(current.now).getTime()) return true;
    const moved = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ now: at.toISOString() }),
    });
    if (!moved.ok)
      throw new Error(`the sandbox Stripe's clock did not move: ${moved.status} ${await moved.text()}`);
    return true;
  }

  /** Points the sandbox's webhooks at this API once it listens. */
  setSandboxWebhookUrl(url: string): void {
    this.sandbox?.controls.setWebhookEndpoint(url, this.webhookSecret);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sandbox?.close();
  }

  private async startSandbox(): Promise<number> {
    const port = this.config.stripeSandboxPort;
    try {
      this.sandbox = await createFakeStripeServer({
        port,
        webhookSecret: this.webhookSecret,
        // The API's own webhook endpoint; tests on an ephemeral port set it once they listen.
        ...(this.config.port ? { webhookUrl: `http://127.0.0.1:${this.config.port}/webhooks/stripe` } : {}),
      });
      this.logger.log(`sandbox mode: fake Stripe at ${this.sandbox.url} (no STRIPE_SECRET_KEY set)`);
      return this.sandbox.port;
    } catch (error) {
      // Another process of this deployment (the API, when this is a worker) hosts the sandbox.
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return port;
      throw error;
    }
  }
}

/** The SDK's host, port and protocol for an API origin other than Stripe's own. */
function apiOrigin(
  url: string | undefined,
): { host: string; port: number; protocol: 'http' | 'https' } | Record<string, never> {
  if (url === undefined) return {};
  const parsed = new URL(url);
  const protocol = parsed.protocol === 'http:' ? 'http' : 'https';
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? (protocol === 'http' ? 80 : 443) : Number(parsed.port),
    protocol,
  };
}

export const paymentProcessorProviders = [
  {
    provide: PaymentProcessorHost,
    inject: [AppConfig],
    useFactory: async (config: AppConfig): Promise<PaymentProcessorHost> => {
      const host = new PaymentProcessorHost(config);
      await host.start();
      return host;
    },
  },
  {
    provide: PAYMENT_PROCESSOR,
    inject: [PaymentProcessorHost],
    useFactory: (host: PaymentProcessorHost): PaymentProcessor => host.processor,
  },
];

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { StripeApiError } from './api-error';
import { ApiPipeline, errorBody, type JsonReply, jsonReply } from './api-pipeline';
import {
  BalanceEngine,
  DEFAULT_BALANCE_SETTINGS,
  type FakeBalanceSettings,
  type FeeChange,
} from './balance-engine';
import { createApiRoutes } from './api-routes';
import { CheckoutFlow } from './checkout-flow';
import { createControlRoutes, type FakeStripeControls } from './control-routes';
import { FaultInjector } from './faults';
import { decodeForm, formFieldsFromJson, FormReader } from './form';
import { createHostedPages, type PageReply } from './hosted-pages';
import { newStripeId } from './ids';
import { AUTOMATIC_ORIGIN, buildConnectedAccount } from './object-factory';
import { DEFAULT_FRAUD_TYPE, PaymentEngine } from './payment-engine';
import { type Collection, FakeStripeStore } from './store';
import {
  DEFAULT_WEBHOOK_RETRY_POLICY,
  WebhookDispatcher,
  type WebhookRetryPolicy,
} from './webhook-dispatcher';
import { DEFAULT_TAX_SETTINGS, type FakeTaxSettings, TaxDesk } from './tax-calculations';
import { toUnixSeconds } from '../stripe-fields';

export interface FakeStripeServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where signed webhooks are POSTed; none are sent until one is set (also via controls). */
  webhookUrl?: string;
  /** Signing secret; a random `whsec_…` by default. */
  webhookSecret?: string;
  /** Attempts, backoff and timeout of webhook deliveries. */
  webhookRetry?: Partial<WebhookRetryPolicy>;
  /** "Now" for timestamps and webhook signatures; the clock controls move the fake ahead of it. */
  clock?: () => Date;
  /** Fee schedule additions (on top of the default 2.9 % + 30, see fees.ts) and balance settings. */
  balance?: Partial<FakeBalanceSettings> & { fees?: FeeChange[] };
  /** Stripe Tax: the head office and the registrations calculations collect in (none by default). */
  tax?: Partial<FakeTaxSettings>;
}

export interface ReadonlyCollection<T> {
  get(id: string): T | undefined;
  /** Newest first. */
  all(): T[];
}

type CollectionName = {
  [K in keyof FakeStripeStore]: FakeStripeStore[K] extends Collection<{ id: string }> ? K : never;
}[keyof FakeStripeStore];

/** Read access to every object the fake holds, typed with the SDK's types. */
export type FakeStripeState = {
  readonly [K in CollectionName]: FakeStripeStore[K] extends Collection<infer T>
    ? ReadonlyCollection<T>
    : never;
};

export interface FakeStripeServer {
  /** e.g. http://127.0.0.1:54321 */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** The secret webhooks are signed with. */
  readonly webhookSecret: string;
  readonly state: FakeStripeState;
  readonly controls: FakeStripeControls;
  /** Resolves once every queued webhook delivery (retries included) has finished. */
  flushWebhooks(): Promise<void>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

type HttpReply = JsonReply | PageReply;

/**
 * Starts an in-memory Stripe for tests and the local sandbox. Point the official SDK at it with
 * `new Stripe(key, { host: '127.0.0.1', port, protocol: 'http' })`; any `sk_test_…` key works.
 */
export async function createFakeStripeServer(
  options: FakeStripeServerOptions = {},
): Promise<FakeStripeServer> {
  const fake = new FakeStripe(options);
  await fake.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return fake;
}

class FakeStripe implements FakeStripeServer {
  readonly state: FakeStripeState;
  readonly controls: FakeStripeControls;
  private readonly server: Server;
  private readonly store = new FakeStripeStore();
  private readonly faults = new FaultInjector();
  private readonly events: WebhookDispatcher;
  private readonly engine: PaymentEngine;
  private readonly balance: BalanceEngine;
  private readonly tax: TaxDesk;
  /** Added to the clock by the clock controls. */
  private clockOffsetMs = 0;
  private readonly checkout: CheckoutFlow;
  private readonly api: ApiPipeline;
  private readonly pages: ReturnType<typeof createHostedPages>;
  private readonly controlRoutes: ReturnType<typeof createControlRoutes>;
  private readonly shutdown = new AbortController();
  private readonly defaultWebhookSecret: string;
  private readonly now: () => Date;
  private address: AddressInfo | null = null;

  constructor(options: FakeStripeServerOptions) {
    const baseClock = options.clock ?? ((): Date => new Date());
    this.now = () => new Date(baseClock().getTime() + this.clockOffsetMs);
    this.defaultWebhookSecret = options.webhookSecret ?? newStripeId('whsec');
    this.state = this.store;
    this.events = new WebhookDispatcher(
      this.store,
      options.webhookUrl === undefined
        ? null
        : { url: options.webhookUrl, secret: this.defaultWebhookSecret },
      { ...DEFAULT_WEBHOOK_RETRY_POLICY, ...options.webhookRetry },
      Stripe.API_VERSION,
      this.now,
    );
    this.tax = new TaxDesk({ ...DEFAULT_TAX_SETTINGS, ...options.tax });
    const { fees = [], ...settings } = options.balance ?? {};
    this.balance = new BalanceEngine(this.store, this.events, this.now, {
      settings: { ...DEFAULT_BALANCE_SETTINGS, ...settings },
      fees,
    });
    this.store.findElsewhere = (id) => this.balance.findForExpansion(id);
    this.engine = new PaymentEngine(
      this.store,
      this.events,
      this.now,
      (intentId) => `${this.url}/3ds/${intentId}`,
      this.balance,
    );
    this.checkout = new CheckoutFlow(
      this.store,
      this.engine,
      this.events,
      this.now,
      (id) => `${this.url}/pay/${id}`,
    );
    const apiRoutes = createApiRoutes({
      store: this.store,
      engine: this.engine,
      checkout: this.checkout,
      events: this.events,
      balance: this.balance,
      tax: this.tax,
      now: this.now,
      portalUrl: (id) => `${this.url}/portal/${id}`,
    });
    this.api = new ApiPipeline(
      apiRoutes,
      this.store,
      this.faults,
      Stripe.API_VERSION,
      this.now,
      this.shutdown.signal,
    );
    this.pages = createHostedPages(this.store, this.checkout);
    this.controls = this.createControls();
    this.controlRoutes = createControlRoutes(this.controls);
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain' });
        response.end(`Fake Stripe failed: ${error instanceof Error ? error.message : String(error)}`);
      });
    });
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  get port(): number {
    return this.listening().port;
  }

  get host(): string {
    return this.listening().address;
  }

  get webhookSecret(): string {
    return this.events.currentEndpoint()?.secret ?? this.defaultWebhookSecret;
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error('The fake Stripe server must listen on a TCP port'));
          return;
        }
        this.address = address;
        resolve();
      });
    });
  }

  flushWebhooks(): Promise<void> {
    return this.events.flush();
  }

  async close(): Promise<void> {
    this.shutdown.abort();
    this.events.close();
    const closed = new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error === undefined ? resolve() : reject(error)));
    });
    this.server.closeAllConnections();
    await Promise.all([closed, this.events.flush()]);
  }

  private listening(): AddressInfo {
    if (this.address === null) throw new Error('The fake Stripe server is not listening yet');
    return this.address;
  }

  private createControls(): FakeStripeControls {
    const { store, faults, engine, checkout, events, balance } = this;
    const moveClock = (offsetMs: number): Date => {
      this.clockOffsetMs = offsetMs;
      balance.tick();
      return this.now();
    };
    return {
      now: () => this.now(),
      advanceClock: (seconds) => moveClock(this.clockOffsetMs + seconds * 1000),
      setClock: (at) => moveClock(this.clockOffsetMs + at.getTime() - this.now().getTime()),
      balanceSettings: () => balance.currentSettings(),
      taxSettings: () => this.tax.current(),
      updateTaxSettings: (changes) => this.tax.update(changes),
      updateBalanceSettings: (changes) => balance.updateSettings(changes),
      feeSchedule: () => balance.feeSchedule(),
      changeFees: (change) => balance.changeFees(change),
      runPayouts: (options) => balance.runPayouts(options),
      failPayout: (payoutId, failureCode) => balance.failPayout(payoutId, failureCode),
      balanceTransactionsOf: (sourceId) =>
        balance.ledger.ofSource(sourceId).map((entry) => balance.present(entry)),
      dropBalanceTransactionsOf: (sourceId) =>
        balance.dropTransactionsOf(sourceId).map((entry) => balance.present(entry)),
      setChargeFee: (id, fee) => balance.setChargeFee(id, fee),
      addBalanceTransaction: (input) => balance.addTransaction(input),
      seedBalanceTransactions: (options) => balance.bulkSeed(options),
      injectFault: (rule) => faults.add(rule),
      clearFaults: () => faults.clear(),
      faults: () => faults.rules(),
      declineNextPayments: ({ count = 1, declineCode = 'generic_decline' } = {}) =>
        engine.declineNextPayments(count, declineCode),
      createConnectedAccount: (fields = {}) =>
        store.accounts.save(
          buildConnectedAccount(
            {
              id: fields.id,
              email: fields.email ?? null,
              country: fields.country ?? 'US',
              defaultCurrency: fields.defaultCurrency ?? 'usd',
              payoutsEnabled: fields.payoutsEnabled ?? true,
              transfersCapability: fields.transfersCapability ?? 'active',
            },
            toUnixSeconds(this.now()),
          ),
        ),
      setWebhookEndpoint: (url, secret) =>
        events.setEndpoint(url === null ? null : { url, secret: secret ?? this.defaultWebhookSecret }),
      payCheckoutSession: (sessionId, payment) => checkout.pay(sessionId, payment),
      authenticate: (intentId, succeeded = true) => checkout.authenticate(intentId, succeeded),
      openDispute: (chargeId, reason = 'fraudulent') => {
        const opened = engine.openDispute(
          store.charges.require(chargeId, 'charge'),
          reason,
          AUTOMATIC_ORIGIN,
        );
        events.publish(opened.events);
        return opened.dispute;
      },
      closeDispute: (disputeId, status) => {
        const closed = engine.closeDispute(
          store.disputes.require(disputeId, 'dispute'),
          status,
          AUTOMATIC_ORIGIN,
        );
        events.publish(closed.events);
        return closed.dispute;
      },
      openEarlyFraudWarning: (chargeId, fraudType = DEFAULT_FRAUD_TYPE) => {
        const opened = engine.openEarlyFraudWarning(
          store.charges.require(chargeId, 'charge'),
          fraudType,
          AUTOMATIC_ORIGIN,
        );
        events.publish(opened.events);
        return opened.earlyFraudWarning;
      },
      openReview: (chargeId, reason = 'rule') => {
        const opened = engine.openReview(store.charges.require(chargeId, 'charge'), reason, AUTOMATIC_ORIGIN);
        events.publish(opened.events);
        return opened.review;
      },
      closeReview: (reviewId, reason = 'approved') => {
        const closed = engine.closeReview(
          store.reviews.require(reviewId, 'review'),
          reason,
          AUTOMATIC_ORIGIN,
        );
        events.publish(closed.events);
        return closed.review;
      },
      sentEvents: () => events.events(),
      webhookDeliveries: () => events.deliveryLog(),
      resendEvent: (eventId) => events.resend(eventId),
      duplicateNextWebhooks: (count = 1) => events.duplicateNext(count),
      flushWebhooks: () => events.flush(),
      holdNextWebhooks: (count = 1) => events.holdNext(count),
      releaseHeldWebhooks: (order = 'published') => events.releaseHeld(order),
      heldWebhooks: () => events.heldCount(),
      requestLog: () => this.api.requestLog(),
      reset: () => {
        store.clear();
        this.clockOffsetMs = 0;
        balance.reset();
        this.tax.reset();
        faults.clear();
        engine.reset();
        checkout.reset();
        events.reset();
        this.api.reset();
      },
    };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://fake-stripe.local');
    const rawBody = await readBody(request);
    let reply: HttpReply;
    if (rawBody === null) {
      reply = jsonReply(413, errorBody({ type: 'invalid_request_error', message: 'Request body too large' }));
    } else if (url.pathname.startsWith('/v1/')) {
      reply = await this.api.handle({
        method,
        path: url.pathname,
        query: url.search.slice(1),
        headers: request.headers,
        rawBody,
      });
    } else {
      reply = await this.handleLocal(method, url.pathname, request.headers['content-type'] ?? '', rawBody);
    }
    send(response, reply);
  }

  /** Control endpoints (JSON) and hosted pages (HTML); neither is part of Stripe's API. */
  private async handleLocal(
    method: string,
    path: string,
    contentType: string,
    rawBody: string,
  ): Promise<HttpReply> {
    try {
      const form = new FormReader(
        contentType.includes('application/json') && rawBody.trim() !== ''
          ? formFieldsFromJson(JSON.parse(rawBody))
          : decodeForm(rawBody),
      );
      const control = this.controlRoutes.match(method, path);
      if (control !== undefined)
        return jsonReply(200, await control.handler({ params: control.params, body: form }));
      const page = this.pages.match(method, path);
      if (page !== undefined) return page.handler({ params: page.params, form });
      return jsonReply(
        404,
        errorBody({ type: 'invalid_request_error', message: `Not found: ${method} ${path}` }),
      );
    } catch (error) {
      if (error instanceof StripeApiError) return jsonReply(error.httpStatus, errorBody(error.body));
      if (error instanceof SyntaxError) {
        return jsonReply(400, errorBody({ type: 'invalid_request_error', message: 'Invalid JSON body' }));
      }
      throw error;
    }
  }
}

/** The request body as text, or null when it exceeds the limit. */
async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, reply: HttpReply): void {
  if (response.destroyed) return;
  switch (reply.kind) {
    case 'json':
      response.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
      response.end(reply.json);
      return;
    case 'html':
      response.writeHead(reply.status, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(reply.html);
      return;
    case 'redirect':
      response.writeHead(303, { Location: reply.location });
      response.end();
      return;
  }
}

import type Stripe from 'stripe';
import { type BackoffPolicy, withRetries } from '../retry';
import { signWebhookPayload } from '../webhook-signature';
import {
  buildEvent,
  type EventObjectOf,
  type EventOrigin,
  type FakeEventType,
  type StripeEventOf,
} from './object-factory';
import type { FakeStripeStore } from './store';
import { toUnixSeconds } from '../stripe-fields';

export interface WebhookEndpoint {
  url: string;
  secret: string;
}

export interface WebhookDeliveryAttempt {
  at: Date;
  /** HTTP status the endpoint answered; null when the request failed or timed out. */
  httpStatus: number | null;
  error: string | null;
}

export interface WebhookDelivery {
  eventId: string;
  eventType: string;
  /** `skipped` when no endpoint was configured at delivery time. */
  status: 'pending' | 'delivered' | 'failed' | 'skipped';
  attempts: WebhookDeliveryAttempt[];
}

export interface WebhookRetryPolicy extends BackoffPolicy {
  /** Attempts per delivery, the first included. */
  maxAttempts: number;
  /** Per attempt. */
  timeoutMs: number;
}

export const DEFAULT_WEBHOOK_RETRY_POLICY: WebhookRetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  timeoutMs: 5_000,
};

class EndpointRejectedError extends Error {}

/**
 * Builds events, keeps them, and POSTs them signed to the configured endpoint one at a time, in
 * the order they were published (Stripe itself does not promise order; our tests rely on it).
 * Failed deliveries are retried with backoff before the next event goes out.
 */
export class WebhookDispatcher {
  private readonly published: Stripe.Event[] = [];
  private readonly deliveries: WebhookDelivery[] = [];
  private queue: Promise<void> = Promise.resolve();
  private duplicatesToSend = 0;
  /** Events held back from delivery (a late or reordered delivery), in publishing order. */
  private held: Stripe.Event[] = [];
  private holdsToTake = 0;
  private readonly shutdown = new AbortController();

  constructor(
    private readonly store: FakeStripeStore,
    private endpoint: WebhookEndpoint | null,
    private readonly retryPolicy: WebhookRetryPolicy,
    private readonly apiVersion: string,
    private readonly now: () => Date,
  ) {}

  create<T extends FakeEventType>(type: T, object: EventObjectOf<T>, origin: EventOrigin): StripeEventOf<T> {
    return buildEvent(type, object, {
      origin,
      apiVersion: this.apiVersion,
      created: toUnixSeconds(this.now()),
      pendingWebhooks: this.endpoint === null ? 0 : 1,
    });
  }

  /** Records the events and queues their delivery, in order. */
  publish(events: readonly Stripe.Event[]): void {
    for (const event of events) {
      this.store.events.save(event);
      this.published.push(event);
      if (this.holdsToTake > 0) {
        this.holdsToTake--;
        this.held.push(event);
        continue;
      }
      this.enqueue(event);
      if (this.duplicatesToSend > 0) {
        this.duplicatesToSend--;
        this.enqueue(event);
      }
    }
  }

  /** Delivers an already published event again, as Stripe's "Resend" does. */
  resend(eventId: string): Stripe.Event {
    const event = this.store.events.require(eventId);
    this.enqueue(event);
    return event;
  }

  /** The next `count` events are each delivered twice, to exercise idempotent consumers. */
  duplicateNext(count: number): void {
    this.duplicatesToSend += count;
  }

  /** The next `count` events are held back (not delivered) until released: late delivery. */
  holdNext(count: number): void {
    this.holdsToTake += count;
  }

  /**
   * Delivers every held event now, in publishing order or reversed (out of order); returns how many.
   * Events published meanwhile have gone out already, so a held event arrives after its successors.
   */
  releaseHeld(order: 'published' | 'reversed' = 'published'): number {
    const events = order === 'reversed' ? [...this.held].reverse() : [...this.held];
    this.held = [];
    for (const event of events) this.enqueue(event);
    return events.length;
  }

  heldCount(): number {
    return this.held.length;
  }

  setEndpoint(endpoint: WebhookEndpoint | null): void {
    this.endpoint = endpoint;
  }

  currentEndpoint(): WebhookEndpoint | null {
    return this.endpoint;
  }

  events(): Stripe.Event[] {
    return [...this.published];
  }

  deliveryLog(): WebhookDelivery[] {
    return structuredClone(this.deliveries);
  }

  /** Resolves once every queued delivery, retries included, has finished. */
  async flush(): Promise<void> {
    for (;;) {
      const current = this.queue;
      await current;
      if (current === this.queue) return;
    }
  }

  /** Forgets events and deliveries (pending deliveries still finish). */
  reset(): void {
    this.published.length = 0;
    this.deliveries.length = 0;
    this.duplicatesToSend = 0;
    this.held = [];
    this.holdsToTake = 0;
  }

  /** Abandons pending retries so the server can close promptly. */
  close(): void {
    this.shutdown.abort();
  }

  private enqueue(event: Stripe.Event): void {
    const delivery: WebhookDelivery = {
      eventId: event.id,
      eventType: event.type,
      status: 'pending',
      attempts: [],
    };
    this.deliveries.push(delivery);
    this.queue = this.queue.then(() => this.deliver(event, delivery));
  }

  private async deliver(event: Stripe.Event, delivery: WebhookDelivery): Promise<void> {
    const endpoint = this.endpoint;
    if (endpoint === null || this.shutdown.signal.aborted) {
      delivery.status = 'skipped';
      return;
    }
    // Stripe sends pretty-printed JSON: receivers must verify the raw bytes, not a re-serialization.
    const payload = JSON.stringify(event, null, 2);
    try {
      await withRetries(() => this.attempt(endpoint, payload, delivery), {
        retries: this.retryPolicy.maxAttempts - 1,
        baseDelayMs: this.retryPolicy.baseDelayMs,
        maxDelayMs: this.retryPolicy.maxDelayMs,
        isRetryable: () => !this.shutdown.signal.aborted,
        signal: this.shutdown.signal,
      });
      delivery.status = 'delivered';
    } catch {
      delivery.status = 'failed';
    }
  }

  private async attempt(
    endpoint: WebhookEndpoint,
    payload: string,
    delivery: WebhookDelivery,
  ): Promise<void> {
    const at = this.now();
    try {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Stripe-Signature': signWebhookPayload(payload, endpoint.secret, at),
        },
        body: payload,
        signal: AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(this.retryPolicy.timeoutMs)]),
      });
      // Drain the body so the connection can be reused.
      await response.arrayBuffer();
      delivery.attempts.push({ at, httpStatus: response.status, error: null });
      if (!response.ok) throw new EndpointRejectedError(`Endpoint answered ${response.status}`);
    } catch (error) {
      if (!(error instanceof EndpointRejectedError)) {
        delivery.attempts.push({
          at,
          httpStatus: null,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      throw error;
    }
  }
}

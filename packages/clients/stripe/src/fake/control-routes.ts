import type Stripe from 'stripe';
import { invalidRequest } from './api-error';
import { addBalanceControlRoutes, type FakeBalanceControls } from './balance-routes';
import type { AuthenticationResult, SandboxPayment, SandboxPaymentResult } from './checkout-flow';
import type { FaultKind, FaultRule } from './faults';
import type { FakeTaxSettings } from './tax-calculations';
import type { FormReader } from './form';
import type { ConnectedAccountFields } from './object-factory';
import { REVIEW_CLOSED_REASONS } from './payment-engine';
import { Router } from './router';
import type { WebhookDelivery } from './webhook-dispatcher';

export interface RequestLogEntry {
  at: Date;
  method: string;
  path: string;
  idempotencyKey: string | null;
  /** HTTP status answered; 0 while the request is still being held by a hang fault. */
  status: number;
  fault: FaultKind | null;
  /** Answered from the idempotency store rather than processed again. */
  replayed: boolean;
}

/** Everything a test (or, over HTTP, another process) can do to the fake besides calling the API. */
export interface FakeStripeControls extends FakeBalanceControls {
  /** The next matching /v1 requests fail with 500 or 429, or hang. */
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  faults(): FaultRule[];
  /** The next `count` payment attempts are declined, whatever the card. */
  declineNextPayments(options?: { count?: number; declineCode?: string }): void;
  /** A connected account (a trader's payout destination). */
  createConnectedAccount(fields?: Partial<ConnectedAccountFields>): Stripe.Account;
  setWebhookEndpoint(url: string | null, secret?: string): void;
  /** Pays an open checkout session with a test card, as the hosted page does. */
  payCheckoutSession(sessionId: string, payment: SandboxPayment): SandboxPaymentResult;
  /** Completes (or fails) 3-D Secure for a payment or setup intent in requires_action. */
  authenticate(intentId: string, succeeded?: boolean): AuthenticationResult;
  openDispute(chargeId: string, reason?: string): Stripe.Dispute;
  /** The bank decides a dispute: sends `charge.dispute.closed`. */
  closeDispute(disputeId: string, status: 'won' | 'lost'): Stripe.Dispute;
  /** The issuer reports a paid charge as fraud: sends `radar.early_fraud_warning.created`. */
  openEarlyFraudWarning(chargeId: string, fraudType?: string): Stripe.Radar.EarlyFraudWarning;
  /** Stripe Tax: where calculations collect tax and at which rate. */
  taxSettings(): FakeTaxSettings;
  updateTaxSettings(changes: Partial<FakeTaxSettings>): FakeTaxSettings;
  /** Holds a paid charge for review (`rule` or `manual`): sends `review.opened`. */
  openReview(chargeId: string, reason?: 'rule' | 'manual'): Stripe.Review;
  /** Closes an open review (default `approved`): sends `review.closed`. */
  closeReview(reviewId: string, reason?: Stripe.Review.ClosedReason): Stripe.Review;
  /** Every event published, oldest first. */
  sentEvents(): Stripe.Event[];
  webhookDeliveries(): WebhookDelivery[];
  resendEvent(eventId: string): Stripe.Event;
  /** The next `count` events are each delivered twice. */
  duplicateNextWebhooks(count?: number): void;
  flushWebhooks(): Promise<void>;
  /** The next `count` events are held back until released (webhooks delivered late). */
  holdNextWebhooks(count?: number): void;
  /** Delivers the held events now, in publishing order or reversed; returns how many. */
  releaseHeldWebhooks(order?: 'published' | 'reversed'): number;
  /** Events held back and not yet released. */
  heldWebhooks(): number;
  requestLog(): RequestLogEntry[];
  /**
   * Forgets all objects, events, faults, forced declines and the request log; balance
   * transactions, payouts, fee schedule, balance settings and clock go back to the start.
   */
  reset(): void;
}

export interface ControlRequest {
  params: Record<string, string>;
  body: FormReader;
}

export type ControlHandler = (request: ControlRequest) => unknown;

const FAULT_KINDS: readonly FaultKind[] = ['server_error', 'rate_limit', 'hang'];
const DISPUTE_OUTCOMES = ['won', 'lost'] as const;
const REVIEW_OPENED_REASONS = ['rule', 'manual'] as const;

function readFaultRule(body: FormReader): FaultRule {
  const kind = body.optionalEnum('kind', FAULT_KINDS);
  if (kind === undefined) throw invalidRequest(`kind is required: one of ${FAULT_KINDS.join(', ')}`, 'kind');
  return {
    kind,
    times: body.optionalNonEmptyString('times') === 'always' ? 'always' : body.optionalInteger('times'),
    path: body.optionalNonEmptyString('path'),
    method: body.optionalNonEmptyString('method'),
    delayMs: body.optionalInteger('delayMs'),
    phase: body.optionalEnum('phase', ['before_processing', 'after_processing']),
  };
}

/**
 * `/__control/...` and `/sandbox/...`: JSON (or form) endpoints that drive the controls from
 * another process, e.g. a shell script or the API app's e2e suite.
 */
export function createControlRoutes(controls: FakeStripeControls): Router<ControlHandler> {
  const router = new Router<ControlHandler>();

  router.on('POST', '/__control/faults', ({ body }) => {
    controls.injectFault(readFaultRule(body));
    return { faults: controls.faults() };
  });
  router.on('GET', '/__control/faults', () => ({ faults: controls.faults() }));
  router.on('GET', '/__control/tax/settings', () => controls.taxSettings());
  router.on('POST', '/__control/tax/settings', ({ body }) => {
    const changes: Partial<FakeTaxSettings> = {};
    const headOffice = body.optionalNonEmptyString('headOffice');
    if (headOffice !== undefined) changes.headOffice = headOffice;
    if (body.has('registrations')) {
      changes.registrations = body.children('registrations').map((registration) => ({
        country: registration.requiredString('country'),
        state: registration.optionalNonEmptyString('state') ?? null,
        percentage: registration.requiredString('percentage'),
        taxType: registration.optionalEnum('taxType', ['vat', 'gst', 'sales_tax'] as const),
      }));
    }
    return controls.updateTaxSettings(changes);
  });
  router.on('DELETE', '/__control/faults', () => {
    controls.clearFaults();
    return { faults: [] };
  });
  router.on('POST', '/__control/declines', ({ body }) => {
    controls.declineNextPayments({
      count: body.optionalInteger('count'),
      declineCode: body.optionalNonEmptyString('declineCode'),
    });
    return { ok: true };
  });
  router.on('POST', '/__control/accounts', ({ body }) =>
    controls.createConnectedAccount({
      id: body.optionalNonEmptyString('id'),
      email: body.optionalNonEmptyString('email') ?? null,
      country: body.optionalNonEmptyString('country'),
      defaultCurrency: body.optionalNonEmptyString('defaultCurrency'),
      payoutsEnabled: body.optionalBoolean('payoutsEnabled'),
      transfersCapability: body.optionalEnum('transfersCapability', ['active', 'inactive', 'pending']),
    }),
  );
  router.on('POST', '/__control/webhook-endpoint', ({ body }) => {
    controls.setWebhookEndpoint(
      body.optionalNonEmptyString('url') ?? null,
      body.optionalNonEmptyString('secret'),
    );
    return { ok: true };
  });
  router.on('GET', '/__control/events', () => ({
    events: controls.sentEvents(),
    deliveries: controls.webhookDeliveries(),
  }));
  router.on('POST', '/__control/events/:id/resend', ({ params }) => controls.resendEvent(params.id ?? ''));
  router.on('POST', '/__control/webhooks/duplicate-next', ({ body }) => {
    controls.duplicateNextWebhooks(body.optionalInteger('count'));
    return { ok: true };
  });
  router.on('POST', '/__control/webhooks/flush', async () => {
    await controls.flushWebhooks();
    return { deliveries: controls.webhookDeliveries() };
  });
  router.on('POST', '/__control/webhooks/hold-next', ({ body }) => {
    controls.holdNextWebhooks(body.optionalInteger('count'));
    return { held: controls.heldWebhooks() };
  });
  router.on('POST', '/__control/webhooks/release', ({ body }) => ({
    released: controls.releaseHeldWebhooks(body.optionalEnum('order', ['published', 'reversed'])),
  }));
  router.on('GET', '/__control/webhooks/held', () => ({ held: controls.heldWebhooks() }));
  router.on('GET', '/__control/requests', () => ({ requests: controls.requestLog() }));
  router.on('POST', '/__control/reset', () => {
    controls.reset();
    return { ok: true };
  });

  router.on('POST', '/sandbox/checkout-sessions/:id/pay', ({ params, body }) =>
    controls.payCheckoutSession(params.id ?? '', {
      card: body.requiredString('card'),
      email: body.optionalNonEmptyString('email'),
      name: body.optionalNonEmptyString('name'),
    }),
  );
  router.on('POST', '/sandbox/intents/:id/authenticate', ({ params, body }) =>
    controls.authenticate(params.id ?? '', body.optionalBoolean('succeeded') ?? true),
  );
  router.on('POST', '/sandbox/charges/:id/dispute', ({ params, body }) =>
    controls.openDispute(params.id ?? '', body.optionalNonEmptyString('reason')),
  );
  router.on('POST', '/sandbox/disputes/:id/close', ({ params, body }) => {
    const status = body.optionalEnum('status', DISPUTE_OUTCOMES);
    if (status === undefined) {
      throw invalidRequest(`status is required: one of ${DISPUTE_OUTCOMES.join(', ')}`, 'status');
    }
    return controls.closeDispute(params.id ?? '', status);
  });
  router.on('POST', '/sandbox/charges/:id/early-fraud-warning', ({ params, body }) =>
    controls.openEarlyFraudWarning(params.id ?? '', body.optionalNonEmptyString('fraudType')),
  );
  router.on('POST', '/sandbox/charges/:id/review', ({ params, body }) =>
    controls.openReview(params.id ?? '', body.optionalEnum('reason', REVIEW_OPENED_REASONS)),
  );
  router.on('POST', '/sandbox/reviews/:id/close', ({ params, body }) =>
    controls.closeReview(params.id ?? '', body.optionalEnum('reason', REVIEW_CLOSED_REASONS)),
  );

  addBalanceControlRoutes(router, controls);
  return router;
}

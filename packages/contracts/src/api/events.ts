import type { AstrixEvent, EventType } from '../events';

/** An event as the history, the stream and webhooks carry it: the envelope plus its subject sequence. */
export type DeliveredEvent<T extends EventType = EventType> = AstrixEvent<T> & { sequence: number };

/**
 * A short-lived token for `GET /v1/billing/stream?token=…` (browsers' EventSource cannot send
 * Authorization). It stands for the user who minted it on the stream only; refused everywhere else.
 */
export interface StreamTokenView {
  token: string;
  expiresAt: string;
}

export type WebhookEndpointStatus = 'enabled' | 'disabled';

export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string;
  eventTypes: EventType[];
  status: WebhookEndpointStatus;
  /** Why it is disabled: `failing` (automatically) or `manual`; null while enabled. */
  disabledReason: 'failing' | 'manual' | null;
  /** Since when every delivery failed; null while healthy. */
  failingSince: string | null;
  /** Until when the previous secret still signs deliveries too (after a rotation). */
  previousSecretExpiresAt: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export interface CreateWebhookEndpointRequest {
  /** https:// (plain http and private addresses only where the deployment allows them). */
  url: string;
  eventTypes: EventType[];
  description?: string;
}

/** The signing secret (`whsec_…`) is shown once, here (and on rotation), never again. */
export interface CreateWebhookEndpointResponse extends WebhookEndpointView {
  secret: string;
}

export interface UpdateWebhookEndpointRequest {
  url?: string;
  eventTypes?: EventType[];
  description?: string;
}

export interface RotateWebhookSecretRequest {
  /** How long the previous secret keeps signing too, in hours (0-168, default 24). */
  graceHours?: number;
}

export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface WebhookDeliveryAttemptView {
  attempt: number;
  startedAt: string;
  durationMs: number;
  /** null when no HTTP answer came (refused address, timeout, connection error). */
  statusCode: number | null;
  /** The start of the response body (at most 1 KiB). */
  response: string | null;
  error: string | null;
}

export interface WebhookDeliveryView {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: EventType;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  createdAt: string;
  completedAt: string | null;
  attemptLog: WebhookDeliveryAttemptView[];
}

export interface ReplayWebhookEventsResponse {
  endpointId: string;
  /** Deliveries created or scheduled again. */
  scheduled: number;
}

/** Standard Webhooks headers of every delivery. */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

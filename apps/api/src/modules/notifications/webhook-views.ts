import type { WebhookDeliveryAttemptView, WebhookDeliveryView, WebhookEndpointView } from '@astrix/contracts';
import type { WebhookDeliveryAttempt } from './webhook-delivery-attempt.entity';
import type { WebhookDelivery } from './webhook-delivery.entity';
import type { WebhookEndpoint } from './webhook-endpoint.entity';

export function toEndpointView(endpoint: WebhookEndpoint, now: Date): WebhookEndpointView {
  const graceActive = endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now;
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    eventTypes: endpoint.eventTypes,
    status: endpoint.status,
    disabledReason: endpoint.disabledReason,
    failingSince: endpoint.failingSince?.toISOString() ?? null,
    previousSecretExpiresAt: graceActive ? endpoint.previousSecretExpiresAt!.toISOString() : null,
    createdAt: endpoint.createdAt.toISOString(),
    createdBy: endpoint.createdBy,
    updatedAt: endpoint.updatedAt.toISOString(),
  };
}

export function toAttemptView(attempt: WebhookDeliveryAttempt): WebhookDeliveryAttemptView {
  return {
    attempt: attempt.attempt,
    startedAt: attempt.startedAt.toISOString(),
    durationMs: attempt.durationMs,
    statusCode: attempt.statusCode,
    response: attempt.response,
    error: attempt.error,
  };
}

export function toDeliveryView(
  delivery: WebhookDelivery,
  attempts: WebhookDeliveryAttempt[],
): WebhookDeliveryView {
  return {
    id: delivery.id,
    endpointId: delivery.endpointId,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
    lastStatusCode: delivery.lastStatusCode,
    createdAt: delivery.createdAt.toISOString(),
    completedAt: delivery.completedAt?.toISOString() ?? null,
    attemptLog: attempts.sort((a, b) => a.attempt - b.attempt).map(toAttemptView),
  };
}

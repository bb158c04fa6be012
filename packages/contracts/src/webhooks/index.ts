import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { DeliveredEvent } from '../api/events';
import { EVENT_VERSIONS, type EventType } from '../events';

export { WebhookVerificationError };

/** Request headers as Node (`IncomingHttpHeaders`), Fetch (`Headers`) or a plain record give them. */
export type WebhookHeaders =
  { get(name: string): string | null } | Record<string, string | string[] | undefined>;

const SIGNED_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

function headerValue(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(' ') : value;
}

/**
 * Verifies a webhook delivery from the Astrix billing platform and returns its event. Deliveries
 * follow Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`), checked by the
 * `standardwebhooks` library: the HMAC-SHA256 over the raw body with your endpoint's `whsec_…`
 * secret (any one of the space-separated signatures during a secret rotation) and a timestamp within
 * five minutes. Pass the raw body exactly as received, not a re-serialized object.
 *
 * @throws WebhookVerificationError when a header is missing, the signature does not match or the
 *   timestamp is too old or too new; Error when the verified body is not an event envelope.
 */
export function verifyWebhook(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
): DeliveredEvent {
  const signed: Record<string, string> = {};
  for (const name of SIGNED_HEADERS) {
    const value = headerValue(headers, name);
    if (value === undefined) throw new WebhookVerificationError(`Missing required header ${name}`);
    signed[name] = value;
  }
  const event = new Webhook(secret).verify(payload, signed);
  if (!isAstrixEvent(event)) throw new Error('verified webhook body is not an Astrix event envelope');
  return event;
}

/** An event envelope of a type this version of the package knows, at the version it describes. */
export function isAstrixEvent(value: unknown): value is DeliveredEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  return (
    typeof event.id === 'string' &&
    typeof event.type === 'string' &&
    Object.prototype.hasOwnProperty.call(EVENT_VERSIONS, event.type) &&
    typeof event.occurredAt === 'string' &&
    typeof event.data === 'object' &&
    event.data !== null
  );
}

/**
 * Narrows an event to one type, at the version of this package (`EVENT_VERSIONS`): an event of a
 * newer version is not this type's shape and is refused, so a consumer never reads a field that moved.
 *
 * ```ts
 * if (isEventOfType(event, 'billing.payment.completed')) console.log(event.data.chargeId);
 * ```
 */
export function isEventOfType<T extends EventType>(
  event: DeliveredEvent,
  type: T,
): event is Extract<DeliveredEvent, { type: T }> {
  return event.type === type && event.version === EVENT_VERSIONS[type];
}

/** One type guard per event type: `eventGuards['billing.invoice.paid'](event)`. */
export const eventGuards = Object.fromEntries(
  (Object.keys(EVENT_VERSIONS) as EventType[]).map((type) => [
    type,
    (event: DeliveredEvent) => isEventOfType(event, type),
  ]),
) as { readonly [K in EventType]: (event: DeliveredEvent) => event is Extract<DeliveredEvent, { type: K }> };

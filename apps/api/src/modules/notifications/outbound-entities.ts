import { EventHistoryEntry } from './event-history.entity';
import { WebhookDeliveryAttempt } from './webhook-delivery-attempt.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';

export const OUTBOUND_ENTITIES = [
  EventHistoryEntry,
  WebhookEndpoint,
  WebhookDelivery,
  WebhookDeliveryAttempt,
];

/**
 * The notifications module's public surface (events out: history, live stream, signed webhooks):
 * the only file other modules import from notifications. Everything else in it is internal.
 */
export { OutboundModule } from './outbound.module';
export { EventHistoryService, type HistoryFilter } from './event-history.service';
export { OutboundRelay } from './outbound-relay.service';
export { WebhookSecrets, type ReencryptionResult } from './webhook-secrets';

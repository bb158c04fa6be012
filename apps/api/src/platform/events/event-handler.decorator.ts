import { SetMetadata, CustomDecorator } from '@nestjs/common';
import type { EventType } from '@astrix/contracts';

export const EVENT_HANDLER_METADATA = 'astrix:event-handler';

export interface EventHandlerOptions {
  type: EventType;
  /** Stable consumer name: the inbox remembers which events this consumer has processed. */
  consumer: string;
}

/**
 * Marks a provider method `(event, manager) => Promise<void>` as a consumer of one event type.
 * It runs in a transaction with its inbox row: its effects happen exactly once per event.
 */
export const OnEvent = (type: EventType, consumer: string): CustomDecorator =>
  SetMetadata(EVENT_HANDLER_METADATA, { type, consumer } satisfies EventHandlerOptions);

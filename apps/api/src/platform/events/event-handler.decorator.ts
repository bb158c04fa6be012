import { SetMetadata, CustomDecorator } from '@nestjs/common';
import type { AstrixEvent, EventType } from '@astrix/contracts';

export const EVENT_HANDLER_METADATA = 'astrix:event-handler';

export interface EventHandlerOptions {
  type: EventType;
  /** Stable consumer name: the inbox remembers which events this consumer has processed. */
  consumer: string;
  /**
   * Which events of the type the consumer acts on, decided from the event alone (a pure function of
   * its immutable content). An event it declines is not consumed at all: no transaction, no inbox
   * row, and no queue job when no consumer accepts it. Default: every event of the type.
   */
  accepts?: (event: AstrixEvent) => boolean;
}

/**
 * Marks a provider method `(event, manager) => Promise<void>` as a consumer of one event type.
 * It runs in a transaction with its inbox row: its effects happen exactly once per event.
 */
export const OnEvent = (
  type: EventType,
  consumer: string,
  accepts?: (event: AstrixEvent) => boolean,
): CustomDecorator =>
  SetMetadata(EVENT_HANDLER_METADATA, { type, consumer, accepts } satisfies EventHandlerOptions);

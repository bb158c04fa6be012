import type { AstrixEvent } from '@astrix/contracts';

/** What the stream relay publishes on Redis for every history row, in stream order. */
export interface StreamMessage {
  streamPosition: number;
  userId: string | null;
  event: AstrixEvent & { sequence: number };
}

export const streamChannel = (queuePrefix: string): string => `${queuePrefix}:outbound:stream`;

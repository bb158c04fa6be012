import { Injectable } from '@nestjs/common';
import type { ProcessorEvent } from '@astrix/stripe-client';

export type TransferEvent = Extract<
  ProcessorEvent,
  { type: 'transfer.created' | 'transfer.updated' | 'transfer.reversed' }
>;
export type TransferEventHandler = (event: TransferEvent) => Promise<boolean>;

/**
 * Stripe sends transfer webhooks to billing's endpoint, but transfers are the payouts context's:
 * it registers its handler here at start, so billing routes them without importing payouts.
 */
@Injectable()
export class TransferEventsRegistry {
  private handler: TransferEventHandler | null = null;

  register(handler: TransferEventHandler): void {
    this.handler = handler;
  }

  /** Returns whether the transfer was one of ours. */
  handle(event: TransferEvent): Promise<boolean> {
    return this.handler ? this.handler(event) : Promise.resolve(false);
  }
}

/**
 * The envelope every event travels in, whatever the transport (BullMQ, webhooks, stream).
 * Delivery is at-least-once: consumers must de-duplicate on `id`.
 */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  /** Unique, sortable event id (`evt_…`). */
  id: string;
  /** `<context>.<entity>.<verb>`, e.g. `billing.payment.completed`. */
  type: TType;
  /** Schema version of `data`; bumped on breaking changes only. */
  version: number;
  /** ISO 8601 UTC time the state change happened. */
  occurredAt: string;
  /** The service that produced it, e.g. `astrix-billing`. */
  producer: string;
  /** The resource the event is about, e.g. `apikey_01J…` or `chg_01J…`. */
  subject: string;
  data: TData;
  /** Request or causation id linking the event to what caused it. */
  correlationId: string | null;
  /**
   * Position of this event among the events of its `subject` (1, 2, 3, …), so consumers can order
   * them: delivery order is not promised. Present on webhooks, the event history and the stream;
   * absent on in-process deliveries.
   */
  sequence?: number;
}

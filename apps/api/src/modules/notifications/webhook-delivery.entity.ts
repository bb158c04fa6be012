import { Column, Entity, Index } from 'typeorm';
import type { EventType, WebhookDeliveryStatus } from '@astrix/contracts';

/** One event to one endpoint: attempted until it succeeds or the retry schedule runs out. */
@Entity({ schema: 'platform', name: 'webhook_deliveries' })
@Index('uq_webhook_deliveries_endpoint_event', ['endpointId', 'eventId'], { unique: true })
@Index('ix_webhook_deliveries_due', ['nextAttemptAt'], { where: "status = 'pending'" })
export class WebhookDelivery {
  @Column({ type: 'text', primary: true })
  id!: string;

  @Column({ type: 'text' })
  endpointId!: string;

  @Column({ type: 'text' })
  eventId!: string;

  @Column({ type: 'text' })
  eventType!: EventType;

  @Column({ type: 'text' })
  status!: WebhookDeliveryStatus;

  /** Attempts made so far. */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** When the next attempt is due (compared with the Clock); null once succeeded or failed. */
  @Column({ type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  /** When the due attempt was handed to the queue; null until then. */
  @Column({ type: 'timestamptz', nullable: true })
  queuedAt!: Date | null;

  @Column({ type: 'integer', nullable: true })
  lastStatusCode!: number | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  completedAt!: Date | null;
}

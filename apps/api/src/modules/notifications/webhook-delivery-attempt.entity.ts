import { Column, Entity, Index } from 'typeorm';

/** The log of one HTTP attempt of a delivery. */
@Entity({ schema: 'platform', name: 'webhook_delivery_attempts' })
@Index('uq_webhook_delivery_attempts_number', ['deliveryId', 'attempt'], { unique: true })
export class WebhookDeliveryAttempt {
  @Column({ type: 'text', primary: true })
  id!: string;

  @Column({ type: 'text' })
  deliveryId!: string;

  @Column({ type: 'integer' })
  attempt!: number;

  @Column({ type: 'timestamptz' })
  startedAt!: Date;

  @Column({ type: 'integer' })
  durationMs!: number;

  @Column({ type: 'integer', nullable: true })
  statusCode!: number | null;

  /** At most 1 KiB of the answer. */
  @Column({ type: 'text', nullable: true })
  response!: string | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;
}

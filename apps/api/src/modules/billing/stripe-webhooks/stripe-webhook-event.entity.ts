import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type WebhookEventStatus = 'received' | 'processed' | 'ignored' | 'failed';

/** Every verified Stripe event, stored once by its Stripe id before any processing. */
@Entity({ schema: 'billing', name: 'stripe_webhook_events' })
@Index('ix_stripe_webhook_events_status', ['status', 'receivedAt'])
export class StripeWebhookEvent {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'text' })
  status!: WebhookEventStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ type: 'timestamptz' })
  stripeCreatedAt!: Date;

  @Column({ type: 'timestamptz' })
  receivedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  processedAt!: Date | null;
}

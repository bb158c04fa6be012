import { Column, Entity } from 'typeorm';
import type { EventType, WebhookEndpointStatus } from '@astrix/contracts';

/** A sibling service's URL receiving signed events of the types it subscribed to. */
@Entity({ schema: 'platform', name: 'webhook_endpoints' })
export class WebhookEndpoint {
  @Column({ type: 'text', primary: true })
  id!: string;

  @Column({ type: 'text' })
  url!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  @Column({ type: 'text', array: true })
  eventTypes!: EventType[];

  @Column({ type: 'text' })
  status!: WebhookEndpointStatus;

  @Column({ type: 'text', nullable: true })
  disabledReason!: 'failing' | 'manual' | null;

  /**
   * The `whsec_…` signing secret, encrypted at rest (AES-256-GCM, WEBHOOK_SECRET_KEYS; see
   * webhook-secrets.ts): opened only to sign, never logged nor shown after creation. Rows written
   * before encryption hold the plain secret until `webhooks reencrypt-secrets` seals them.
   */
  @Column({ type: 'text', name: 'secret' })
  sealedSecret!: string;

  /** The secret before the last rotation, sealed the same way; signs too until its grace ends. */
  @Column({ type: 'text', name: 'previous_secret', nullable: true })
  previousSealedSecret!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  previousSecretExpiresAt!: Date | null;

  /** First failure since the last success; null while healthy. */
  @Column({ type: 'timestamptz', nullable: true })
  failingSince!: Date | null;

  @Column({ type: 'text' })
  createdBy!: string;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}

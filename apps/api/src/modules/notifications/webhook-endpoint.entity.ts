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

  /** `whsec_…`: needed in clear to sign, so it is never logged nor shown after creation. */
  @Column({ type: 'text' })
  secret!: string;

  @Column({ type: 'text', nullable: true })
  previousSecret!: string | null;

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

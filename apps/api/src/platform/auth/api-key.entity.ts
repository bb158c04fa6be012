import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ApiKeyMode, ApiKeyScope } from '@astrix/contracts';

/** A sibling service's credential. Only a SHA-256 hash of the key is kept. */
@Entity({ schema: 'platform', name: 'api_keys' })
export class ApiKey {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  /** The first characters of the key, shown to people so they can tell keys apart. */
  @Column({ type: 'text' })
  prefix!: string;

  @Index('uq_api_keys_key_hash', { unique: true })
  @Column({ type: 'text' })
  keyHash!: string;

  @Column({ type: 'text' })
  mode!: ApiKeyMode;

  @Column({ type: 'text', array: true })
  scopes!: ApiKeyScope[];

  @Column({ type: 'text' })
  createdBy!: string;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  revokedBy!: string | null;
}

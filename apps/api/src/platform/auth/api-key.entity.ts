import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ApiKeyMode, StoredApiKeyScope } from '@astrix/contracts';

/**
 * How `keyHash` was made: `hmac-sha256` (HMAC with API_KEY_PEPPER) for every key issued now;
 * `sha256` (plain) for keys issued before the pepper, re-hashed as HMAC on their first use.
 */
export type ApiKeyHashScheme = 'sha256' | 'hmac-sha256';

/** A sibling service's credential. Only a hash of the key is kept (HMAC-SHA256 with a server pepper). */
@Entity({ schema: 'platform', name: 'api_keys' })
@Check('ck_api_keys_hash_scheme', `"hash_scheme" IN ('sha256', 'hmac-sha256')`)
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
  hashScheme!: ApiKeyHashScheme;

  @Column({ type: 'text' })
  mode!: ApiKeyMode;

  @Column({ type: 'text', array: true })
  scopes!: StoredApiKeyScope[];

  @Column({ type: 'text' })
  createdBy!: string;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  /** Recorded at most once a minute per key, off the request path. */
  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  /** After this instant the key gets 401; null never expires. */
  @Column({ type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  revokedBy!: string | null;
}

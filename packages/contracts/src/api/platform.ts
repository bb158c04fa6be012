export type ApiKeyMode = 'live' | 'test';

/**
 * Scopes an API key may be issued with: each one is accepted by at least one route (the
 * route-access e2e spec checks it; docs/security.md lists the routes per scope).
 */
export const API_KEY_SCOPES = [
  'usage:write',
  'usage:read',
  'entitlements:read',
  'accounts:write',
  'kyc:write',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * Once issuable, never accepted by any route: no longer issued. Keys that hold them keep them in
 * their scope list, where they grant nothing (as before).
 */
export const RETIRED_API_KEY_SCOPES = ['accounts:read', 'billing:read', 'events:read'] as const;
export type RetiredApiKeyScope = (typeof RETIRED_API_KEY_SCOPES)[number];
/** What a stored key's scope list may hold: issuable scopes, and retired ones on older keys. */
export type StoredApiKeyScope = ApiKeyScope | RetiredApiKeyScope;

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  mode: ApiKeyMode;
  scopes: StoredApiKeyScope[];
  createdAt: string;
  createdBy: string;
  /** Updated at most once a minute per key. */
  lastUsedAt: string | null;
  /** After this the key gets 401; null never expires. */
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface CreateApiKeyRequest {
  name: string;
  scopes: ApiKeyScope[];
  mode?: ApiKeyMode;
  /** ISO 8601 instant in the future; omitted: the key does not expire. */
  expiresAt?: string;
}

/** The raw key is shown once, here, and never again. */
export interface CreateApiKeyResponse extends ApiKeyView {
  key: string;
}

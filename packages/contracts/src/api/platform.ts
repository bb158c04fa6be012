export type ApiKeyMode = 'live' | 'test';

/** Scopes a sibling service's API key may hold. */
export const API_KEY_SCOPES = [
  'usage:write',
  'usage:read',
  'entitlements:read',
  'accounts:read',
  'accounts:write',
  'billing:read',
  'events:read',
  'kyc:write',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  mode: ApiKeyMode;
  scopes: ApiKeyScope[];
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreateApiKeyRequest {
  name: string;
  scopes: ApiKeyScope[];
  mode?: ApiKeyMode;
}

/** The raw key is shown once, here, and never again. */
export interface CreateApiKeyResponse extends ApiKeyView {
  key: string;
}

/** Events produced by the platform layer (API keys for sibling services). */
export interface ApiKeyCreatedData {
  apiKeyId: string;
  name: string;
  prefix: string;
  scopes: string[];
  mode: 'live' | 'test';
  createdBy: string;
}

export interface ApiKeyRevokedData {
  apiKeyId: string;
  name: string;
  revokedBy: string;
}

/** A webhook endpoint stopped receiving events: failing for too long, or disabled by staff. */
export interface WebhookEndpointDisabledData {
  endpointId: string;
  url: string;
  /** `failing` (disabled automatically) or `manual` (by staff). */
  reason: 'failing' | 'manual';
  /** Since when every delivery to it failed; null when disabled by staff while healthy. */
  failingSince: string | null;
  disabledBy: string;
}

export interface PlatformEventDataByType {
  'platform.api_key.created': ApiKeyCreatedData;
  'platform.api_key.revoked': ApiKeyRevokedData;
  'platform.webhook_endpoint.disabled': WebhookEndpointDisabledData;
}

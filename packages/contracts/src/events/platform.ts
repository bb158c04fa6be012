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

export interface PlatformEventDataByType {
  'platform.api_key.created': ApiKeyCreatedData;
  'platform.api_key.revoked': ApiKeyRevokedData;
}

import { parseSecretKeys } from '../crypto/secret-keys';

/** Insecure on purpose: the API key pepper outside production when API_KEY_PEPPER is unset. */
export const DEVELOPMENT_API_KEY_PEPPER = 'astrix-development-only-api-key-pepper-do-not-use';

/** Insecure on purpose: the webhook secret encryption key outside production (32 public bytes). */
export const DEVELOPMENT_WEBHOOK_SECRET_KEYS = `dev:${Buffer.from('astrix-dev-only-webhook-key-32b!').toString('base64')}`;

/** Insecure on purpose: signs hosted invoice links and stream tokens outside production. */
export const DEVELOPMENT_TOKEN_SIGNING_SECRET = 'astrix-development-only-token-signing-secret-do-not-use';

/** TOKEN_SIGNING_SECRET as its list of secrets (the first signs); throws naming the variable. */
export function parseTokenSigningSecrets(value: string): string[] {
  const secrets = value.split(',').map((secret) => secret.trim());
  if (secrets.some((secret) => secret.length < 32)) {
    throw new Error(
      'TOKEN_SIGNING_SECRET must be comma-separated secrets of at least 32 characters each (e.g. openssl rand -base64 48)',
    );
  }
  return secrets;
}

/**
 * Problems with the secrets-at-rest settings: API_KEY_PEPPER (HMAC pepper of API key hashes) and
 * WEBHOOK_SECRET_KEYS (AES-256-GCM keys of webhook signing secrets). Both are required in
 * production; elsewhere the public development values above stand in.
 */
export function secretSettingsProblems(environment: {
  NODE_ENV?: string;
  API_KEY_PEPPER?: string;
  WEBHOOK_SECRET_KEYS?: string;
  TOKEN_SIGNING_SECRET?: string;
}): string[] {
  const problems: string[] = [];
  if (environment.TOKEN_SIGNING_SECRET !== undefined) {
    try {
      parseTokenSigningSecrets(environment.TOKEN_SIGNING_SECRET);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (environment.WEBHOOK_SECRET_KEYS !== undefined) {
    try {
      parseSecretKeys(environment.WEBHOOK_SECRET_KEYS);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (environment.NODE_ENV === 'production') {
    if (!environment.API_KEY_PEPPER) problems.push('API_KEY_PEPPER is required in production');
    if (!environment.WEBHOOK_SECRET_KEYS) problems.push('WEBHOOK_SECRET_KEYS is required in production');
    if (!environment.TOKEN_SIGNING_SECRET) problems.push('TOKEN_SIGNING_SECRET is required in production');
  }
  return problems;
}

import { AppConfig } from './app-config';
import { ConfigurationError, validateEnvironment } from './environment';
import { DEVELOPMENT_API_KEY_PEPPER, DEVELOPMENT_TOKEN_SIGNING_SECRET } from './secret-settings';

const problemsOf = (raw: Record<string, string>): string[] => {
  try {
    validateEnvironment(raw);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  return [];
};

describe('secrets-at-rest settings', () => {
  const keyMaterial = Buffer.alloc(32, 9).toString('base64');

  it('requires API_KEY_PEPPER, WEBHOOK_SECRET_KEYS and TOKEN_SIGNING_SECRET in production, naming them', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toEqual(
      expect.arrayContaining([
        'API_KEY_PEPPER is required in production',
        'WEBHOOK_SECRET_KEYS is required in production',
        'TOKEN_SIGNING_SECRET is required in production',
      ]),
    );
  });

  it('uses the development values in tests and development, the configured ones when set', () => {
    const defaults = new AppConfig(validateEnvironment({ NODE_ENV: 'test' }));
    expect(defaults.apiKeyPepper).toBe(DEVELOPMENT_API_KEY_PEPPER);
    expect(defaults.webhookSecretKeys.map((key) => key.id)).toEqual(['dev']);
    const configured = new AppConfig(
      validateEnvironment({
        NODE_ENV: 'test',
        API_KEY_PEPPER: 'q'.repeat(48),
        WEBHOOK_SECRET_KEYS: `new:${keyMaterial},old:${Buffer.alloc(32, 1).toString('base64')}`,
      }),
    );
    expect(configured.apiKeyPepper).toBe('q'.repeat(48));
    expect(configured.webhookSecretKeys.map((key) => key.id)).toEqual(['new', 'old']);
  });

  it('refuses a short pepper and a malformed key list without printing key material', () => {
    expect(problemsOf({ NODE_ENV: 'test', API_KEY_PEPPER: 'short' }).join('\n')).toMatch(
      /API_KEY_PEPPER must be at least 32 characters/,
    );
    const problems = problemsOf({ NODE_ENV: 'test', WEBHOOK_SECRET_KEYS: `k1:${keyMaterial.slice(4)}` });
    expect(problems.join('\n')).toMatch(/WEBHOOK_SECRET_KEYS: key "k1" must be 32 random bytes/);
    expect(problems.join('\n')).not.toContain(keyMaterial.slice(4));
  });

  it('reads TOKEN_SIGNING_SECRET as a list (the first signs) and refuses a short one without printing it', () => {
    expect(new AppConfig(validateEnvironment({ NODE_ENV: 'test' })).tokenSigningSecrets).toEqual([
      DEVELOPMENT_TOKEN_SIGNING_SECRET,
    ]);
    const configured = new AppConfig(
      validateEnvironment({ NODE_ENV: 'test', TOKEN_SIGNING_SECRET: `${'n'.repeat(40)}, ${'o'.repeat(32)}` }),
    );
    expect(configured.tokenSigningSecrets).toEqual(['n'.repeat(40), 'o'.repeat(32)]);
    const problems = problemsOf({ NODE_ENV: 'test', TOKEN_SIGNING_SECRET: `${'n'.repeat(40)},short-secret` });
    expect(problems.join('\n')).toMatch(
      /TOKEN_SIGNING_SECRET must be comma-separated secrets of at least 32/,
    );
    expect(problems.join('\n')).not.toContain('short-secret');
  });
});

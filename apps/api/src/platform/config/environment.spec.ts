import { ConfigurationError, DEVELOPMENT_JWT_SECRET, validateEnvironment } from './environment';
import { insecureDefaultsWarning } from './insecure-defaults-warning';
import { AppConfig } from './app-config';

const problemsOf = (raw: Record<string, string>): string[] => {
  try {
    validateEnvironment(raw);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  return [];
};

describe('validateEnvironment', () => {
  it('gives sane local defaults in development', () => {
    const environment = validateEnvironment({ NODE_ENV: 'development' });
    expect(environment).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/astrix',
      REDIS_URL: 'redis://127.0.0.1:6379',
      LOG_LEVEL: 'info',
      WORKERS_ENABLED: true,
      STRIPE_SANDBOX_PORT: 12111,
    });
    const config = new AppConfig(environment);
    expect(config.migrationsRun).toBe(true);
    expect(config.jwt).toEqual({ algorithm: 'HS256', secret: DEVELOPMENT_JWT_SECRET });
  });

  it('parses numbers and booleans from strings', () => {
    const environment = validateEnvironment({
      NODE_ENV: 'test',
      PORT: '8080',
      WORKERS_ENABLED: 'false',
      MIGRATIONS_RUN: '1',
    });
    expect(environment.PORT).toBe(8080);
    expect(environment.WORKERS_ENABLED).toBe(false);
    expect(environment.MIGRATIONS_RUN).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ AUTH_JWT_SECRET: 'short' }, 'AUTH_JWT_SECRET'],
    [{ AUTH_JWT_PUBLIC_KEY: 'not a pem' }, 'AUTH_JWT_PUBLIC_KEY'],
    [{ STRIPE_SECRET_KEY: 'pk_test_123' }, 'STRIPE_SECRET_KEY'],
    [{ WORKERS_ENABLED: 'maybe' }, 'WORKERS_ENABLED'],
    [{ REFUND_PENDING_BOUND_SECONDS: '0' }, 'REFUND_PENDING_BOUND_SECONDS'],
    [{ REFUND_PENDING_BOUND_SECONDS: 'an hour' }, 'REFUND_PENDING_BOUND_SECONDS'],
    [{ REFUND_RETRY_DELAY_MS: '-5' }, 'REFUND_RETRY_DELAY_MS'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
  ])('names the bad variable in %j', (raw, variable) => {
    const problems = problemsOf(raw);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toContain(variable);
  });

  it('requires real secrets in production', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toEqual(
      expect.arrayContaining([
        'AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY is required in production',
        'STRIPE_SECRET_KEY is required in production',
        'STRIPE_WEBHOOK_SECRET is required in production',
      ]),
    );
  });

  it('builds return links on PUBLIC_URL, http://localhost:PORT by default outside production', () => {
    expect(new AppConfig(validateEnvironment({ NODE_ENV: 'development', PORT: '8080' })).publicUrl).toBe(
      'http://localhost:8080',
    );
    expect(new AppConfig(validateEnvironment({ NODE_ENV: 'test' })).publicUrl).toBe('http://localhost:3000');
    const configured = validateEnvironment({
      NODE_ENV: 'test',
      PUBLIC_URL: 'https://billing.example.com/astrix/',
    });
    expect(new AppConfig(configured).publicUrl).toBe('https://billing.example.com/astrix');
  });

  it('requires PUBLIC_URL in production, naming it', () => {
    const production = {
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: 'x'.repeat(40),
      STRIPE_SECRET_KEY: 'sk_live_abc',
      STRIPE_WEBHOOK_SECRET: 'whsec_abc',
      API_KEY_PEPPER: 'p'.repeat(40),
      WEBHOOK_SECRET_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
      TOKEN_SIGNING_SECRET: 't'.repeat(40),
      AUTH_JWT_ISSUER: 'https://identity.example.com',
      AUTH_JWT_AUDIENCE: 'astrix-billing',
    };
    expect(problemsOf(production)).toEqual([
      'PUBLIC_URL is required in production (customers return to it after paying)',
    ]);
    expect(problemsOf({ ...production, PUBLIC_URL: 'https://billing.example.com' })).toEqual([]);
  });

  it.each(['billing.example.com', 'ftp://billing.example.com', 'https://billing.example.com/?a=1'])(
    'refuses PUBLIC_URL %s',
    (url) => {
      expect(problemsOf({ PUBLIC_URL: url }).join()).toContain('PUBLIC_URL must be an absolute http(s) URL');
    },
  );

  it('refuses both an HS256 secret and an RS256 key', () => {
    const problems = problemsOf({
      AUTH_JWT_SECRET: 'x'.repeat(40),
      AUTH_JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----',
    });
    expect(problems.join()).toMatch(/exclusive/);
  });

  it('never echoes a secret value in its messages', () => {
    const error = (() => {
      try {
        validateEnvironment({ AUTH_JWT_SECRET: 'tooshort-secret' });
      } catch (caught) {
        return caught as Error;
      }
      return null;
    })();
    expect(error?.message).toContain('AUTH_JWT_SECRET');
    expect(error?.message).not.toContain('tooshort-secret');
  });

  describe('fails closed without an explicit opt-in', () => {
    const realSecrets = {
      AUTH_JWT_SECRET: 'x'.repeat(40),
      STRIPE_SECRET_KEY: 'sk_live_abc',
      STRIPE_WEBHOOK_SECRET: 'whsec_abc',
      API_KEY_PEPPER: 'p'.repeat(40),
      WEBHOOK_SECRET_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
      TOKEN_SIGNING_SECRET: 't'.repeat(40),
    };

    it('refuses to start with NODE_ENV unset and no secrets, naming each missing variable', () => {
      const problems = problemsOf({});
      expect(problems.map((problem) => problem.split(' is required')[0])).toEqual([
        'AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY',
        'STRIPE_SECRET_KEY',
        'STRIPE_WEBHOOK_SECRET',
        'API_KEY_PEPPER',
        'WEBHOOK_SECRET_KEYS',
        'TOKEN_SIGNING_SECRET',
      ]);
      for (const problem of problems) {
        expect(problem).toContain(
          'is required when NODE_ENV is not set (development defaults need NODE_ENV=development or ASTRIX_SANDBOX=true)',
        );
      }
    });

    it('starts with real secrets and NODE_ENV unset, with no insecure default and no warning', () => {
      const environment = validateEnvironment(realSecrets);
      const config = new AppConfig(environment);
      expect(config.insecureDefaultsAllowed).toBe(false);
      expect(config.outboundWebhooks).toMatchObject({ allowPrivateNetworks: false, allowHttp: false });
      expect(config.jwt).toEqual({ algorithm: 'HS256', secret: realSecrets.AUTH_JWT_SECRET });
      expect(insecureDefaultsWarning(environment)).toBeNull();
    });

    it.each([{ ASTRIX_SANDBOX: 'true' }, { NODE_ENV: 'development' }, { NODE_ENV: 'test' }])(
      'starts on the development defaults with the opt-in %j, with a warning naming them',
      (optIn) => {
        const environment = validateEnvironment(optIn);
        const config = new AppConfig(environment);
        expect(config.insecureDefaultsAllowed).toBe(true);
        expect(config.jwt).toEqual({ algorithm: 'HS256', secret: DEVELOPMENT_JWT_SECRET });
        expect(config.outboundWebhooks).toMatchObject({ allowPrivateNetworks: true, allowHttp: true });
        const warning = insecureDefaultsWarning(environment);
        expect(warning).toMatch(/^INSECURE development defaults in use/);
        for (const variable of ['AUTH_JWT_SECRET', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET']) {
          expect(warning).toContain(variable);
        }
      },
    );

    it('lets ASTRIX_SANDBOX=false close a development environment', () => {
      expect(problemsOf({ NODE_ENV: 'development', ASTRIX_SANDBOX: 'false' })).toHaveLength(6);
      expect(
        validateEnvironment({ NODE_ENV: 'development', ASTRIX_SANDBOX: 'false', ...realSecrets }),
      ).toBeTruthy();
    });

    it('refuses the sandbox in production', () => {
      expect(problemsOf({ NODE_ENV: 'production', ASTRIX_SANDBOX: 'true' })).toContain(
        'ASTRIX_SANDBOX=true is refused in production',
      );
    });

    it('refuses the sandbox clock in production, and leaves it off without the sandbox or the opt-in', () => {
      expect(problemsOf({ NODE_ENV: 'production', SANDBOX_CLOCK: 'true' })).toContain(
        'SANDBOX_CLOCK=true is refused in production',
      );
      const clockOn = (env: Record<string, string>) =>
        new AppConfig(validateEnvironment({ ...realSecrets, ...env })).sandboxClockEnabled;
      expect(clockOn({ NODE_ENV: 'development', SANDBOX_CLOCK: 'true' })).toBe(true);
      expect(clockOn({ ASTRIX_SANDBOX: 'true', SANDBOX_CLOCK: 'true' })).toBe(true);
      expect(clockOn({ NODE_ENV: 'development' })).toBe(false);
      expect(clockOn({ NODE_ENV: 'development', ASTRIX_SANDBOX: 'false', SANDBOX_CLOCK: 'true' })).toBe(
        false,
      );
      expect(clockOn({ SANDBOX_CLOCK: 'true' })).toBe(false);
    });

    it('requires AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE in production', () => {
      const problems = problemsOf({
        NODE_ENV: 'production',
        ...realSecrets,
        PUBLIC_URL: 'https://billing.example.com',
      });
      expect(problems).toEqual([
        'AUTH_JWT_ISSUER is required in production',
        'AUTH_JWT_AUDIENCE is required in production',
      ]);
    });
  });
});

describe('seller details (SELLER_NAME, SELLER_ADDRESS, SELLER_TAX_ID)', () => {
  it('default to the issuing entity, and read \\n in the address as line breaks', () => {
    expect(new AppConfig(validateEnvironment({ NODE_ENV: 'development' })).seller).toEqual({
      name: 'Astrix Trading Ltd.',
      address: '20 Fenchurch Street, 4th Floor, London EC3M 3BY, United Kingdom',
      taxId: 'GB 394 1275 60',
    });
    const configured = validateEnvironment({
      NODE_ENV: 'development',
      SELLER_NAME: 'Astrix Trading Europe GmbH',
      SELLER_ADDRESS: 'Unter den Linden 1\\n10117 Berlin',
      SELLER_TAX_ID: '',
    });
    expect(new AppConfig(configured).seller).toEqual({
      name: 'Astrix Trading Europe GmbH',
      address: 'Unter den Linden 1\n10117 Berlin',
      taxId: null,
    });
  });

  it('refuses an empty seller name', () => {
    expect(problemsOf({ NODE_ENV: 'development', SELLER_NAME: '' })).toEqual([
      'SELLER_NAME must be 1 to 200 characters',
    ]);
  });
});

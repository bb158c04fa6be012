import { sign } from 'jsonwebtoken';
import { Command, CommandRunner, Option } from 'nest-commander';
import { AppConfig } from '../config/app-config';

interface DevTokenOptions {
  sub: string;
  roles?: string[];
  email?: string;
  ttl?: number;
}

/** Mints a JWT the API accepts, for local development and scripts. Printed alone. */
@Command({ name: 'dev-token', description: 'Mint a development JWT (HS256 only)' })
export class DevTokenCommand extends CommandRunner {
  constructor(private readonly config: AppConfig) {
    super();
  }

  async run(_parameters: string[], options: DevTokenOptions): Promise<void> {
    const settings = this.config.jwt;
    if (settings.algorithm !== 'HS256') {
      throw new Error(
        'dev-token needs AUTH_JWT_SECRET (HS256); with AUTH_JWT_PUBLIC_KEY the identity service mints tokens',
      );
    }
    if (!this.config.insecureDefaultsAllowed) {
      throw new Error('dev-token is refused unless NODE_ENV=development or test, or ASTRIX_SANDBOX=true');
    }
    const token = sign(
      { sub: options.sub, roles: options.roles ?? [], ...(options.email ? { email: options.email } : {}) },
      settings.secret,
      {
        algorithm: 'HS256',
        expiresIn: options.ttl ?? 3600,
        ...(settings.issuer ? { issuer: settings.issuer } : {}),
        ...(settings.audience ? { audience: settings.audience } : {}),
      },
    );
    process.stdout.write(`${token}\n`);
  }

  @Option({ flags: '--sub <user>', description: 'User id (sub claim)', required: true })
  parseSub(value: string): string {
    return value;
  }

  @Option({ flags: '--roles <roles>', description: 'Comma-separated roles, e.g. support,finance' })
  parseRoles(value: string): string[] {
    return value
      .split(',')
      .map((role) => role.trim())
      .filter(Boolean);
  }

  @Option({ flags: '--email <email>', description: 'email claim' })
  parseEmail(value: string): string {
    return value;
  }

  @Option({ flags: '--ttl <seconds>', description: 'Lifetime in seconds (default 3600)' })
  parseTtl(value: string): number {
    const seconds = Number(value);
    if (!Number.isInteger(seconds) || seconds < 1)
      throw new Error('--ttl must be a positive whole number of seconds');
    return seconds;
  }
}

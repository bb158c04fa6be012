import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { Environment, ENVIRONMENT_VARIABLES } from './environment';
import { fraudSettingsFrom } from './fraud-settings';
import { secretSettingsProblems } from './secret-settings';
import { trustProxyFrom } from './trust-proxy';

/*
 * Reading the environment at start: validateEnvironment turns raw variables into a checked
 * Environment (environment.ts declares each variable) or throws naming every bad one.
 */

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? message : `${error.property}: ${message}`,
    ),
  );
}

/**
 * Whether the dangerous local defaults may apply: the public development JWT secret, the sandbox
 * Stripe with its public webhook secret, outbound webhooks to private networks and over http.
 * Only on explicit opt-in (NODE_ENV=development|test or ASTRIX_SANDBOX=true), never in production.
 */
export function allowsInsecureDefaults(
  environment: Pick<Environment, 'NODE_ENV' | 'ASTRIX_SANDBOX'>,
): boolean {
  if (environment.NODE_ENV === 'production') return false;
  return (
    environment.ASTRIX_SANDBOX ?? (environment.NODE_ENV === 'development' || environment.NODE_ENV === 'test')
  );
}

/** Without the opt-in, every secret the insecure defaults would stand in for must be set. */
function missingRealSecrets(environment: Environment): string[] {
  if (allowsInsecureDefaults(environment)) return [];
  const unless =
    environment.NODE_ENV === 'production'
      ? 'in production'
      : `when NODE_ENV is ${environment.NODE_ENV ?? 'not set'} (development defaults need NODE_ENV=development or ASTRIX_SANDBOX=true)`;
  const missing: string[] = [];
  if (!environment.AUTH_JWT_SECRET && !environment.AUTH_JWT_PUBLIC_KEY) {
    missing.push(`AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY is required ${unless}`);
  }
  if (!environment.STRIPE_SECRET_KEY) missing.push(`STRIPE_SECRET_KEY is required ${unless}`);
  if (!environment.STRIPE_WEBHOOK_SECRET) missing.push(`STRIPE_WEBHOOK_SECRET is required ${unless}`);
  // secretSettingsProblems names these in production.
  if (environment.NODE_ENV !== 'production') {
    if (!environment.API_KEY_PEPPER) missing.push(`API_KEY_PEPPER is required ${unless}`);
    if (!environment.WEBHOOK_SECRET_KEYS) missing.push(`WEBHOOK_SECRET_KEYS is required ${unless}`);
    if (!environment.TOKEN_SIGNING_SECRET) missing.push(`TOKEN_SIGNING_SECRET is required ${unless}`);
  }
  return missing;
}

/** Parses and validates raw environment variables; throws naming every bad variable. */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const relevant = Object.fromEntries(
    Object.entries(raw).filter(([name]) => (ENVIRONMENT_VARIABLES as readonly string[]).includes(name)),
  );
  const environment = plainToInstance(Environment, relevant, { exposeDefaultValues: true });
  const problems = describe(validateSync(environment, { skipMissingProperties: false }));

  try {
    fraudSettingsFrom(environment.FRAUD_RULES);
  } catch (error) {
    problems.push((error as Error).message);
  }
  try {
    trustProxyFrom(environment.TRUST_PROXY);
  } catch (error) {
    problems.push((error as Error).message);
  }
  problems.push(...secretSettingsProblems(environment));
  if (environment.AUTH_JWT_SECRET && environment.AUTH_JWT_PUBLIC_KEY) {
    problems.push('AUTH_JWT_SECRET and AUTH_JWT_PUBLIC_KEY are exclusive: set one (HS256 or RS256)');
  }
  problems.push(...missingRealSecrets(environment));
  if (environment.TAX_ENGINE === 'stripe' && !environment.STRIPE_SECRET_KEY) {
    problems.push(
      'TAX_ENGINE=stripe needs STRIPE_SECRET_KEY: the sandbox (no Stripe key) has no Stripe Tax and uses the rate table (TAX_ENGINE=rate-table)',
    );
  }
  if (environment.NODE_ENV === 'production') {
    if (environment.ASTRIX_SANDBOX === true) problems.push('ASTRIX_SANDBOX=true is refused in production');
    if (environment.SANDBOX_CLOCK === true) problems.push('SANDBOX_CLOCK=true is refused in production');
    if (!environment.AUTH_JWT_ISSUER) problems.push('AUTH_JWT_ISSUER is required in production');
    if (!environment.AUTH_JWT_AUDIENCE) problems.push('AUTH_JWT_AUDIENCE is required in production');
    if (!environment.PUBLIC_URL) {
      problems.push('PUBLIC_URL is required in production (customers return to it after paying)');
    }
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return environment;
}

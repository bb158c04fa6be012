import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const normalized = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
  if (['false', '0', 'no', 'off'].includes(normalized)) return false;
  return value;
};
const toInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export const TAX_ENGINES = ['rate-table', 'stripe'] as const;
export type TaxEngine = (typeof TAX_ENGINES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Insecure on purpose: only ever accepted outside production. */
export const DEVELOPMENT_JWT_SECRET = 'astrix-development-only-jwt-secret-do-not-use';

/**
 * Every setting the service reads, with local defaults. Documented in `.env.example`;
 * sibling teams script against these names, so they do not change.
 */
export class Environment {
  /**
   * development | test | production. Unset is none of them and fails closed: no insecure default
   * (development JWT secret, sandbox Stripe, webhooks to private networks) applies without an opt-in.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(NODE_ENVS)
  NODE_ENV?: NodeEnv;

  /**
   * Opt-in to the local sandbox defaults whatever NODE_ENV says (except production): the public
   * development JWT secret, the built-in fake Stripe, outbound webhooks to private networks.
   * Defaults to on with NODE_ENV=development or test, off otherwise. `pnpm start` sets it, loudly.
   */
  @Transform(toBoolean)
  @IsOptional()
  @IsBoolean()
  ASTRIX_SANDBOX?: boolean;

  /** The movable sandbox clock (`POST /v1/admin/sandbox/clock/advance`); refused in production. */
  @Transform(toBoolean)
  @IsOptional()
  @IsBoolean()
  SANDBOX_CLOCK?: boolean;

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  /**
   * Where customers reach this service (scheme, host, optional path): payment return pages are built
   * on it. Defaults to http://localhost:PORT outside production; required in production.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, {
    message:
      'PUBLIC_URL must be an absolute http(s) URL without query or fragment, e.g. https://billing.example.com',
  })
  PUBLIC_URL?: string;

  /**
   * The legal entity that issues invoices and credit notes (each document keeps a copy, so a change
   * here never rewrites documents already issued). SELLER_ADDRESS lines are separated by ", " or "\n".
   */
  @IsString()
  @Length(1, 200, { message: 'SELLER_NAME must be 1 to 200 characters' })
  SELLER_NAME = 'Astrix Trading Ltd.';

  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.replace(/\\n/g, '\n') : value,
  )
  @IsString()
  @Length(1, 500, { message: 'SELLER_ADDRESS must be 1 to 500 characters' })
  SELLER_ADDRESS = '20 Fenchurch Street, 4th Floor, London EC3M 3BY, United Kingdom';

  /** The seller's VAT or company tax id printed on documents; empty for none. */
  @IsString()
  @Length(0, 50, { message: 'SELLER_TAX_ID must be at most 50 characters' })
  SELLER_TAX_ID = 'GB 394 1275 60';

  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/astrix';

  /**
   * The role that runs migrations and owns the tables; default DATABASE_URL (one role: only the
   * triggers keep append-only tables so). Another user here makes DATABASE_URL's user the app role:
   * `db migrate` creates it if missing, grants it the app's rights and revokes UPDATE, DELETE and
   * TRUNCATE on the append-only tables (platform/database/app-role.ts).
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_MIGRATION_URL must be a postgres:// URL' })
  DATABASE_MIGRATION_URL?: string;

  /** Connections in each process's pool (API, worker). */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(500)
  DATABASE_POOL_SIZE = 20;
  /** Wait for a connection before failing. */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(120_000)
  DATABASE_CONNECT_TIMEOUT_MS = 5_000;
  /** Postgres cancels an API or worker statement running longer (0: none; never the CLI). docs/deploy.md */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  DATABASE_STATEMENT_TIMEOUT_MS = 0;

  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'AUTH_JWT_SECRET must be at least 32 characters' })
  AUTH_JWT_SECRET?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/, {
    message: 'AUTH_JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)',
  })
  AUTH_JWT_PUBLIC_KEY?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  AUTH_JWT_ISSUER?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  AUTH_JWT_AUDIENCE?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^(sk|rk)_(test|live)_\w+$/, {
    message: 'STRIPE_SECRET_KEY must look like sk_test_… or sk_live_…',
  })
  STRIPE_SECRET_KEY?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^whsec_\w+$/, { message: 'STRIPE_WEBHOOK_SECRET must look like whsec_…' })
  STRIPE_WEBHOOK_SECRET?: string;

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(65535)
  STRIPE_SANDBOX_PORT = 12111;

  /** Stripe API origin with a secret key (default https://api.stripe.com): proxy, emulator, tests. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+\/?$/, { message: 'STRIPE_API_URL must be an http(s) origin' })
  STRIPE_API_URL?: string;

  /**
   * Where tax decisions come from: `rate-table` (default; billing.tax_rates, the sandbox's source) or
   * `stripe` (Stripe Tax calculations; live mode only: needs STRIPE_SECRET_KEY). docs/finance.md.
   */
  @IsIn(TAX_ENGINES, { message: `TAX_ENGINE must be one of ${TAX_ENGINES.join(', ')}` })
  TAX_ENGINE: TaxEngine = 'rate-table';

  /**
   * Server-side secret mixed into API key hashes (HMAC-SHA256): a copy of the api_keys table alone
   * cannot check a guessed key. Required in production; changing it invalidates every key issued
   * under it (docs/runbooks/secrets.md).
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'API_KEY_PEPPER must be at least 32 characters (e.g. openssl rand -base64 48)' })
  API_KEY_PEPPER?: string;

  /**
   * AES-256-GCM keys encrypting outbound webhook signing secrets at rest, `id:base64key,…`: the first
   * encrypts, all decrypt (rotation in docs/runbooks/secrets.md). Required in production.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  WEBHOOK_SECRET_KEYS?: string;

  /**
   * HMAC-SHA256 secrets signing hosted invoice links and EventSource stream tokens, comma-separated,
   * each at least 32 characters: the first signs, all verify (rotation). Required in production.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  TOKEN_SIGNING_SECRET?: string;

  /** How long a hosted invoice link (`GET /v1/billing/invoices/:id/hosted-link`) stays valid. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(365)
  HOSTED_INVOICE_LINK_TTL_DAYS = 30;

  /** How long a stream token (`POST /v1/billing/stream-tokens`) may be used to open the stream. */
  @Transform(toInteger)
  @IsInt()
  @Min(10)
  @Max(3_600)
  STREAM_TOKEN_TTL_SECONDS = 60;

  /** Fraud rule thresholds as JSON overriding the defaults (see modules/billing/fraud/fraud-settings.ts). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  FRAUD_RULES?: string;

  /** Global dunning schedule: days after the first failed renewal at which collection is retried. */
  @Matches(/^\d{1,3}(,\d{1,3}){0,9}$/, {
    message: 'DUNNING_RETRY_DAYS must be comma-separated day counts, e.g. 1,3,5,7',
  })
  DUNNING_RETRY_DAYS = '1,3,5,7';

  /**
   * What happens to a checkout payment whose coupon redemption is refused when the money arrives
   * (limits lowered after the session reserved the coupon): refund_payment refunds it in full and
   * provisions nothing. See docs/runbooks/coupons.md for why there is no other option yet.
   */
  @IsIn(['refund_payment'])
  COUPON_REFUSED_AT_PAYMENT = 'refund_payment' as const;

  /** What happens to a subscription once every dunning retry has failed. */
  @IsIn(['pause', 'cancel'])
  DUNNING_FINAL_ACTION: 'pause' | 'cancel' = 'cancel';

  /** Failed collection attempts after which a subscription turns past_due. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(10)
  DUNNING_PAST_DUE_AFTER_ATTEMPTS = 1;

  /** Cron (UTC) of the billing run, shared in Redis; `off` removes the schedule, empty leaves it. */
  @IsString()
  BILLING_RUN_CRON = '*/15 * * * *';

  /** Cron (UTC) of the daily reconciliation against Stripe; `off` removes it, empty leaves it. */
  @IsString()
  RECONCILIATION_CRON = '30 2 * * *';

  /** Balance transactions asked per page while reconciling (Stripe's maximum is 100). */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(10_000)
  RECONCILIATION_PAGE_SIZE = 100;

  /** An evaluation closed before its first trade within this many days gets its fee back, once. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(365)
  COOLING_OFF_DAYS = 14;

  /**
   * A refund still pending this long is settled by the sweep asking the processor (and counts as a
   * finding of the books check).
   */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(7 * 86_400)
  REFUND_PENDING_BOUND_SECONDS = 3_600;

  /** Delay before the first retry of a refund the processor did not answer; doubles per retry. */
  @Transform(toInteger)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  REFUND_RETRY_DELAY_MS = 30_000;

  /** Per attempt; the SDK retries timeouts (with the same idempotency key) twice. */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(120_000)
  STRIPE_TIMEOUT_MS = 30_000;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /** Apply pending migrations at start; defaults to on in development only. */
  @Transform(toBoolean)
  @IsOptional()
  @IsBoolean()
  MIGRATIONS_RUN?: boolean;

  /** Run queue workers and the outbox relay in this process. */
  @Transform(toBoolean)
  @IsBoolean()
  WORKERS_ENABLED = true;

  @Transform(toInteger)
  @IsInt()
  @Min(1024)
  @Max(50 * 1024 * 1024)
  HTTP_BODY_LIMIT_BYTES = 1024 * 1024;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_MINUTE = 1200;

  /**
   * Proxies whose X-Forwarded-For and edge headers (cf-ipcountry) are believed: off (default), a
   * hop count, or comma-separated addresses/CIDR ranges (see trust-proxy.ts). Off, the caller is
   * the socket's peer for rate limits and fraud rules.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  TRUST_PROXY?: string;

  @Transform(toInteger)
  @IsInt()
  @Min(24)
  IDEMPOTENCY_TTL_HOURS = 24;

  @Transform(toInteger)
  @IsInt()
  @Min(10)
  OUTBOX_POLL_INTERVAL_MS = 250;

  /** Port of GET /metrics (Prometheus) in the API and worker processes, on HOST; unset = off. */
  @Transform((params) => toInteger({ value: emptyToUndefined(params) }))
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  METRICS_PORT?: number;

  /**
   * Port on HOST where the API also answers the entitlement checks, and nothing else, without the
   * hooks of the public API (docs/adr/0005-usage-and-entitlements.md); unset = off, 0 = any free port.
   */
  @Transform((params) => toInteger({ value: emptyToUndefined(params) }))
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  ENTITLEMENT_CHECK_PORT?: number;

  /** Prefix of every Redis key (queues, rate limits); lets several stacks share one Redis. */
  @Matches(/^[a-z0-9_-]{1,40}$/, { message: 'QUEUE_PREFIX must be 1-40 characters of a-z, 0-9, _ or -' })
  QUEUE_PREFIX = 'astrix';

  /** Outbound webhooks may go to private, loopback and link-local addresses (default: outside production). */
  @Transform(toBoolean)
  @IsOptional()
  @IsBoolean()
  OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS?: boolean;

  /** Outbound webhook endpoints may use plain http:// (default: outside production). */
  @Transform(toBoolean)
  @IsOptional()
  @IsBoolean()
  OUTBOUND_WEBHOOKS_ALLOW_HTTP?: boolean;

  /** Per delivery attempt: connect, send and read the answer. */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(60_000)
  OUTBOUND_WEBHOOKS_TIMEOUT_MS = 10_000;

  /** An endpoint whose every delivery failed for this long is disabled (and staff told by an event). */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  OUTBOUND_WEBHOOKS_DISABLE_AFTER_HOURS = 72;
}

export const ENVIRONMENT_VARIABLES = [
  'NODE_ENV',
  'ASTRIX_SANDBOX',
  'SANDBOX_CLOCK',
  'PORT',
  'HOST',
  'PUBLIC_URL',
  'SELLER_NAME',
  'SELLER_ADDRESS',
  'SELLER_TAX_ID',
  'DATABASE_URL',
  'DATABASE_MIGRATION_URL',
  'DATABASE_POOL_SIZE',
  'DATABASE_CONNECT_TIMEOUT_MS',
  'DATABASE_STATEMENT_TIMEOUT_MS',
  'REDIS_URL',
  'AUTH_JWT_SECRET',
  'AUTH_JWT_PUBLIC_KEY',
  'AUTH_JWT_ISSUER',
  'AUTH_JWT_AUDIENCE',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_SANDBOX_PORT',
  'STRIPE_API_URL',
  'TAX_ENGINE',
  'API_KEY_PEPPER',
  'WEBHOOK_SECRET_KEYS',
  'TOKEN_SIGNING_SECRET',
  'HOSTED_INVOICE_LINK_TTL_DAYS',
  'STREAM_TOKEN_TTL_SECONDS',
  'STRIPE_TIMEOUT_MS',
  'REFUND_PENDING_BOUND_SECONDS',
  'REFUND_RETRY_DELAY_MS',
  'COOLING_OFF_DAYS',
  'DUNNING_RETRY_DAYS',
  'DUNNING_FINAL_ACTION',
  'COUPON_REFUSED_AT_PAYMENT',
  'DUNNING_PAST_DUE_AFTER_ATTEMPTS',
  'BILLING_RUN_CRON',
  'RECONCILIATION_CRON',
  'RECONCILIATION_PAGE_SIZE',
  'FRAUD_RULES',
  'LOG_LEVEL',
  'MIGRATIONS_RUN',
  'WORKERS_ENABLED',
  'HTTP_BODY_LIMIT_BYTES',
  'RATE_LIMIT_PER_MINUTE',
  'TRUST_PROXY',
  'IDEMPOTENCY_TTL_HOURS',
  'OUTBOX_POLL_INTERVAL_MS',
  'METRICS_PORT',
  'ENTITLEMENT_CHECK_PORT',
  'QUEUE_PREFIX',
  'OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS',
  'OUTBOUND_WEBHOOKS_ALLOW_HTTP',
  'OUTBOUND_WEBHOOKS_TIMEOUT_MS',
  'OUTBOUND_WEBHOOKS_DISABLE_AFTER_HOURS',
] as const satisfies readonly (keyof Environment)[];

// Validation lives beside it (validate-environment.ts); these names are imported from here too.
export { allowsInsecureDefaults, ConfigurationError, validateEnvironment } from './validate-environment';

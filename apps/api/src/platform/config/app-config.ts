import { Injectable } from '@nestjs/common';
import { FraudSettings, fraudSettingsFrom } from './fraud-settings';
import { TrustProxy, trustProxyFrom } from './trust-proxy';
import { parseSecretKeys, SecretKey } from '../crypto/secret-keys';
import {
  DEVELOPMENT_API_KEY_PEPPER,
  DEVELOPMENT_TOKEN_SIGNING_SECRET,
  DEVELOPMENT_WEBHOOK_SECRET_KEYS,
  parseTokenSigningSecrets,
} from './secret-settings';
import {
  allowsInsecureDefaults,
  DEVELOPMENT_JWT_SECRET,
  Environment,
  LogLevel,
  NodeEnv,
} from './environment';

export type JwtVerification =
  | { algorithm: 'HS256'; secret: string; issuer?: string; audience?: string }
  | { algorithm: 'RS256'; publicKey: string; issuer?: string; audience?: string };

/** Typed, validated settings. Built once from the environment at start. */
@Injectable()
export class AppConfig {
  private fraudSettings: FraudSettings | null = null;

  constructor(private readonly env: Environment) {}

  /** Unset is its own case: it fails closed like production (see allowsInsecureDefaults). */
  get nodeEnv(): NodeEnv | undefined {
    return this.env.NODE_ENV;
  }
  get isProduction(): boolean {
    return this.env.NODE_ENV === 'production';
  }
  /** Development JWT secret, sandbox Stripe, webhooks to private networks: only on explicit opt-in. */
  get insecureDefaultsAllowed(): boolean {
    return allowsInsecureDefaults(this.env);
  }
  /** The movable sandbox clock: SANDBOX_CLOCK=true with the sandbox on; never in production. */
  get sandboxClockEnabled(): boolean {
    return this.env.SANDBOX_CLOCK === true && allowsInsecureDefaults(this.env);
  }
  get port(): number {
    return this.env.PORT;
  }
  get host(): string {
    return this.env.HOST;
  }
  /** Largest request body accepted, in bytes. */
  get httpBodyLimitBytes(): number {
    return this.env.HTTP_BODY_LIMIT_BYTES;
  }
  /** Port of the entitlement checks' own listener; null = off. */
  get entitlementCheckPort(): number | null {
    return this.env.ENTITLEMENT_CHECK_PORT ?? null;
  }
  /** Base of the links customers follow back to us (payment return pages), without a trailing slash. */
  get publicUrl(): string {
    return (this.env.PUBLIC_URL ?? `http://localhost:${this.env.PORT}`).replace(/\/+$/, '');
  }
  /** Who issues invoices and credit notes (SELLER_NAME, SELLER_ADDRESS, SELLER_TAX_ID). */
  get seller(): { name: string; address: string; taxId: string | null } {
    return {
      name: this.env.SELLER_NAME,
      address: this.env.SELLER_ADDRESS,
      taxId: this.env.SELLER_TAX_ID.trim() === '' ? null : this.env.SELLER_TAX_ID,
    };
  }
  get databaseUrl(): string {
    return this.env.DATABASE_URL;
  }
  /** The owner role's connection, for migrations (and the app role's grants); default DATABASE_URL. */
  get databaseMigrationUrl(): string {
    return this.env.DATABASE_MIGRATION_URL ?? this.env.DATABASE_URL;
  }
  /** Pool size and timeouts of the app's connections (node-postgres pool options). */
  get databasePool(): { max: number; connectionTimeoutMillis: number; statementTimeoutMs: number } {
    return {
      max: this.env.DATABASE_POOL_SIZE,
      connectionTimeoutMillis: this.env.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: this.env.DATABASE_STATEMENT_TIMEOUT_MS,
    };
  }
  get redisUrl(): string {
    return this.env.REDIS_URL;
  }
  get logLevel(): LogLevel {
    return this.env.LOG_LEVEL;
  }
  get migrationsRun(): boolean {
    return this.env.MIGRATIONS_RUN ?? this.env.NODE_ENV === 'development';
  }
  get workersEnabled(): boolean {
    return this.env.WORKERS_ENABLED;
  }
  get bodyLimitBytes(): number {
    return this.env.HTTP_BODY_LIMIT_BYTES;
  }
  get rateLimitPerMinute(): number {
    return this.env.RATE_LIMIT_PER_MINUTE;
  }
  /** Which proxies to believe (Fastify's trustProxy); validateEnvironment already refused a bad one. */
  get trustProxy(): TrustProxy {
    return trustProxyFrom(this.env.TRUST_PROXY);
  }
  get idempotencyTtlHours(): number {
    return this.env.IDEMPOTENCY_TTL_HOURS;
  }
  /** Port of GET /metrics; null = no metrics listener. */
  get metricsPort(): number | null {
    return this.env.METRICS_PORT ?? null;
  }
  get outboxPollIntervalMs(): number {
    return this.env.OUTBOX_POLL_INTERVAL_MS;
  }
  get queuePrefix(): string {
    return this.env.QUEUE_PREFIX;
  }
  get stripeSecretKey(): string | undefined {
    return this.env.STRIPE_SECRET_KEY;
  }
  get stripeWebhookSecret(): string | undefined {
    return this.env.STRIPE_WEBHOOK_SECRET;
  }
  /** Parsed once; validateEnvironment already refused a bad FRAUD_RULES. */
  get fraud(): FraudSettings {
    this.fraudSettings ??= fraudSettingsFrom(this.env.FRAUD_RULES);
    return this.fraudSettings;
  }
  /** The global dunning policy; plans may override it (product attributes `dunning`). */
  get dunningPolicy(): {
    retryDays: number[];
    finalAction: 'pause' | 'cancel';
    pastDueAfterAttempts: number;
  } {
    return {
      retryDays: this.env.DUNNING_RETRY_DAYS.split(',').map(Number),
      finalAction: this.env.DUNNING_FINAL_ACTION,
      pastDueAfterAttempts: this.env.DUNNING_PAST_DUE_AFTER_ATTEMPTS,
    };
  }
  get billingRunCron(): string | null {
    return this.env.BILLING_RUN_CRON.trim() === '' ? null : this.env.BILLING_RUN_CRON.trim();
  }
  get reconciliationCron(): string | null {
    return this.env.RECONCILIATION_CRON.trim() === '' ? null : this.env.RECONCILIATION_CRON.trim();
  }
  get reconciliationPageSize(): number {
    return this.env.RECONCILIATION_PAGE_SIZE;
  }
  get coolingOffDays(): number {
    return this.env.COOLING_OFF_DAYS;
  }
  /** What happens to a checkout payment whose coupon redemption is refused at payment. */
  get couponRefusedAtPayment(): 'refund_payment' {
    return this.env.COUPON_REFUSED_AT_PAYMENT;
  }
  /** Refunds pending longer than this are settled by asking the processor. */
  get refundPendingBoundMs(): number {
    return this.env.REFUND_PENDING_BOUND_SECONDS * 1_000;
  }
  get refundRetryDelayMs(): number {
    return this.env.REFUND_RETRY_DELAY_MS;
  }
  get stripeTimeoutMs(): number {
    return this.env.STRIPE_TIMEOUT_MS;
  }
  get stripeApiUrl(): string | undefined {
    return this.env.STRIPE_API_URL;
  }
  /** `rate-table` or `stripe` (validated: stripe only with a Stripe key). */
  get taxEngine(): 'rate-table' | 'stripe' {
    return this.env.TAX_ENGINE;
  }
  get stripeSandboxPort(): number {
    return this.env.STRIPE_SANDBOX_PORT;
  }
  get outboundWebhooks(): {
    allowPrivateNetworks: boolean;
    allowHttp: boolean;
    timeoutMs: number;
    disableAfterMs: number;
  } {
    return {
      allowPrivateNetworks: this.env.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS ?? this.insecureDefaultsAllowed,
      allowHttp: this.env.OUTBOUND_WEBHOOKS_ALLOW_HTTP ?? this.insecureDefaultsAllowed,
      timeoutMs: this.env.OUTBOUND_WEBHOOKS_TIMEOUT_MS,
      disableAfterMs: this.env.OUTBOUND_WEBHOOKS_DISABLE_AFTER_HOURS * 3_600_000,
    };
  }

  /** HMAC pepper of API key hashes; validateEnvironment refuses a missing one in production. */
  get apiKeyPepper(): string {
    return this.env.API_KEY_PEPPER ?? DEVELOPMENT_API_KEY_PEPPER;
  }
  /** Keys sealing webhook signing secrets: the first encrypts, all decrypt. Validated at start. */
  get webhookSecretKeys(): SecretKey[] {
    return parseSecretKeys(this.env.WEBHOOK_SECRET_KEYS ?? DEVELOPMENT_WEBHOOK_SECRET_KEYS);
  }
  /** Secrets of hosted invoice links and stream tokens: the first signs, all verify. Validated at start. */
  get tokenSigningSecrets(): string[] {
    return parseTokenSigningSecrets(this.env.TOKEN_SIGNING_SECRET ?? DEVELOPMENT_TOKEN_SIGNING_SECRET);
  }
  /** Lifetimes of the signed tokens, in milliseconds. */
  get signedTokenLifetimes(): { hostedInvoiceLinkMs: number; streamTokenMs: number } {
    return {
      hostedInvoiceLinkMs: this.env.HOSTED_INVOICE_LINK_TTL_DAYS * 86_400_000,
      streamTokenMs: this.env.STREAM_TOKEN_TTL_SECONDS * 1000,
    };
  }

  get jwt(): JwtVerification {
    const checks = { issuer: this.env.AUTH_JWT_ISSUER, audience: this.env.AUTH_JWT_AUDIENCE };
    if (this.env.AUTH_JWT_PUBLIC_KEY) {
      return { algorithm: 'RS256', publicKey: this.env.AUTH_JWT_PUBLIC_KEY, ...checks };
    }
    // validateEnvironment refuses a missing secret unless the development defaults are opted in.
    return { algorithm: 'HS256', secret: this.env.AUTH_JWT_SECRET ?? DEVELOPMENT_JWT_SECRET, ...checks };
  }
}

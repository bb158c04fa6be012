import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, IsNull, LessThan } from 'typeorm';
import type { ApiKeyMode, ApiKeyScope, ApiKeyView, CreateApiKeyResponse, Page } from '@astrix/contracts';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../clock';
import { AppConfig } from '../config/app-config';
import { OutboxService } from '../events/outbox.service';
import { AppError, NotFoundError } from '../http/app-error';
import { toPage } from '../http/pagination';
import { newId } from '../ids';
import { actorReference, RequestContext, ServiceActor } from './actor';
import { ApiKey } from './api-key.entity';
import { expiryProblem, isExpired, legacyKeyHash, pepperedKeyHash } from './api-key-secrets';

const KEY_PATTERN = /^ak_(live|test)_[A-Za-z0-9]{40}$/;
const VISIBLE_PREFIX_LENGTH = 12;
const LAST_USED_RESOLUTION_MS = 60_000;
/**
 * A key resolved in this process is trusted this long without asking the database again: sibling
 * services call hot paths (usage, entitlement checks) thousands of times a second. A revocation made in
 * this process takes effect at once; one made through another process within this time. Held by the
 * key as presented, so a hot caller costs no HMAC per request (a fifth of an entitlement check's own
 * time); presented keys stay in this process's memory only as long, like the requests that carry them.
 */
export const API_KEY_CACHE_MS = 5_000;
const API_KEY_CACHE_MAX = 10_000;

// 40 base62 characters ≈ 238 bits: a fast keyed hash is enough, no slow hash needed (api-key-secrets.ts).
function generateRawKey(mode: ApiKeyMode): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let body = '';
  while (body.length < 40) {
    for (const byte of randomBytes(64)) {
      // Rejection sampling keeps every character equally likely.
      if (byte < 248 && body.length < 40) body += alphabet[byte % 62];
    }
  }
  return `ak_${mode}_${body}`;
}

export function toApiKeyView(key: ApiKey): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    mode: key.mode,
    scopes: key.scopes,
    createdAt: key.createdAt.toISOString(),
    createdBy: key.createdBy,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

/** Sibling services' API keys: issued once, stored as a peppered hash, scoped, expiring, revocable. */
@Injectable()
export class ApiKeysService {
  /** Presented key → what it resolved to, and when. */
  private readonly resolved = new Map<string, { key: ApiKey; actor: ServiceActor; at: number }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  private hash(rawKey: string): string {
    return pepperedKeyHash(this.config.apiKeyPepper, rawKey);
  }

  async create(
    input: { name: string; scopes: ApiKeyScope[]; mode?: ApiKeyMode; expiresAt?: string },
    context: RequestContext,
  ): Promise<CreateApiKeyResponse> {
    // The controller's DTO (and the CLI) checked the form: a canonical ISO instant.
    const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt);
    const problem = expiresAt === null ? null : expiryProblem(expiresAt, this.clock.now());
    if (problem)
      throw new AppError(400, 'VALIDATION_ERROR', problem, [{ field: 'expiresAt', message: problem }]);
    const mode = input.mode ?? 'test';
    const rawKey = generateRawKey(mode);
    const createdBy = actorReference(context.actor).id;
    const key = await this.dataSource.transaction(async (manager) => {
      const entity = manager.create(ApiKey, {
        id: newId('key'),
        name: input.name,
        prefix: rawKey.slice(0, VISIBLE_PREFIX_LENGTH),
        keyHash: this.hash(rawKey),
        hashScheme: 'hmac-sha256',
        mode,
        scopes: [...new Set(input.scopes)].sort(),
        createdBy,
        createdAt: this.clock.now(),
        lastUsedAt: null,
        expiresAt,
        revokedAt: null,
        revokedBy: null,
      });
      await manager.insert(ApiKey, entity);
      const view = toApiKeyView(entity);
      await this.audit.record(manager, context, {
        action: 'api_key.created',
        resourceType: 'api_key',
        resourceId: entity.id,
        after: { ...view },
      });
      await this.outbox.append(manager, {
        type: 'platform.api_key.created',
        subject: entity.id,
        data: {
          apiKeyId: entity.id,
          name: entity.name,
          prefix: entity.prefix,
          scopes: entity.scopes,
          mode,
          createdBy,
        },
        correlationId: context.requestId,
      });
      return entity;
    });
    return { ...toApiKeyView(key), key: rawKey };
  }

  async list(page: { limit: number; cursor?: string }): Promise<Page<ApiKeyView>> {
    const rows = await this.dataSource.getRepository(ApiKey).find({
      where: page.cursor ? { id: LessThan(page.cursor) } : {},
      order: { id: 'DESC' },
      take: page.limit + 1,
    });
    return toPage(rows, page.limit, toApiKeyView);
  }

  async revoke(id: string, context: RequestContext): Promise<ApiKeyView> {
    const revokedBy = actorReference(context.actor).id;
    const revoked = await this.dataSource.transaction(async (manager) => {
      const key = await manager.findOne(ApiKey, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!key) throw new NotFoundError('API key', id);
      if (key.revokedAt) throw new AppError(409, 'CONFLICT', `API key ${id} is already revoked`);
      const before = toApiKeyView(key);
      key.revokedAt = this.clock.now();
      key.revokedBy = revokedBy;
      await manager.update(ApiKey, { id }, { revokedAt: key.revokedAt, revokedBy });
      const after = toApiKeyView(key);
      await this.audit.record(manager, context, {
        action: 'api_key.revoked',
        resourceType: 'api_key',
        resourceId: id,
        before: { ...before },
        after: { ...after },
      });
      await this.outbox.append(manager, {
        type: 'platform.api_key.revoked',
        subject: id,
        data: { apiKeyId: id, name: key.name, revokedBy },
        correlationId: context.requestId,
      });
      return after;
    });
    this.resolved.clear();
    return revoked;
  }

  /**
   * The service actor of a key this process resolved within API_KEY_CACHE_MS and not expired since,
   * without a promise (the entitlement checks' hot path); undefined when `authenticate` must decide.
   * Only keys that matched the key pattern are ever held, so none is checked here.
   */
  cachedActor(rawKey: string): ServiceActor | undefined {
    const cached = this.resolved.get(rawKey);
    if (!cached || performance.now() - cached.at >= API_KEY_CACHE_MS) return undefined;
    if (cached.key.expiresAt !== null && isExpired(cached.key.expiresAt, this.clock.now())) {
      this.resolved.delete(rawKey);
      return undefined;
    }
    this.touchLastUsed(cached.key);
    return cached.actor;
  }

  /** Resolves a presented key to its service actor, or null when unknown, malformed, expired or revoked. */
  async authenticate(rawKey: string): Promise<ServiceActor | null> {
    if (!KEY_PATTERN.test(rawKey)) return null;
    const known = this.cachedActor(rawKey);
    if (known) return known;
    const keyHash = this.hash(rawKey);
    // Dual verify: a key issued before the pepper is found by its plain SHA-256, then re-hashed.
    const oldHash = legacyKeyHash(rawKey);
    const candidates = await this.dataSource
      .getRepository(ApiKey)
      .find({ where: { keyHash: In([keyHash, oldHash]), revokedAt: IsNull() } });
    const key = candidates.find(
      (candidate) =>
        (candidate.hashScheme === 'hmac-sha256' && candidate.keyHash === keyHash) ||
        (candidate.hashScheme === 'sha256' && candidate.keyHash === oldHash),
    );
    if (!key || isExpired(key.expiresAt, this.clock.now())) {
      this.resolved.delete(rawKey);
      return null;
    }
    if (key.hashScheme === 'sha256') this.upgradeHash(key, keyHash);
    this.touchLastUsed(key);
    const actor: ServiceActor = { kind: 'service', apiKeyId: key.id, name: key.name, scopes: key.scopes };
    if (this.resolved.size >= API_KEY_CACHE_MAX) this.resolved.clear();
    this.resolved.set(rawKey, { key, actor, at: performance.now() });
    return actor;
  }

  /**
   * Replaces a pre-pepper SHA-256 with the peppered hash, once, off the request's critical path. A
   * failure (another process got there first) changes nothing: the key matches either way.
   */
  private upgradeHash(key: ApiKey, keyHash: string): void {
    const oldHash = key.keyHash;
    key.keyHash = keyHash;
    key.hashScheme = 'hmac-sha256';
    this.dataSource
      .getRepository(ApiKey)
      .createQueryBuilder()
      .update()
      .set({ keyHash, hashScheme: 'hmac-sha256' })
      .where("id = :id AND hash_scheme = 'sha256' AND key_hash = :oldHash", { id: key.id, oldHash })
      .execute()
      .catch(() => undefined);
  }

  /** Records use at most once a minute per key, off the request's critical path. */
  private touchLastUsed(key: ApiKey): void {
    const now = this.clock.now();
    if (key.lastUsedAt && now.getTime() - key.lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
    key.lastUsedAt = now;
    this.dataSource
      .getRepository(ApiKey)
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: now })
      .where('id = :id AND (last_used_at IS NULL OR last_used_at < :threshold)', {
        id: key.id,
        threshold: new Date(now.getTime() - LAST_USED_RESOLUTION_MS),
      })
      .execute()
      .catch(() => undefined);
  }
}

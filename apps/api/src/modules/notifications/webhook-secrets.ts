import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, MoreThan } from 'typeorm';
import { AuditService } from '../../platform/audit/audit.service';
import type { RequestContext } from '../../platform/auth/actor';
import { AppConfig } from '../../platform/config/app-config';
import { SecretBox, SecretBoxError } from '../../platform/crypto/secret-box';
import { WebhookEndpoint } from './webhook-endpoint.entity';

const BATCH = 100;

export interface ReencryptionResult {
  /** Endpoints looked at. */
  endpoints: number;
  /** Endpoints whose secret(s) were sealed again with the current key (or sealed for the first time). */
  resealed: number;
  /** Endpoints left as they were because a secret does not open with any listed key (runbook). */
  undecryptable: string[];
  currentKeyId: string;
}

/**
 * Outbound webhook signing secrets at rest: sealed with AES-256-GCM under the first key of
 * WEBHOOK_SECRET_KEYS, bound to the endpoint id. Dual read: a row written before encryption (a plain
 * `whsec_…`) still signs, until `reencryptAll` (CLI `webhooks reencrypt-secrets`) seals it; the same
 * command moves secrets sealed with an older key onto the current one (docs/runbooks/secrets.md).
 */
@Injectable()
export class WebhookSecrets {
  private readonly box: SecretBox;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    config: AppConfig,
  ) {
    this.box = new SecretBox(config.webhookSecretKeys);
  }

  seal(secret: string, endpointId: string): string {
    return this.box.seal(secret, endpointId);
  }

  open(stored: string, endpointId: string): string {
    return this.box.open(stored, endpointId);
  }

  /** The stored value sealed under the current key: as it is when it already is. */
  reseal(stored: string, endpointId: string): string {
    return this.box.needsResealing(stored)
      ? this.box.seal(this.box.open(stored, endpointId), endpointId)
      : stored;
  }

  /**
   * Seals every plaintext secret and re-seals every secret sealed with an older key, one row lock and
   * one audit row per endpoint changed. Safe to run again (and while the API runs): a row already
   * under the current key is left alone.
   */
  async reencryptAll(context: RequestContext): Promise<ReencryptionResult> {
    let cursor = '';
    let endpoints = 0;
    let resealed = 0;
    const undecryptable: string[] = [];
    for (;;) {
      const ids = (
        await this.dataSource.getRepository(WebhookEndpoint).find({
          select: { id: true },
          where: { id: MoreThan(cursor) },
          order: { id: 'ASC' },
          take: BATCH,
        })
      ).map((row) => row.id);
      if (ids.length === 0) break;
      for (const id of ids) {
        endpoints += 1;
        try {
          if (await this.reencryptOne(id, context)) resealed += 1;
        } catch (error) {
          if (!(error instanceof SecretBoxError)) throw error;
          undecryptable.push(id);
        }
      }
      cursor = ids[ids.length - 1];
    }
    return { endpoints, resealed, undecryptable, currentKeyId: this.box.currentKeyId };
  }

  private reencryptOne(id: string, context: RequestContext): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const row = await manager.findOne(WebhookEndpoint, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!row) return false;
      const previous = row.previousSealedSecret;
      const stale =
        this.box.needsResealing(row.sealedSecret) || (previous !== null && this.box.needsResealing(previous));
      if (!stale) return false;
      await manager.update(
        WebhookEndpoint,
        { id },
        {
          sealedSecret: this.reseal(row.sealedSecret, id),
          previousSealedSecret: previous === null ? null : this.reseal(previous, id),
        },
      );
      await this.audit.record(manager, context, {
        action: 'webhook_endpoint.secret_reencrypted',
        resourceType: 'webhook_endpoint',
        resourceId: id,
        after: { keyId: this.box.currentKeyId },
      });
      return true;
    });
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { WEBHOOK_HEADERS } from '@astrix/contracts';
import { AuditService } from '../../platform/audit/audit.service';
import type { RequestContext } from '../../platform/auth/actor';
import { AppConfig } from '../../platform/config/app-config';
import { Clock } from '../../platform/clock';
import { SecretBoxError } from '../../platform/crypto/secret-box';
import { OutboxService } from '../../platform/events/outbox.service';
import { EventHistoryEntry } from './event-history.entity';
import { newId } from '../../platform/ids';
import { nextAttemptAfter } from './retry-schedule';
import { signatureHeader } from './signing';
import { postWebhook, WebhookPostResult } from './webhook-http';
import { WebhookDeliveryAttempt } from './webhook-delivery-attempt.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { toEndpointView } from './webhook-views';
import { WebhookSecrets } from './webhook-secrets';
import { OutboundMetrics, WebhookAttemptOutcome } from './outbound-metrics';

const SYSTEM: RequestContext = { actor: { kind: 'system', name: 'outbound-webhooks' }, requestId: null };

/**
 * The secrets that sign right now, as stored (sealed): the current one, plus the previous one during
 * its grace period.
 */
export function signingSecrets(endpoint: WebhookEndpoint, now: Date): string[] {
  const graceActive =
    endpoint.previousSealedSecret &&
    endpoint.previousSecretExpiresAt &&
    endpoint.previousSecretExpiresAt > now;
  return graceActive ? [endpoint.sealedSecret, endpoint.previousSealedSecret!] : [endpoint.sealedSecret];
}

/** Makes one HTTP attempt of a delivery and records it: success, next retry, or failure for good. */
@Injectable()
export class WebhookSender {
  private readonly logger = new Logger(WebhookSender.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly secrets: WebhookSecrets,
    private readonly metrics: OutboundMetrics,
  ) {}

  async attempt(deliveryId: string, attempt: number): Promise<void> {
    const delivery = await this.dataSource.getRepository(WebhookDelivery).findOneBy({ id: deliveryId });
    // A stale job (already attempted, retried by staff, or finished) does nothing.
    if (!delivery || delivery.status !== 'pending' || delivery.attempts !== attempt - 1) return;
    const endpoint = await this.dataSource
      .getRepository(WebhookEndpoint)
      .findOneBy({ id: delivery.endpointId });
    const history = await this.dataSource
      .getRepository(EventHistoryEntry)
      .findOneBy({ eventId: delivery.eventId });
    const startedAt = this.clock.now();
    if (!endpoint || endpoint.status !== 'enabled' || !history) {
      const reason = !endpoint ? 'endpoint deleted' : !history ? 'event not in history' : 'endpoint disabled';
      await this.record(
        delivery,
        attempt,
        startedAt,
        { statusCode: null, response: null, error: reason, durationMs: 0 },
        true,
      );
      return;
    }
    let secrets: string[];
    try {
      secrets = signingSecrets(endpoint, startedAt).map((sealed) => this.secrets.open(sealed, endpoint.id));
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      // A key dropped from WEBHOOK_SECRET_KEYS too early: nothing is sent unsigned; the retries
      // succeed once the key is listed again (docs/runbooks/secrets.md).
      const reason = `signing secret cannot be decrypted: ${error.message}`;
      this.logger.error(`webhook endpoint ${endpoint.id}: ${reason}`);
      await this.record(
        delivery,
        attempt,
        startedAt,
        { statusCode: null, response: null, error: reason, durationMs: 0 },
        false,
      );
      return;
    }
    const body = JSON.stringify({ ...history.envelope, sequence: history.sequence });
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const { allowPrivateNetworks, allowHttp, timeoutMs } = this.config.outboundWebhooks;
    const result = await postWebhook(
      endpoint.url,
      {
        [WEBHOOK_HEADERS.id]: history.eventId,
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: signatureHeader(secrets, history.eventId, timestamp, body),
      },
      body,
      { allowPrivateNetworks, allowHttp, timeoutMs },
    );
    await this.record(delivery, attempt, startedAt, result, false);
  }

  private async record(
    delivery: WebhookDelivery,
    attempt: number,
    startedAt: Date,
    result: WebhookPostResult,
    giveUp: boolean,
  ): Promise<void> {
    const succeeded = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const outcome: WebhookAttemptOutcome | null = await this.dataSource.transaction(async (manager) => {
      const current = await manager.findOne(WebhookDelivery, {
        where: { id: delivery.id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!current || current.status !== 'pending' || current.attempts !== attempt - 1) return null;
      const now = this.clock.now();
      await manager.insert(WebhookDeliveryAttempt, {
        id: newId('wha'),
        deliveryId: delivery.id,
        attempt,
        startedAt,
        durationMs: result.durationMs,
        statusCode: result.statusCode,
        response: result.response,
        error: result.error?.slice(0, 500) ?? null,
      });
      const next = succeeded || giveUp ? null : nextAttemptAfter(attempt, now);
      await manager.update(
        WebhookDelivery,
        { id: delivery.id },
        {
          attempts: attempt,
          status: succeeded ? 'succeeded' : next ? 'pending' : 'failed',
          nextAttemptAt: next,
          queuedAt: null,
          lastStatusCode: result.statusCode,
          completedAt: next ? null : now,
        },
      );
      if (!giveUp) await this.trackEndpointHealth(manager, current.endpointId, succeeded, startedAt, now);
      return succeeded ? 'succeeded' : next ? 'retrying' : 'failed';
    });
    if (outcome) this.metrics.attempted(outcome);
  }

  /** A success heals the endpoint; failures for longer than the configured time disable it, once (also used by WebhookBatchSender). */
  async trackEndpointHealth(
    manager: EntityManager,
    endpointId: string,
    succeeded: boolean,
    startedAt: Date,
    now: Date,
  ): Promise<void> {
    const endpoint = await manager.findOne(WebhookEndpoint, {
      where: { id: endpointId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!endpoint) return;
    if (succeeded) {
      if (endpoint.failingSince)
        await manager.update(WebhookEndpoint, { id: endpointId }, { failingSince: null });
      return;
    }
    const failingSince = endpoint.failingSince ?? startedAt;
    if (!endpoint.failingSince) await manager.update(WebhookEndpoint, { id: endpointId }, { failingSince });
    if (
      endpoint.status !== 'enabled' ||
      now.getTime() - failingSince.getTime() < this.config.outboundWebhooks.disableAfterMs
    )
      return;
    const before = toEndpointView(endpoint, now);
    Object.assign(endpoint, { status: 'disabled', disabledReason: 'failing', failingSince, updatedAt: now });
    await manager.update(
      WebhookEndpoint,
      { id: endpointId },
      { status: 'disabled', disabledReason: 'failing', updatedAt: now },
    );
    await this.audit.record(manager, SYSTEM, {
      action: 'webhook_endpoint.disabled',
      resourceType: 'webhook_endpoint',
      resourceId: endpointId,
      before: { ...before },
      after: { ...toEndpointView(endpoint, now) },
    });
    await this.outbox.append(manager, {
      type: 'platform.webhook_endpoint.disabled',
      subject: endpointId,
      data: {
        endpointId,
        url: endpoint.url,
        reason: 'failing',
        failingSince: failingSince.toISOString(),
        disabledBy: 'system:outbound-webhooks',
      },
    });
    this.logger.warn(`webhook endpoint ${endpointId} disabled: failing since ${failingSince.toISOString()}`);
  }
}

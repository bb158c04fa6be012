import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, LessThan } from 'typeorm';
import type {
  CreateWebhookEndpointResponse,
  EventType,
  Page,
  ReplayWebhookEventsResponse,
  WebhookDeliveryStatus,
  WebhookDeliveryView,
  WebhookEndpointView,
} from '@astrix/contracts';
import { AuditService } from '../../platform/audit/audit.service';
import { actorReference, RequestContext } from '../../platform/auth/actor';
import { AppConfig } from '../../platform/config/app-config';
import { Clock } from '../../platform/clock';
import { OutboxService } from '../../platform/events/outbox.service';
import { SecretBoxError } from '../../platform/crypto/secret-box';
import { AppError, NotFoundError } from '../../platform/http/app-error';
import { toPage } from '../../platform/http/pagination';
import { newId } from '../../platform/ids';
import { generateWebhookSecret } from './signing';
import { checkEndpointUrl, RefusedUrlError, resolveAllowedAddresses } from './url-policy';
import { WebhookDeliveryAttempt } from './webhook-delivery-attempt.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookSecrets } from './webhook-secrets';
import { toDeliveryView, toEndpointView } from './webhook-views';
import { OUTBOUND_CHANNEL } from '../../platform/database/commit-listener';

const HOUR_MS = 3_600_000;

/** Staff-managed webhook endpoints: every change audited; the secret shown on creation and rotation only. */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly secrets: WebhookSecrets,
  ) {}

  /** 422 with the reason for a URL the policy refuses (scheme, credentials, private address). */
  private async checkUrl(url: string): Promise<void> {
    try {
      const parsed = checkEndpointUrl(url, this.config.outboundWebhooks);
      await resolveAllowedAddresses(parsed.hostname, this.config.outboundWebhooks);
    } catch (error) {
      if (error instanceof RefusedUrlError)
        throw new AppError(422, 'VALIDATION_ERROR', error.message, [
          { field: 'url', message: error.message },
        ]);
      throw error;
    }
  }

  async create(
    input: { url: string; eventTypes: EventType[]; description?: string },
    context: RequestContext,
  ): Promise<CreateWebhookEndpointResponse> {
    await this.checkUrl(input.url);
    const now = this.clock.now();
    const id = newId('whe');
    const secret = generateWebhookSecret();
    const endpoint = this.dataSource.getRepository(WebhookEndpoint).create({
      id,
      url: input.url,
      description: input.description ?? '',
      eventTypes: [...new Set(input.eventTypes)].sort(),
      status: 'enabled',
      disabledReason: null,
      sealedSecret: this.secrets.seal(secret, id),
      previousSealedSecret: null,
      previousSecretExpiresAt: null,
      failingSince: null,
      createdBy: actorReference(context.actor).id,
      createdAt: now,
      updatedAt: now,
    });
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(WebhookEndpoint, endpoint);
      await this.audit.record(manager, context, {
        action: 'webhook_endpoint.created',
        resourceType: 'webhook_endpoint',
        resourceId: endpoint.id,
        after: { ...toEndpointView(endpoint, now) },
      });
    });
    return { ...toEndpointView(endpoint, now), secret };
  }

  async list(page: { limit: number; cursor?: string }): Promise<Page<WebhookEndpointView>> {
    const rows = await this.dataSource.getRepository(WebhookEndpoint).find({
      where: page.cursor ? { id: LessThan(page.cursor) } : {},
      order: { id: 'DESC' },
      take: page.limit + 1,
    });
    const now = this.clock.now();
    return toPage(rows, page.limit, (row) => toEndpointView(row, now));
  }

  async get(id: string): Promise<WebhookEndpointView> {
    const endpoint = await this.dataSource.getRepository(WebhookEndpoint).findOneBy({ id });
    if (!endpoint) throw new NotFoundError('Webhook endpoint', id);
    return toEndpointView(endpoint, this.clock.now());
  }

  private async change(
    id: string,
    action: string,
    context: RequestContext,
    apply: (endpoint: WebhookEndpoint, now: Date, manager: EntityManager) => Promise<void> | void,
  ): Promise<WebhookEndpoint> {
    return this.dataSource.transaction(async (manager) => {
      const endpoint = await manager.findOne(WebhookEndpoint, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!endpoint) throw new NotFoundError('Webhook endpoint', id);
      const now = this.clock.now();
      const before = toEndpointView(endpoint, now);
      await apply(endpoint, now, manager);
      endpoint.updatedAt = now;
      await manager.save(WebhookEndpoint, endpoint);
      await this.audit.record(manager, context, {
        action,
        resourceType: 'webhook_endpoint',
        resourceId: id,
        before: { ...before },
        after: { ...toEndpointView(endpoint, now) },
      });
      return endpoint;
    });
  }

  async update(
    id: string,
    input: { url?: string; eventTypes?: EventType[]; description?: string },
    context: RequestContext,
  ): Promise<WebhookEndpointView> {
    if (input.url !== undefined) await this.checkUrl(input.url);
    const endpoint = await this.change(id, 'webhook_endpoint.updated', context, (row) => {
      if (input.url !== undefined) row.url = input.url;
      if (input.eventTypes !== undefined) row.eventTypes = [...new Set(input.eventTypes)].sort();
      if (input.description !== undefined) row.description = input.description;
    });
    return toEndpointView(endpoint, this.clock.now());
  }

  async disable(id: string, context: RequestContext): Promise<WebhookEndpointView> {
    const endpoint = await this.change(
      id,
      'webhook_endpoint.disabled',
      context,
      async (row, _now, manager) => {
        if (row.status === 'disabled')
          throw new AppError(409, 'CONFLICT', `Webhook endpoint ${id} is already disabled`);
        row.status = 'disabled';
        row.disabledReason = 'manual';
        await this.outbox.append(manager, {
          type: 'platform.webhook_endpoint.disabled',
          subject: id,
          data: {
            endpointId: id,
            url: row.url,
            reason: 'manual',
            failingSince: row.failingSince?.toISOString() ?? null,
            disabledBy: actorReference(context.actor).id,
          },
          correlationId: context.requestId,
        });
      },
    );
    return toEndpointView(endpoint, this.clock.now());
  }

  async enable(id: string, context: RequestContext): Promise<WebhookEndpointView> {
    const endpoint = await this.change(id, 'webhook_endpoint.enabled', context, (row) => {
      if (row.status === 'enabled')
        throw new AppError(409, 'CONFLICT', `Webhook endpoint ${id} is already enabled`);
      row.status = 'enabled';
      row.disabledReason = null;
      row.failingSince = null;
    });
    return toEndpointView(endpoint, this.clock.now());
  }

  /** A new secret; the previous one keeps signing (second signature) for the grace period. */
  async rotateSecret(
    id: string,
    graceHours: number,
    context: RequestContext,
  ): Promise<CreateWebhookEndpointResponse> {
    const secret = generateWebhookSecret();
    const endpoint = await this.change(id, 'webhook_endpoint.secret_rotated', context, (row, now) => {
      row.previousSealedSecret = graceHours > 0 ? this.resealPrevious(row.sealedSecret, id) : null;
      row.previousSecretExpiresAt = graceHours > 0 ? new Date(now.getTime() + graceHours * HOUR_MS) : null;
      row.sealedSecret = this.secrets.seal(secret, id);
    });
    return { ...toEndpointView(endpoint, this.clock.now()), secret };
  }

  /** The outgoing secret, to keep signing during the grace: 409 when it cannot be decrypted any more. */
  private resealPrevious(sealed: string, id: string): string {
    try {
      return this.secrets.reseal(sealed, id);
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      throw new AppError(
        409,
        'CONFLICT',
        `the current signing secret of ${id} cannot be decrypted (${error.message}), so it cannot keep signing: rotate with graceHours 0`,
        [{ field: 'graceHours', message: 'must be 0: the current secret cannot be decrypted' }],
      );
    }
  }

  async remove(id: string, context: RequestContext): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const endpoint = await manager.findOne(WebhookEndpoint, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!endpoint) throw new NotFoundError('Webhook endpoint', id);
      await manager.query(
        `DELETE FROM platform.webhook_delivery_attempts WHERE delivery_id IN (SELECT id FROM platform.webhook_deliveries WHERE endpoint_id = $1)`,
        [id],
      );
      await manager.delete(WebhookDelivery, { endpointId: id });
      await manager.delete(WebhookEndpoint, { id });
      await this.audit.record(manager, context, {
        action: 'webhook_endpoint.deleted',
        resourceType: 'webhook_endpoint',
        resourceId: id,
        before: { ...toEndpointView(endpoint, this.clock.now()) },
      });
    });
  }

  async deliveries(
    endpointId: string,
    query: { limit: number; cursor?: string; status?: WebhookDeliveryStatus },
  ): Promise<Page<WebhookDeliveryView>> {
    await this.get(endpointId);
    const rows = await this.dataSource.getRepository(WebhookDelivery).find({
      where: {
        endpointId,
        ...(query.status ? { status: query.status } : {}),
        ...(query.cursor ? { id: LessThan(query.cursor) } : {}),
      },
      order: { id: 'DESC' },
      take: query.limit + 1,
    });
    const attempts = rows.length
      ? await this.dataSource
          .getRepository(WebhookDeliveryAttempt)
          .find({ where: { deliveryId: In(rows.map((row) => row.id)) } })
      : [];
    return toPage(rows, query.limit, (row) =>
      toDeliveryView(
        row,
        attempts.filter((attempt) => attempt.deliveryId === row.id),
      ),
    );
  }

  /** Sends a delivery again now, whatever its state: a new attempt (the log keeps the old ones). */
  async retry(endpointId: string, deliveryId: string, context: RequestContext): Promise<WebhookDeliveryView> {
    return this.dataSource.transaction(async (manager) => {
      const delivery = await manager.findOne(WebhookDelivery, {
        where: { id: deliveryId, endpointId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!delivery) throw new NotFoundError('Webhook delivery', deliveryId);
      const now = this.clock.now();
      Object.assign(delivery, { status: 'pending', nextAttemptAt: now, queuedAt: null, completedAt: null });
      await manager.save(WebhookDelivery, delivery);
      // An update fires no insert trigger: wake the delivery relays at commit ourselves.
      await manager.query(`SELECT pg_notify($1, '')`, [OUTBOUND_CHANNEL]);
      await this.audit.record(manager, context, {
        action: 'webhook_delivery.retried',
        resourceType: 'webhook_delivery',
        resourceId: deliveryId,
        after: { endpointId, eventId: delivery.eventId },
      });
      const attempts = await manager.find(WebhookDeliveryAttempt, { where: { deliveryId } });
      return toDeliveryView(delivery, attempts);
    });
  }

  /** Schedules again every event of the endpoint's types that occurred in [from, to). */
  async replay(
    endpointId: string,
    from: Date,
    to: Date,
    context: RequestContext,
  ): Promise<ReplayWebhookEventsResponse> {
    if (from >= to)
      throw new AppError(422, 'VALIDATION_ERROR', 'from must be before to', [
        { field: 'from', message: 'from must be before to' },
      ]);
    return this.dataSource.transaction(async (manager) => {
      const endpoint = await manager.findOne(WebhookEndpoint, { where: { id: endpointId } });
      if (!endpoint) throw new NotFoundError('Webhook endpoint', endpointId);
      const now = this.clock.now();
      const events: Array<{ event_id: string; type: EventType }> = await manager.query(
        `SELECT event_id, type FROM platform.event_history
          WHERE type = ANY($1) AND occurred_at >= $2 AND occurred_at < $3 ORDER BY outbox_position LIMIT 10000`,
        [endpoint.eventTypes, from, to],
      );
      for (const event of events) {
        await manager.query(
          `INSERT INTO platform.webhook_deliveries (id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, created_at)
           VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)
           ON CONFLICT (endpoint_id, event_id) DO UPDATE
             SET status = 'pending', next_attempt_at = $5, queued_at = NULL, completed_at = NULL`,
          [newId('whd'), endpointId, event.event_id, event.type, now],
        );
      }
      await this.audit.record(manager, context, {
        action: 'webhook_endpoint.replayed',
        resourceType: 'webhook_endpoint',
        resourceId: endpointId,
        after: { from: from.toISOString(), to: to.toISOString(), scheduled: events.length },
      });
      return { endpointId, scheduled: events.length };
    });
  }
}

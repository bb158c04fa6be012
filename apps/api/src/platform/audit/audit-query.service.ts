import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource } from 'typeorm';
import type { AuditEntryView, Page } from '@astrix/contracts';
import { toPage } from '../http/pagination';
import { AuditLogEntry } from './audit-log-entry.entity';

export interface AuditFilter {
  actor?: string;
  resourceType?: string;
  resourceId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  /** Entries about any of these resources, or made by `anyOf.actor`. */
  anyOf?: { resourceIds: string[]; actor?: string };
  limit: number;
  cursor?: string;
}

export function toAuditEntryView(entry: AuditLogEntry): AuditEntryView {
  return {
    id: entry.id,
    actorType: entry.actorType,
    actorId: entry.actorId,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    before: entry.before,
    after: entry.after,
    requestId: entry.requestId,
    occurredAt: entry.occurredAt.toISOString(),
  };
}

/**
 * Reads the audit log for staff, newest first. Every filter has an index (actor, resource,
 * resource id, action, time); the cursor is the last entry's id, compared on (occurred_at, id).
 */
@Injectable()
export class AuditQueryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(filter: AuditFilter): Promise<Page<AuditEntryView>> {
    const builder = this.dataSource
      .getRepository(AuditLogEntry)
      .createQueryBuilder('entry')
      .orderBy('entry.occurred_at', 'DESC')
      .addOrderBy('entry.id', 'DESC')
      .take(filter.limit + 1);
    if (filter.actor) builder.andWhere('entry.actor_id = :actor', { actor: filter.actor });
    if (filter.resourceType)
      builder.andWhere('entry.resource_type = :resourceType', { resourceType: filter.resourceType });
    if (filter.resourceId)
      builder.andWhere('entry.resource_id = :resourceId', { resourceId: filter.resourceId });
    if (filter.action) builder.andWhere('entry.action = :action', { action: filter.action });
    if (filter.from) builder.andWhere('entry.occurred_at >= :from', { from: filter.from });
    if (filter.to) builder.andWhere('entry.occurred_at < :to', { to: filter.to });
    const anyOf = filter.anyOf;
    if (anyOf) {
      builder.andWhere(
        new Brackets((either) => {
          either.where('entry.resource_id = ANY(:resourceIds)', { resourceIds: anyOf.resourceIds });
          if (anyOf.actor) either.orWhere('entry.actor_id = :anyActor', { anyActor: anyOf.actor });
        }),
      );
    }
    if (filter.cursor) {
      builder.andWhere(
        '(entry.occurred_at, entry.id) < (SELECT cursor.occurred_at, cursor.id FROM platform.audit_log cursor WHERE cursor.id = :cursor)',
        { cursor: filter.cursor },
      );
    }
    return toPage(await builder.getMany(), filter.limit, toAuditEntryView);
  }
}
